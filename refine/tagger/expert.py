"""Training documents for the tagger, from whichever expert labelled them.

The annotation dataset of `refine annotate` (any expert) carries, on each doc-stage row, the whole
document's `text`, its per-line `labels` (1 = remove) and `doc_label` (1 = drop), so the tagger and
the generative refiner train from the same files. The synthetic expert can also be drawn directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from refine.tagger.data import TaggedDoc


def from_rows(rows: Iterable[dict]) -> list[TaggedDoc]:
    """TaggedDocs from annotation rows: the doc-stage rows, rows with `text` + `labels` only, or
    labelled pages (`text` + `content`, 1 = main content; see `from_labelled_pages`)."""
    docs = []
    for n, row in enumerate(rows, 1):
        if row.get("stage", "doc") != "doc":
            continue
        if "labels" not in row and isinstance(row.get("content"), list):
            docs.append(_labelled_page(n, row))
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


def from_labelled_pages(rows: Iterable[dict], sources: Iterable[str] | None = None) -> list[TaggedDoc]:
    """TaggedDocs from pages labelled per line with `content` (1 = main content, 0 = boilerplate), the
    format of real-page extraction benchmarks (`../shared/data/realweb`): labels flip to 1 = remove.
    `sources` keeps only the pages whose `source` field is one of them."""
    wanted = None if sources is None else set(sources)
    return [_labelled_page(n, row) for n, row in enumerate(rows, 1) if wanted is None or row.get("source") in wanted]


def _labelled_page(n: int, row: dict) -> TaggedDoc:
    content = row.get("content")
    if "text" not in row or not isinstance(content, list):
        raise ValueError(f"row {n} ({row.get('id', 'no id')}) needs `text` and a `content` list of 0/1 per line")
    try:
        return TaggedDoc(row["text"], [1 - int(bool(x)) for x in content], False, str(row.get("source", "")),
                         url=row.get("url"))
    except ValueError as exc:
        raise ValueError(f"row {n} ({row.get('id', 'no id')}): {exc}") from None


def read_labelled_pages(path: str | Path, sources: Iterable[str] | None = None) -> list[TaggedDoc]:
    """`from_labelled_pages` over a JSONL file (`.gz` and `.zst` too)."""
    import fsspec

    with fsspec.open(str(path), "rt", encoding="utf-8", compression="infer") as f:
        return from_labelled_pages((json.loads(line) for line in f if line.strip()), sources)
