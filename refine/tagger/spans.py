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
