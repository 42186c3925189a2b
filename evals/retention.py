"""What survived refining: documents and words kept, untouched, emptied and dropped, and lengths.

A refined side of None means the document was dropped (absent from the refined corpus); an empty or
blank refined text means it was emptied (kept, but with nothing left). Words are whitespace tokens,
the unit `refine run`'s stats count in.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


def word_count(text: str) -> int:
    return len(text.split())


def retention(raw: Sequence[str], refined: Sequence[str | None]) -> dict:
    """Counts and shares over paired documents (`refined[i]` is `raw[i]` refined, or None if dropped)."""
    if len(raw) != len(refined):
        raise ValueError(f"{len(raw)} raw documents but {len(refined)} refined ones: pass them paired")
    docs = len(raw)
    dropped = sum(r is None for r in refined)
    emptied = sum(r is not None and not r.strip() for r in refined)
    untouched = sum(r is not None and r == t for t, r in zip(raw, refined))
    words_raw = sum(map(word_count, raw))
    words_refined = sum(word_count(r) for r in refined if r is not None)
    chars_raw = sum(map(len, raw))
    chars_refined = sum(len(r) for r in refined if r is not None)
    return {
        "docs_raw": docs,
        "docs_kept": docs - dropped,
        "docs_dropped": dropped,
        "docs_emptied": emptied,
        "docs_untouched": untouched,
        "docs_changed": docs - dropped - untouched,
        "share_dropped": _share(dropped, docs),
        "share_emptied": _share(emptied, docs),
        "share_untouched": _share(untouched, docs),
        "words_raw": words_raw,
        "words_refined": words_refined,
        "kept_ratio_words": _share(words_refined, words_raw),
        "chars_raw": chars_raw,
        "chars_refined": chars_refined,
        "kept_ratio_chars": _share(chars_refined, chars_raw),
    }


def kept_ratios(raw: Sequence[str], refined: Sequence[str | None]) -> list[float]:
    """Per document: refined words / raw words (0 for a dropped document)."""
    out = []
    for t, r in zip(raw, refined):
        n = word_count(t)
        out.append(0.0 if r is None or n == 0 else word_count(r) / n)
    return out


def distribution(values: Iterable[float]) -> dict:
    """Mean and quantiles of a length (or ratio) distribution; all None when it is empty."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return {"n": 0, "mean": None, "p10": None, "p50": None, "p90": None, "min": None, "max": None}
    p10, p50, p90 = np.percentile(arr, [10, 50, 90])
    return {"n": int(arr.size), "mean": float(arr.mean()), "p10": float(p10), "p50": float(p50),
            "p90": float(p90), "min": float(arr.min()), "max": float(arr.max())}


def _share(n: float, of: float) -> float | None:
    return n / of if of else None
