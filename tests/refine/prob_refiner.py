"""`--mode prob_refiner`: a stand-in for the tagger that scores lines and documents with fixed rules and
cuts at `--set threshold=` / `doc_threshold=` (default 0.5), keeping the scores in the audit as the
tagger does (`remove_probs`, `drop_prob`), so `refine recut` can be checked against a direct run."""

from __future__ import annotations

from refine.refiners.base import Refinement, Refiner
from refine.tagger.spans import absorb_blank_lines, to_programs


def line_prob(body: str) -> float:
    low = body.lower()
    if "cookie" in low:
        return 0.8
    if "share" in low or "menu" in low:
        return 0.6
    return 0.1 if body.strip() else 0.0


def doc_prob(text: str) -> float:
    return 0.95 if "BUY NOW" in text else (0.55 if "maybe spam" in text else 0.05)


class ProbRefiner(Refiner):
    name = "prob"

    def __init__(self, threshold: float = 0.5, doc_threshold: float = 0.5, stages=("doc", "chunk")):
        self.threshold, self.doc_threshold, self.stages = threshold, doc_threshold, stages

    def refine(self, docs):
        out = []
        for doc in docs:
            probs = [line_prob(b) for b in doc.bodies]
            drop_prob = doc_prob(doc.text)
            remove = absorb_blank_lines([p >= self.threshold for p in probs], [not b.strip() for b in doc.bodies])
            out.append(Refinement(doc.id, programs=to_programs(remove, drop_prob >= self.doc_threshold, self.stages),
                                  audit={"lines": len(remove), "removed_lines": int(sum(remove)),
                                         "drop_prob": drop_prob, "remove_probs": probs}))
        return out

    def close(self):
        pass


def from_options(opts):
    return ProbRefiner(float(opts.extra.get("threshold", 0.5)), float(opts.extra.get("doc_threshold", 0.5)),
                       opts.stages)
