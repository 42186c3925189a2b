"""Personal data left in a corpus, by kind, as `refine.pii.detect_pii` finds it.

The check of `--instruction pii` rewrites: compare the raw corpus with the refined one. Person names
are counted only when a NER model is installed (`refine.pii.name_detector()` says which).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from refine.pii import detect_pii, name_detector


def pii_counts(texts: Iterable[str], names: bool = True) -> dict:
    """Spans by kind, their total, and the documents with at least one span."""
    kinds: Counter = Counter()
    docs_with_pii = docs = 0
    for text in texts:
        docs += 1
        spans = detect_pii(text, names=names)
        kinds.update(s.kind for s in spans)
        docs_with_pii += bool(spans)
    return {"docs": docs, "spans": sum(kinds.values()), "docs_with_pii": docs_with_pii,
            "by_kind": dict(kinds.most_common())}


def detector_description(names: bool = True) -> str:
    return name_detector() if names else "regex only (names not detected)"
