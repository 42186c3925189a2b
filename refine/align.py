"""Word-level alignment of a rewrite to its source: which source words each changed output region replaced.

The guards and the PII benchmark need to tell a stand-in (output words that replaced personal data)
from an invention elsewhere (output words that replaced or joined ordinary text). difflib aligns the
two word sequences (`\\w+` runs, compared case-folded); every non-equal block is one `Change`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Change:
    """Source chars [src_start, src_end) became output chars [out_start, out_end) (either may be empty:
    an insertion sits at src_start, between source words)."""

    src_start: int
    src_end: int
    out_start: int
    out_end: int
    out_words: tuple[str, ...]


def _words(text: str) -> list[re.Match]:
    return list(_WORD.finditer(text))


def changes(source: str, rewrite: str) -> list[Change]:
    src, out = _words(source), _words(rewrite)
    matcher = SequenceMatcher(None, [m.group().casefold() for m in src], [m.group().casefold() for m in out],
                              autojunk=False)
    found = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        s0 = src[i1].start() if i1 < i2 else (src[i1 - 1].end() if i1 > 0 else 0)
        s1 = src[i2 - 1].end() if i1 < i2 else (src[i1].start() if i1 < len(src) else len(source))
        o0 = out[j1].start() if j1 < j2 else (out[j1 - 1].end() if j1 > 0 else 0)
        o1 = out[j2 - 1].end() if j1 < j2 else o0
        found.append(Change(s0, s1, o0, o1, tuple(m.group() for m in out[j1:j2])))
    return found


def touches(change: Change, spans: list[tuple[int, int]]) -> bool:
    """Whether the change's source side overlaps (or, for an insertion, borders) one of `spans`."""
    lo, hi = change.src_start, change.src_end
    if lo == hi:
        return any(a <= lo <= b for a, b in spans)
    return any(lo < b and a < hi for a, b in spans)


def novel_outside(source: str, rewrite: str, spans: list[tuple[int, int]]) -> tuple[list[str], int]:
    """(output words that the source never contains and that did not replace one of the source `spans`,
    output word count): the inventions a PII rewrite may not make."""
    known = {m.group().casefold() for m in _words(source)}
    novel = [w for c in changes(source, rewrite) if not touches(c, spans)
             for w in c.out_words if w.casefold() not in known]
    return novel, len(_words(rewrite))


def mapped_text(source: str, rewrite: str, start: int, end: int, found: list[Change] | None = None) -> str:
    """What the source chars [start, end) became in the rewrite: the output of the changes that
    overlap them, or the span itself where it was left unchanged."""
    found = changes(source, rewrite) if found is None else found
    hit = [c for c in found if c.src_start < end and start < c.src_end]
    if not hit:
        return source[start:end]
    return rewrite[min(c.out_start for c in hit): max(c.out_end for c in hit)]
