"""Refiners, chosen by name: `--mode NAME` loads `refine.refiners.NAME` and calls its `from_options(opts)`.

A mode that is not built in names any importable module exposing `from_options` (`my_refiner`,
`my_project.refiners.mine`): how users (and tests) plug in their own refiners without editing this package.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path

from refine.options import RunOptions
from refine.refiners.base import OptionError, Refiner

_NOT_MODES = {"base", "budgets"}  # the shared contract and prompt budgets, not refiners


class UnknownRefiner(ValueError):
    """A mode that names no refiner module; the message lists the available ones."""


def available_modes() -> list[str]:
    """The built-in modes: modules of this package other than the shared contract."""
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)])
                  if not m.name.startswith("_") and m.name not in _NOT_MODES)


def has_mode(mode: str) -> bool:
    return mode in available_modes()


def _module_name(mode: str) -> str:
    """`refine.refiners.<mode>` for a built-in mode; otherwise `mode` itself, an importable module."""
    if mode.startswith("_") or mode in _NOT_MODES or not all(p.isidentifier() for p in mode.split(".")):
        raise _unknown(mode)
    if "." not in mode and has_mode(mode):
        return f"{__name__}.{mode}"
    return mode


def _unknown(mode: str) -> UnknownRefiner:
    return UnknownRefiner(f"unknown mode {mode!r}; available: {', '.join(available_modes()) or 'none'}, "
                          "or any importable module with a from_options(opts) function")


def check_mode(mode: str) -> None:
    """Raise UnknownRefiner unless `mode` names an importable module (without importing it)."""
    name = _module_name(mode)
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a dotted path whose package is missing
        found = False
    if not found:
        raise _unknown(mode)


def refiner_options(mode: str) -> dict[str, str] | None:
    """The `--set` options a mode's module declares (`OPTIONS`: name -> what it does), or None when it
    declares none (a plug-in refiner may read any)."""
    try:
        module = importlib.import_module(_module_name(mode))
    except ImportError:
        return None  # building the refiner reports it
    return getattr(module, "OPTIONS", None)


def check_options(mode: str, extra: dict) -> None:
    """Raise OptionError for a `--set` key that `mode` does not declare, listing the ones it does."""
    declared = refiner_options(mode)
    if declared is None:
        return
    unknown = sorted(k for k in extra if k not in declared)
    if unknown:
        listed = "; ".join(f"{name} ({what})" for name, what in declared.items()) or "none"
        raise OptionError(f"--mode {mode} has no option {', '.join(map(repr, unknown))}. Its options (--set "
                          f"NAME=VALUE): {listed}. Run settings (--set chunk_tokens=…, max_new_tokens=…) are "
                          "listed in `refine run --help`.")


def build_refiner(opts: RunOptions) -> Refiner:
    """The refiner `opts.mode` names, built from the options."""
    name = _module_name(opts.mode)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and (name == e.name or name.startswith(e.name + ".")):
            raise _unknown(opts.mode) from e
        raise  # the refiner exists but one of its own imports is missing: let its message through
    factory = getattr(module, "from_options", None)
    if factory is None:
        raise UnknownRefiner(f"module {name} has no from_options(opts) function, so it cannot be a --mode")
    refiner = factory(opts)
    if not isinstance(refiner, Refiner):
        raise UnknownRefiner(f"{name}.from_options returned a {type(refiner).__name__}, not a refiner: "
                             "subclass refine.refiners.base.Refiner (write refine(docs); its other hooks "
                             "default to nothing)")
    return refiner
