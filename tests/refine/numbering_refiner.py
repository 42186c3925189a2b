"""`--mode numbering_refiner`: removes each line holding "REMOVE", numbered in the run's dialect (prox
0-based, refinex 1-based) as a model prompted in that dialect would; adds a program line past the end
for documents holding "BAD" (an out-of-range error). Tests use it to see which settings reach the pipeline."""

from __future__ import annotations

from refine.refiners.base import Refinement, Refiner, ScopedProgram


class NumberingRefiner(Refiner):
    name = "numbering"

    def __init__(self, base: int):
        self.base = base

    def refine(self, docs):
        out = []
        for doc in docs:
            ops = [f"remove_lines(line_start={i + self.base}, line_end={i + self.base})"
                   for i, line in enumerate(doc.lines) if "REMOVE" in line]
            if "BAD" in doc.text:
                ops.append(f"remove_lines(line_start={len(doc.lines) + 5}, line_end={len(doc.lines) + 5})")
            programs = [ScopedProgram("\n".join(ops), None, "chunk")] if ops else []
            out.append(Refinement(doc.id, programs=programs))
        return out

    def close(self):
        pass


def from_options(opts):
    return NumberingRefiner(1 if opts.dialect == "refinex" else 0)
