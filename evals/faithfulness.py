"""How faithful a refined document is to its raw one: new words, pure deletion, characters edited.

Edit programs only delete (and normalize); rewrites may invent. RefineX reports novel words per 1,000
tokens (RefineX 0.00, ProX 0.01-0.32, end-to-end rewriting 5.5-19.3). Words here are `\\w+` runs, not
whitespace tokens, so that deleting a comma from "word," does not count "word" as new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Sequence

from programs.lines import line_body, split_lines

_WORD = re.compile(r"\w+")
#: Above this many (raw chars x refined chars), a changed block of lines is not diffed char by char.
MAX_DIFF_CELLS = 4_000_000


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def novel_words(raw: str, refined: str) -> tuple[int, int]:
    """(words of `refined` that never occur in `raw`, words of `refined`)."""
    seen = set(words(raw))
    refined_words = words(refined)
    return sum(w not in seen for w in refined_words), len(refined_words)


def novel_words_per_1k(raw: Sequence[str], refined: Sequence[str]) -> float:
    """Novel words per 1,000 refined words over paired documents (micro-averaged); 0 when nothing is left."""
    novel = total = 0
    for t, r in zip(raw, refined, strict=True):
        n, k = novel_words(t, r)
        novel += n
        total += k
    return 1000 * novel / total if total else 0.0


def is_char_subsequence(refined: str, raw: str) -> bool:
    """True when `refined` is `raw` with some characters deleted (and nothing added or changed)."""
    it = iter(raw)
    return all(ch in it for ch in refined)


def is_line_subsequence(refined: str, raw: str) -> bool:
    """True when `refined` is `raw` with whole lines deleted: its lines, in order, are raw lines."""
    it = iter(map(line_body, split_lines(raw)))
    return all(line in it for line in map(line_body, split_lines(refined)))


@dataclass(frozen=True)
class CharEdits:
    """Characters edited: `len(refined) == len(raw) - deleted + inserted + replaced`."""

    inserted: int = 0  # refined characters added where nothing was removed
    replaced: int = 0  # refined characters that took the place of removed raw characters
    deleted: int = 0  # raw characters removed (with or without a replacement)

    def __add__(self, other: "CharEdits") -> "CharEdits":
        return CharEdits(self.inserted + other.inserted, self.replaced + other.replaced,
                         self.deleted + other.deleted)


def char_edits(raw: str, refined: str) -> CharEdits:
    """Characters inserted, replaced and deleted from `raw` to `refined`.

    A pure deletion is counted exactly without a diff. Otherwise lines are diffed first and changed
    blocks of lines char by char (difflib, autojunk off); a block too large to diff char by char
    counts as wholly replaced, which overstates `replaced` rather than hiding it.
    """
    if is_char_subsequence(refined, raw):
        return CharEdits(deleted=len(raw) - len(refined))
    a, b = split_lines(raw), split_lines(refined)
    total = CharEdits()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "delete":
            total += CharEdits(deleted=sum(map(len, a[i1:i2])))
        elif tag == "insert":
            total += CharEdits(inserted=sum(map(len, b[j1:j2])))
        elif tag == "replace":
            total += _block_edits("".join(a[i1:i2]), "".join(b[j1:j2]))
    return total


def _block_edits(a: str, b: str) -> CharEdits:
    if len(a) * len(b) > MAX_DIFF_CELLS:
        return CharEdits(replaced=len(b), deleted=len(a))
    inserted = replaced = deleted = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "insert":
            inserted += j2 - j1
        elif tag == "delete":
            deleted += i2 - i1
        elif tag == "replace":
            replaced += j2 - j1
            deleted += i2 - i1
    return CharEdits(inserted, replaced, deleted)


def deletion_subsequence_shares(raw: Sequence[str], refined: Sequence[str]) -> dict:
    """Shares of refined documents that are whole-line deletions (`line`) and pure deletions (`char`)."""
    pairs = list(zip(raw, refined, strict=True))
    if not pairs:
        return {"line": None, "char": None}
    line = sum(is_line_subsequence(r, t) for t, r in pairs)
    char = sum(is_char_subsequence(r, t) for t, r in pairs)
    return {"line": line / len(pairs), "char": char / len(pairs)}
