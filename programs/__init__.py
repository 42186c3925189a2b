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
from programs.dialects import DIALECTS, Dialect
from programs.parse import parse, try_parse
from programs.render import render, render_op

# `apply` and `derive` are functions named like their modules: importing them here binds the names
# to the functions for good (a lazy `__getattr__` would lose to the submodule attribute).
from programs.apply import apply
from programs.derive import derive

__all__ = [
    "ApplyResult", "DIALECTS", "Derivation", "Dialect", "DropDoc", "KeepChunk", "KeepDoc", "Limits",
    "Normalize", "OPERATIONS", "OP_NAMES", "OpEffect", "OpError", "Operation", "Policy", "Program",
    "ProgramError", "RemoveLines", "RemoveStr", "apply", "decoding_grammar", "derive", "grammar_for",
    "parse", "render", "render_op", "try_parse",
]
