"""How varied a corpus is: distinct n-grams, compressibility, and embedding spread.

Refining should keep the raw data's diversity (GDR checks this; synthetic rewrites often collapse it).
distinct-n is unique n-grams / all n-grams over the corpus (n-grams do not cross documents); the
compression ratio is raw bytes / zlib bytes of the concatenated corpus (higher: more repetitive); the
embedding spread is the mean cosine distance between distinct pairs of document embeddings.
distinct-n falls and compressibility rises as a corpus grows, so compare corpora on the same number
of words (`take_words`): a refined corpus is smaller than its raw one and would look more diverse.
"""

from __future__ import annotations

import zlib
from typing import Iterable, Sequence

import numpy as np


def take_words(texts: Iterable[str], budget: int) -> list[str]:
    """The texts, in order, up to `budget` whitespace words in all (the last one cut short)."""
    out: list[str] = []
    left = budget
    for text in texts:
        if left <= 0:
            break
        tokens = text.split()
        if len(tokens) <= left:
            out.append(text)
        else:
            out.append(" ".join(tokens[:left]))
        left -= len(tokens)
    return out


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Unique n-grams of whitespace tokens / all n-grams, over the corpus; 0 when there are none."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    seen: set[tuple[str, ...]] = set()
    total = 0
    for text in texts:
        tokens = text.split()
        grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def distinct(texts: Sequence[str], max_n: int = 3) -> dict[str, float]:
    """distinct-1 .. distinct-`max_n`, keyed "distinct_1" ..."""
    return {f"distinct_{n}": distinct_n(texts, n) for n in range(1, max_n + 1)}


def compression_ratio(texts: Iterable[str], level: int = 9) -> float:
    """UTF-8 bytes / zlib-compressed bytes of the texts joined by newlines (streamed); 0 for no text."""
    compressor = zlib.compressobj(level)
    size = compressed = 0
    for i, text in enumerate(texts):
        data = (("\n" if i else "") + text).encode("utf-8")
        size += len(data)
        compressed += len(compressor.compress(data))
    compressed += len(compressor.flush())
    return size / compressed if size else 0.0


def mean_pairwise_distance(embeddings) -> float | None:
    """Mean cosine distance (1 - cosine similarity) over distinct pairs of rows; None for fewer than 2.

    Computed from the sum of unit vectors in O(n*d): sum_{i!=j} cos = |sum u|^2 - n.
    """
    e = np.asarray(embeddings, dtype=np.float64)
    n = e.shape[0]
    if n < 2:
        return None
    norms = np.linalg.norm(e, axis=1, keepdims=True)
    u = e / np.where(norms == 0, 1.0, norms)
    s = u.sum(axis=0)
    mean_sim = (float(s @ s) - float((u * u).sum())) / (n * (n - 1))
    return 1.0 - mean_sim
