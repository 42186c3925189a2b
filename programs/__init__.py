"""The edit-program language: its values (`ops`), parser, renderer, grammars, interpreter (`apply`)
and deriver (`derive`). See `programs.parse` for the language itself."""

from programs.grammar import decoding_grammar, grammar_for
from programs.ops import (
    OP_NAMES,
    OPERATIONS,
    ApplyResult,
    Derivation,
    DropDoc,
    KeepChunk,
    KeepDoc,
    Limits,
    Normalize,
    OpEffect,
    OpError,
    Operation,
    Policy,
    Program,
    ProgramError,
    RemoveLines,
    RemoveStr,
)
from programs.parse import DIALECTS, Dialect, parse, try_parse
from programs.render import render, render_op

# `apply` and `derive` are functions named like their modules: importing them here binds the names
# to the functions for good (a lazy `__getattr__` would lose to the submodule attribute).
# Until both modules exist in a checkout, the package imports without them.
try:
    from programs.apply import apply
except ModuleNotFoundError as e:
    if e.name != "programs.apply":
        raise
try:
    from programs.derive import derive
except ModuleNotFoundError as e:
    if e.name != "programs.derive":
        raise

__all__ = [
    "ApplyResult", "DIALECTS", "Derivation", "Dialect", "DropDoc", "KeepChunk", "KeepDoc", "Limits",
    "Normalize", "OPERATIONS", "OP_NAMES", "OpEffect", "OpError", "Operation", "Policy", "Program",
    "ProgramError", "RemoveLines", "RemoveStr", "apply", "decoding_grammar", "derive", "grammar_for",
    "parse", "render", "render_op", "try_parse",
]
