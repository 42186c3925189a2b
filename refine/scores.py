"""Precision, recall and F1 from counts (positive = a removed line or a dropped document), with one
explicit convention for a ratio that has nothing to divide.

`undefined=None` (the default; `refine eval`'s reports): an undefined score is missing, shown as "—" and
left out of means, never counted as 0. `undefined=0.0`: it scores 0, so that ranking models by F1 puts one
that predicts nothing last (the tagger's model selection, `refine/tagger/metrics.py`, works so).
F1 is 2·tp / (2·tp + fp + fn), equal to the harmonic mean of precision and recall wherever both exist.
"""

from __future__ import annotations


def prf(tp: int, fp: int, fn: int, undefined: float | None = None) -> dict:
    """Precision, recall and F1 with their counts; a ratio with nothing to divide is `undefined`."""
    precision = tp / (tp + fp) if tp + fp else undefined
    recall = tp / (tp + fn) if tp + fn else undefined
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else undefined
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
