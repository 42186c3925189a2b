"""Training documents for the tagger, from whichever expert labelled them.

The annotation dataset of `refine annotate` (any expert) carries, on each doc-stage row, the whole
document's `text`, its per-line `labels` (1 = remove) and `doc_label` (1 = drop), so the tagger and
the generative refiner train from the same files. The synthetic expert can also be drawn directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from refine.tagger.data import TaggedDoc


def from_rows(rows: Iterable[dict]) -> list[TaggedDoc]:
    """TaggedDocs from annotation rows: the doc-stage rows, or rows with `text` + `labels` only."""
    docs = []
    for n, row in enumerate(rows, 1):
        if row.get("stage", "doc") != "doc":
            continue
        if "text" not in row or "labels" not in row:
            raise ValueError(
                f"row {n} ({row.get('id', 'no id')}) has no `text` and `labels`: tagger data needs the whole "
                "document and one label per line (1 = remove), as `refine annotate` writes them"
            )
        try:
            docs.append(TaggedDoc(row["text"], [int(x) for x in row["labels"]], bool(row.get("doc_label", 0)),
                                  str(row.get("source", ""))))
        except ValueError as exc:
            raise ValueError(f"row {n} ({row.get('id', 'no id')}): {exc}") from None
    return docs


def read_annotations(path: str | Path) -> list[TaggedDoc]:
    """TaggedDocs from an annotation directory (`train.jsonl` inside) or a JSONL file."""
    from refine.annotate.dataset import iter_annotations

    return from_rows(iter_annotations(path))


def synthetic_docs(n: int, seed: int, split: str) -> list[TaggedDoc]:
    """`n` pages straight from the synthetic expert (`refine.annotate.synthetic`)."""
    from refine.annotate.synthetic import generate_synthetic

    return [TaggedDoc(s.text, list(s.labels), s.drop, s.source) for s in generate_synthetic(n, seed, split)]
