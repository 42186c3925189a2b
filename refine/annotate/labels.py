"""The labels expert: pages whose lines are already labelled, 1 = main content and 0 = boilerplate (the
format of `realweb`: {"id", "text", "content": [0, 1, ...]}, one label per "\\n"-separated line), become
the same doc-stage and chunk-stage rows as every other expert (`dataset.document_rows`, ProX format).

Each chunk's program removes its boilerplate lines as merged `remove_lines` runs (`keep_chunk()` when it
has none). A page whose content holds fewer than `min_content_words` words is a doc-level drop: there
is nothing in it worth training on, so its program is `drop_doc()` (realweb: 54 of 1,368 Dragnet pages,
none of L3S-GN1's or readability's, at the default 50). Records without usable labels are rejected
with a reason, counted in the stats, and named in the returned problems.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from programs.lines import split_lines
from refine.annotate.dataset import Prompter, Stats, document_rows
from refine.document import Document

LABEL_FIELD = "content"
MIN_CONTENT_WORDS = 50
_WORD = re.compile(r"\w+")


def line_labels(doc: Document, field: str = LABEL_FIELD) -> list[int] | str:
    """The page's per-line content labels (1 = content), aligned to `split_lines(doc.text)`, or why
    they cannot be used (a message naming the field and the counts)."""
    labels = doc.fields.get(field)
    if labels is None:
        return f"no {field!r} field with per-line labels (choose it with --label-field)"
    if not isinstance(labels, list) or any(x not in (0, 1, True, False) for x in labels):
        return f"{field!r} must be a list of 0/1 labels, one per line"
    n = len(split_lines(doc.text))
    if len(labels) == n + 1 and doc.text.endswith("\n"):  # `text.split("\n")` counts the empty last piece
        labels = labels[:-1]
    if len(labels) != n:
        return f"{field!r} has {len(labels)} labels for {n} lines"
    return [int(x) for x in labels]


def content_words(doc: Document, content: list[int]) -> int:
    return sum(len(_WORD.findall(line)) for line, keep in zip(doc.lines, content) if keep)


def annotate_labels(docs: Iterable[Document], stats: Stats, prompter: Prompter | None = None, *,
                    field: str = LABEL_FIELD, min_content_words: int = MIN_CONTENT_WORDS, split: str = "expert",
                    problems: list[str] | None = None) -> Iterator[dict]:
    """Rows for labelled `docs`; unusable records are counted in `stats` and described in `problems`."""
    prompter = prompter or Prompter()
    for doc in docs:
        content = line_labels(doc, field)
        source = str(doc.fields.get("source") or "labels")
        if isinstance(content, str):
            stats.reject("labels_unusable", source)
            if problems is not None:
                problems.append(f"record {doc.id!r}: {content}")
            continue
        words = content_words(doc, content)
        drop = words < min_content_words
        rows = document_rows(prompter, id=doc.id, text=doc.text, labels=[1] * len(content) if drop else
                             [1 - keep for keep in content], doc_label=int(drop), source=source, split=split,
                             expert="labels", content_words=words)
        stats.add_rows(rows)
        yield from rows
