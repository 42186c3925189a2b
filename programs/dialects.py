"""Dialects, parameters and signatures: the small data `parse`, `render` and `grammar` share.

A dialect is how one family of models writes programs (names, keywords, first line number); a
signature is an operation's parameters, read from its dataclass. A new dialect or operation is a few
lines here. Nothing in this module imports the rest of `programs`, so every other module may import it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per dialect
class Dialect:
    """How one family of models writes programs. `render` writes a dialect's own names; `parse`
    accepts them, the canonical names and the `aliases`."""

    name: str
    first_line: int = 0  # the number the text gives the document's first line (0 or 1)
    names: dict[str, str] = field(default_factory=dict)  # canonical op name -> dialect's name
    keywords: dict[str, str] = field(default_factory=dict)  # canonical keyword -> dialect's keyword
    aliases: dict[str, str] = field(default_factory=dict)  # extra accepted name -> canonical op name

    def op_name(self, canonical: str) -> str:
        return self.names.get(canonical, canonical)

    def keyword(self, canonical: str) -> str:
        return self.keywords.get(canonical, canonical)


DIALECTS: dict[str, Dialect] = {
    "prox": Dialect("prox", aliases={"untouch_doc": "keep_doc"}),
    "refinex": Dialect(
        "refinex",
        first_line=1,
        names={"keep_chunk": "keep_all"},
        keywords={"line_start": "start_line", "line_end": "end_line"},
    ),
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown program dialect {name!r}; known: {', '.join(DIALECTS)}") from None


@dataclass(frozen=True)
class Param:
    """One argument of an operation, read from the operation's dataclass. Integer parameters are
    line numbers (the dialect shifts them); `required` is False when the field has a default; a
    required string may not be empty (`del_str`, `source_str`: there is nothing to find)."""

    name: str
    type: type  # int or str
    required: bool

    @property
    def nonempty(self) -> bool:
        return self.required and self.type is str


@cache
def signature(op_type: type) -> tuple[Param, ...]:
    """The operation's parameters in positional order (its dataclass fields)."""
    types = {"int": int, "str": str}
    return tuple(
        Param(f.name, types[f.type if isinstance(f.type, str) else f.type.__name__],
              f.default is dataclasses.MISSING)
        for f in dataclasses.fields(op_type)
    )
