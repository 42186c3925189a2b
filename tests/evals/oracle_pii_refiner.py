"""A perfect PII rewriter for the privacy probe, usable as `--mode oracle_pii_refiner` (tests put this folder
on the import path): it rewrites each document with the probe's own ground truth (`--set facts=FILE`, the
probe's facts.jsonl), replacing every private value with its fake substitute."""

from __future__ import annotations

import json

from refine.refiners.base import Refinement, Refiner


class OraclePiiRefiner(Refiner):
    name = "oracle_pii"

    def __init__(self, facts_path: str):
        with open(facts_path, encoding="utf-8") as f:
            facts = [json.loads(line) for line in f]
        self.swaps = [(f"{f['prompt']} {f['answer']}.", f"{f['prompt']} {f['substitute']}.")
                      for f in facts if f["kind"] == "private"]

    def refine(self, docs):
        out = []
        for doc in docs:
            text = doc.text
            for old, new in self.swaps:
                text = text.replace(old, new)
            out.append(Refinement(doc.id, rewrite=text))
        return out

    def close(self):
        pass


def from_options(opts):
    return OraclePiiRefiner(opts.extra["facts"])
