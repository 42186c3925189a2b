"""A labelled document for the tagger, and the arrays the network reads for a batch of them.

Labels are per line in `programs.lines` numbering: 1 = remove the line, 0 = keep it; `drop` says
the whole document goes. Whatever the expert (synthetic pages, programs from a large model, human
edits), its output becomes `TaggedDoc`s before training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from programs.lines import line_body, split_lines


@dataclass
class TaggedDoc:
    text: str
    labels: list[int]  # one per line of split_lines(text)
    drop: bool = False
    source: str = ""
    url: str | None = None  # the page's address, when known: corpus line counts are kept per host

    @property
    def bodies(self) -> list[str]:
        return [line_body(line) for line in split_lines(self.text)]

    def __post_init__(self) -> None:
        n = len(split_lines(self.text))
        if len(self.labels) != n:
            raise ValueError(f"{len(self.labels)} labels for a document of {n} lines")


PAD_TO = 16


@dataclass
class Batch:
    """Padded arrays for a batch of documents (docs × lines); padded positions have mask False."""

    embeddings: np.ndarray  # float32 (docs, lines, dim): line embeddings, or their projections
    features: np.ndarray  # float32 (docs, lines, n_features)
    mask: np.ndarray  # bool (docs, lines)
    labels: np.ndarray  # float32 (docs, lines); 0 where padded or unknown
    drop: np.ndarray  # float32 (docs,)


def pad_batch(
    embeddings: Sequence[np.ndarray],
    features: Sequence[np.ndarray],
    labels: Sequence[Sequence[int]] | None = None,
    drop: Sequence[bool] | None = None,
) -> Batch:
    docs = len(embeddings)
    longest = max((len(e) for e in embeddings), default=0) or 1
    width = -(-longest // PAD_TO) * PAD_TO  # few distinct shapes: CPU kernels are planned per shape
    dim, nf = embeddings[0].shape[1], features[0].shape[1]
    batch = Batch(
        np.zeros((docs, width, dim), np.float32),
        np.zeros((docs, width, nf), np.float32),
        np.zeros((docs, width), bool),
        np.zeros((docs, width), np.float32),
        np.asarray(drop if drop is not None else [0] * docs, np.float32),
    )
    for i, (e, f) in enumerate(zip(embeddings, features)):
        n = len(e)
        batch.embeddings[i, :n] = e
        batch.features[i, :n] = f
        batch.mask[i, :n] = True
        if labels is not None:
            batch.labels[i, :n] = labels[i]
    return batch
