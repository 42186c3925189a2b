"""Precision and recall against gold at every threshold, from the scores a tagger run's audit keeps.

A tagger (or the default refiner) records each line's remove probability and each document's drop
probability (`remove_probs`, `drop_prob`). Cutting them at a threshold exactly as the tagger and
`refine recut` do (`>=`, blank lines between removed ones absorbed) gives the run that threshold would
have produced; scored against gold at each of a range of thresholds, it is a precision/recall curve
from which to pick the operating point, then `refine recut` writes that corpus.
"""

from __future__ import annotations

from typing import Sequence

from evals import gold as gold_metrics
from programs.lines import line_body, split_lines

THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 … 0.95


def _scores(row: dict, n_lines: int) -> tuple[list[float], float] | None:
    audit = row.get("audit") or {}
    probs, drop = audit.get("remove_probs"), audit.get("drop_prob")
    if isinstance(probs, list) and len(probs) == n_lines and isinstance(drop, (int, float)):
        return probs, float(drop)
    return None


def _droppable(row: dict) -> bool:
    """Whether a drop threshold can drop the document at all: the tagger keeps a page whose kept lines
    (at the run's line threshold) hold `keep_words` words, whatever its drop probability."""
    audit = row.get("audit") or {}
    kept, keep = audit.get("kept_words"), audit.get("keep_words")
    return not (isinstance(kept, int) and isinstance(keep, int) and kept >= keep)


def sweep(gold: dict, ids: Sequence[str], raw_texts: Sequence[str], audit: dict,
          thresholds: Sequence[float] = THRESHOLDS) -> dict | None:
    """{"docs": n, "lines": [{threshold, precision, recall, f1}, …], "documents": […]}; None when no gold
    document has scores. Lines are scored with each document's recorded drop decision, documents on
    their own (drop_prob against the gold drop label, a page the keep-words rule keeps never dropped)."""
    from refine.tagger.spans import absorb_blank_lines

    docs = []
    for i, text in zip(ids, raw_texts):
        g, row = gold.get(i), audit.get(i)
        if g is None or row is None:
            continue
        lines = split_lines(text)
        scored = _scores(row, len(lines))
        if scored is None:
            continue
        blank = [not line_body(x).strip() for x in lines]
        dropped = not row.get("kept", True)
        docs.append((g, scored[0], scored[1], blank, dropped, _droppable(row)))
    if not docs:
        return None
    line_curve, doc_curve = [], []
    for t in thresholds:
        predicted, expected, pred_drop, gold_drop = [], [], [], []
        for g, probs, drop_prob, blank, dropped, droppable in docs:
            if g.removed is not None:
                if dropped:
                    removed = set(range(len(probs)))
                else:
                    remove = absorb_blank_lines([p >= t for p in probs], blank)
                    removed = {k for k, r in enumerate(remove) if r}
                predicted.append(removed)
                expected.append(g.removed)
            if g.drop is not None:
                pred_drop.append(droppable and drop_prob >= t)
                gold_drop.append(g.drop)
        line_curve.append({"threshold": t, **_prf(gold_metrics.line_scores(predicted, expected))})
        doc_curve.append({"threshold": t, **_prf(gold_metrics.doc_scores(pred_drop, gold_drop))})
    return {"docs": len(docs), "lines": line_curve, "documents": doc_curve}


def _prf(m: dict) -> dict:
    return {k: m[k] for k in ("precision", "recall", "f1")}


def best(curve: list[dict]) -> dict:
    """The point of highest F1 (the lowest threshold among ties)."""
    return max(curve, key=lambda p: (p["f1"] if p["f1"] is not None else -1, -p["threshold"]))
