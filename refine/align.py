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
    src_words: tuple[str, ...] = ()


def _words(text: str) -> list[re.Match]:
    return list(_WORD.finditer(text))


def _lines(text: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for line in text.splitlines(keepends=True):
        spans.append((at, at + len(line)))
        at += len(line)
    return spans or [(0, 0)]


def changes(source: str, rewrite: str) -> list[Change]:
    """Lines are aligned first, then the words of each changed block of lines, so a common word on
    another line ("example", "com") cannot pull the alignment across lines."""
    src_lines, out_lines = _lines(source), _lines(rewrite)
    key = lambda text, spans: [text[a:b].strip().casefold() for a, b in spans]  # noqa: E731
    lines = SequenceMatcher(None, key(source, src_lines), key(rewrite, out_lines), autojunk=False)
    found = []
    for op, i1, i2, j1, j2 in lines.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:  # as many lines: a line-for-line edit
            for (a, b), (c, d) in zip(src_lines[i1:i2], out_lines[j1:j2]):
                found += _word_changes(source, rewrite, a, b, c, d)
            continue
        s0 = src_lines[i1][0] if i1 < i2 else (src_lines[i1][0] if i1 < len(src_lines) else len(source))
        s1 = src_lines[i2 - 1][1] if i1 < i2 else s0
        o0 = out_lines[j1][0] if j1 < j2 else (out_lines[j1][0] if j1 < len(out_lines) else len(rewrite))
        o1 = out_lines[j2 - 1][1] if j1 < j2 else o0
        found += _word_changes(source, rewrite, s0, s1, o0, o1)
    return found


def _word_changes(source: str, rewrite: str, s0: int, s1: int, o0: int, o1: int) -> list[Change]:
    src, out = list(_WORD.finditer(source, s0, s1)), list(_WORD.finditer(rewrite, o0, o1))
    matcher = SequenceMatcher(None, [m.group().casefold() for m in src], [m.group().casefold() for m in out],
                              autojunk=False)
    found = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        # an insertion's source side is the gap between its neighbouring words
        a = src[i1].start() if i1 < i2 else (src[i1 - 1].end() if i1 > 0 else s0)
        b = src[i2 - 1].end() if i1 < i2 else (src[i1].start() if i1 < len(src) else s1)
        c = out[j1].start() if j1 < j2 else (out[j1 - 1].end() if j1 > 0 else o0)
        d = out[j2 - 1].end() if j1 < j2 else c
        found.append(Change(a, b, c, d, tuple(m.group() for m in out[j1:j2]), tuple(m.group() for m in src[i1:i2])))
    return found


def touches(change: Change, spans: list[tuple[int, int]]) -> bool:
    """Whether the change's source side overlaps one of `spans` or, for an insertion (no source
    words: its side is the gap between two words), borders one."""
    lo, hi = change.src_start, change.src_end
    if not change.src_words:
        return any(a <= hi and lo <= b for a, b in spans)
    return any(lo < b and a < hi for a, b in spans)


def replaces(change: Change, spans: list[tuple[int, int]], source: str) -> bool:
    """Whether the change replaced personal data and little else: it touches one of `spans`, leaves at
    most one source word outside them, and writes at most three words per replaced word, plus three. A
    change that swallowed the sentence around a name is not a stand-in."""
    if not touches(change, spans):
        return False
    inside = outside = 0
    for m in _WORD.finditer(source, change.src_start, change.src_end):
        if any(a <= m.start() < b for a, b in spans):
            inside += 1
        else:
            outside += 1
    return outside <= 1 and len(change.out_words) <= 3 * inside + 3


def novel_outside(source: str, rewrite: str, spans: list[tuple[int, int]]) -> tuple[list[str], int]:
    """(output words that the source never contains and that did not replace one of the source `spans`,
    output word count): the inventions a PII rewrite may not make."""
    known = {m.group().casefold() for m in _words(source)}
    novel = [w for c in changes(source, rewrite) if not replaces(c, spans, source)
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
