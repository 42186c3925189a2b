"""What refining took out: why documents were dropped, and which lines were removed.

The first thing a data engineer checks is whether what went is junk: the drop reasons (with the
refiner's own reason, a rule's name say, when the run's audit has it) and the removed lines, the most
frequent ones (site chrome, if the refiner works) and a sample of lines removed only once (where
content lost by mistake shows first).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterable

from programs.lines import line_body, split_lines

EXAMPLES = 10
MAX_CHARS = 160  # an example line is cut here


def drop_reasons(audit_rows: Iterable[dict]) -> dict[str, int]:
    """Dropped documents by reason, most frequent first: "drop_doc (gopher_min_words)", "min_words", …"""
    reasons: Counter = Counter()
    for row in audit_rows:
        if row.get("kept", True):
            continue
        reason = row.get("drop_reason") or "unknown"
        own = (row.get("audit") or {}).get("drop_reason")
        reasons[f"{reason} ({own})" if reason == "drop_doc" and own else reason] += 1
    return dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def removed_lines(pairs: Iterable[tuple[str, str | None]]) -> Counter:
    """Line text (stripped, non-blank) -> how many kept documents lost it: the raw lines that the
    refined text no longer has, counted per document (a dropped document's lines are not counted)."""
    removed: Counter = Counter()
    for raw, refined in pairs:
        if refined is None:
            continue
        before = Counter(b for b in (line_body(x).strip() for x in split_lines(raw)) if b)
        after = Counter(b for b in (line_body(x).strip() for x in split_lines(refined)) if b)
        removed.update((before - after).keys())
    return removed


def removal_summary(pairs: Iterable[tuple[str, str | None]], n: int = EXAMPLES) -> dict:
    """report.json's `removals`: totals, the `n` most removed lines and `n` lines removed once."""
    counts = removed_lines(pairs)
    once = sorted((line for line, c in counts.items() if c == 1),
                  key=lambda line: hashlib.sha1(line.encode("utf-8")).digest())[:n]
    return {"distinct_lines_removed": len(counts), "line_removals": sum(counts.values()),
            "most_removed": [[_cut(line), c] for line, c in counts.most_common(n)],
            "removed_once_sample": [_cut(line) for line in once]}


def _cut(line: str) -> str:
    return line if len(line) <= MAX_CHARS else line[:MAX_CHARS - 1] + "…"

