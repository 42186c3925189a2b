"""Per-line decisions → program texts in the program language.

Consecutive removed lines become one `remove_lines(line_start=a, line_end=b)` (document numbering,
0-based, inclusive), a dropped document `drop_doc()`, so a tagger's output is audited, shown and
applied by the same interpreter as any model's programs, and is valid by construction.
"""

from __future__ import annotations

from typing import Sequence

from programs.lines import runs
from refine.refiners.base import ScopedProgram


def removal_spans(remove: Sequence[bool]) -> list[tuple[int, int]]:
    """Inclusive (start, end) ranges of consecutive True values."""
    return runs(remove)


def absorb_blank_lines(remove: Sequence[bool], blank: Sequence[bool]) -> list[bool]:
    """Also remove blank lines that only separate removed lines (or a removed block from the start
    or end of the document): they belonged to the boilerplate, and fewer, longer spans result."""
    out = list(remove)
    n = len(out)
    i = 0
    while i < n:
        if not blank[i] or out[i]:
            i += 1
            continue
        j = i
        while j < n and blank[j] and not out[j]:
            j += 1
        before = i == 0 or out[i - 1]
        after = j == n or out[j]
        touches_removed = (i > 0 and out[i - 1]) or (j < n and out[j])
        if before and after and touches_removed:
            out[i:j] = [True] * (j - i)
        i = j
    return out


#: A page whose kept lines still hold this many words is not dropped, whatever the doc head says: the
#: two heads must agree before a page loses everything (cross-source runs dropped long real pages
#: whose lines the line head kept). Unwanted pages keep ~0 words (`bench/results/tagger.md`).
KEEP_WORDS = 50


def cut(bodies: Sequence[str], remove_probs: Sequence[float], drop_prob: float, line_threshold: float,
        doc_threshold: float | None, keep_words: int = KEEP_WORDS, dropped: bool = False) -> tuple[list[bool], bool]:
    """The tagger's decisions from its scores: (remove per line, drop). Lines at or above
    `line_threshold` go (blank lines between them with them); the page goes when `drop_prob` reaches
    `doc_threshold` and the kept lines hold fewer than `keep_words` words. `doc_threshold=None`
    keeps an earlier decision, `dropped`. The refiner, `refine recut` and the evaluations all cut here."""
    remove = absorb_blank_lines([p >= line_threshold for p in remove_probs], [not b.strip() for b in bodies])
    if doc_threshold is None:
        return remove, dropped
    return remove, drop_prob >= doc_threshold and kept_words(bodies, remove) < keep_words


def kept_words(bodies: Sequence[str], remove: Sequence[bool]) -> int:
    return sum(len(b.split()) for b, r in zip(bodies, remove) if not r)


def to_programs(remove: Sequence[bool], drop: bool, stages: Sequence[str] = ("doc", "chunk")) -> list[ScopedProgram]:
    """The doc-stage and chunk-stage programs for one document's decisions."""
    programs = []
    if "doc" in stages:
        programs.append(ScopedProgram("drop_doc()" if drop else "keep_doc()", None, "doc"))
        if drop:
            return programs
    if "chunk" in stages:
        ops = [f"remove_lines(line_start={a}, line_end={b})" for a, b in removal_spans(remove)]
        programs.append(ScopedProgram("\n".join(ops) or "keep_chunk()", None, "chunk"))
    return programs
