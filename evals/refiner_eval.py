"""Scoring a program-writing model on annotated documents: generate, then `refiner_metrics.score`.

The prompts are those `refine run --mode programs` sends (built by a `ProgramRefiner` on the backend),
at the chunk and doc budgets the model was trained with (its `train.json`) unless told otherwise. The
doc stage runs on every document; the chunk stage on every document the gold keeps, so each stage is
scored on its own (a wrong drop does not hide the chunk stage's lines).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from evals.refiner_metrics import DocPrograms, score
from refine.refiners.budgets import PROX_CHUNK_TOKENS, PROX_DOC_TOKENS
from refine.train.data import GoldDoc, Sample, make_samples


@dataclass
class EvalSettings:
    chunk_tokens: int = PROX_CHUNK_TOKENS
    doc_tokens: int = PROX_DOC_TOKENS
    max_new_tokens: int = 256
    dialect: str = "prox"
    stages: tuple[str, ...] = ("doc", "chunk")

    @classmethod
    def for_model(cls, record: dict, chunk_tokens: int | None = None, doc_tokens: int | None = None) -> "EvalSettings":
        """The budgets in a trained model's `train.json` record (ProX's defaults without one), overridden
        by explicit values."""
        inference = record.get("inference") or {}
        return cls(chunk_tokens=chunk_tokens or inference.get("chunk_tokens", PROX_CHUNK_TOKENS),
                   doc_tokens=doc_tokens or inference.get("doc_tokens", PROX_DOC_TOKENS),
                   max_new_tokens=inference.get("max_new_tokens", 256),
                   dialect=inference.get("dialect", "prox"),
                   stages=tuple(inference.get("stages", ("doc", "chunk"))))


def predict(backend, tokenizer, docs: Sequence[GoldDoc], settings: EvalSettings, constrained: bool
            ) -> tuple[list[DocPrograms], dict]:
    """Generate every doc and chunk program for `docs`; returns them beside the gold, and run facts."""
    from refine.prompts import prompts_from_options
    from refine.options import RunOptions
    from refine.refiners.programs import ProgramRefiner

    prompts = prompts_from_options(RunOptions(mode="programs", dialect=settings.dialect))
    refiner = ProgramRefiner(backend, tokenizer, prompts, stages=settings.stages, chunk_tokens=settings.chunk_tokens,
                             doc_tokens=settings.doc_tokens, max_new_tokens=settings.max_new_tokens,
                             constrained=constrained, dialect=settings.dialect)
    samples, skipped = make_samples(docs, refiner, settings.stages, settings.dialect)
    started = time.perf_counter()
    completions = backend.generate([s.request for s in samples])
    seconds = time.perf_counter() - started
    by_doc: dict[str, list[tuple[Sample, object]]] = defaultdict(list)
    for sample, done in zip(samples, completions):
        by_doc[sample.doc_id].append((sample, done))
    out = []
    for doc in docs:
        pairs = by_doc.get(doc.id, [])
        doc_out = next((done.text.strip() for s, done in pairs if s.stage == "doc"), None)
        chunks = [(s, done) for s, done in pairs if s.stage == "chunk"]
        out.append(DocPrograms(doc.id, doc.text, doc.drop, gold=[(s.target, s.scope) for s, _ in chunks],
                               predicted_doc=doc_out, predicted=[(_emitted(done, s, constrained, settings.dialect), s.scope)
                                                                 for s, done in chunks]))
    finish = Counter(done.finish_reason for done in completions)
    facts = {"requests": len(samples), "finish_reasons": dict(finish), "left_out": dict(skipped),
             "generate_seconds": round(seconds, 2),
             "completion_tokens": sum(done.completion_tokens for done in completions),
             "docs_per_second": round(len(docs) / seconds, 3) if seconds > 0 else None}
    return out, facts


def _emitted(done, sample: Sample, constrained: bool, dialect: str) -> str:
    """The chunk program as `refine run` keeps it: a constrained one cut at its budget loses its unfinished call."""
    from refine.refiners.programs import complete_calls

    text = done.text.strip()
    return complete_calls(text, dialect, sample.scope) if constrained and done.finish_reason == "length" else text


def evaluate(backend, tokenizer, docs: Sequence[GoldDoc], settings: EvalSettings,
             modes: Sequence[bool] = (False, True)) -> dict:
    """The metrics for each decoding mode in `modes` (False: free, True: grammar-constrained)."""
    report = {"settings": {"chunk_tokens": settings.chunk_tokens, "doc_tokens": settings.doc_tokens,
                           "max_new_tokens": settings.max_new_tokens, "stages": list(settings.stages)}}
    for constrained in modes:
        predictions, facts = predict(backend, tokenizer, docs, settings, constrained)
        report["constrained" if constrained else "unconstrained"] = {**score(predictions, settings.dialect),
                                                                      "generation": facts}
    return report


def summary_rows(report: dict) -> list[tuple[str, ...]]:
    """(metric, unconstrained, constrained) rows for a printed table."""

    def pct(x) -> str:
        return "-" if x is None else f"{100 * x:.1f}"

    modes = [report.get("unconstrained"), report.get("constrained")]
    rows = [
        ("validity (all programs) %", *(pct(m["validity"]["all"]) if m else "" for m in modes)),
        ("exact match, doc %", *(pct(m["exact_match"]["doc"]) if m else "" for m in modes)),
        ("exact match, chunk %", *(pct(m["exact_match"]["chunk"]) if m else "" for m in modes)),
        ("line P / R / F1 (micro) %", *(" / ".join(pct(m["line"]["micro"][k]) for k in ("precision", "recall", "f1"))
                                        if m else "" for m in modes)),
        ("line F1 (macro) %", *(pct(m["line"]["macro_f1"]) if m else "" for m in modes)),
        ("doc P / R / F1 (drop) %", *(" / ".join(pct(m["doc"][k]) for k in ("precision", "recall", "f1"))
                                      if m else "" for m in modes)),
        ("interpreter errors", *(", ".join(f"{k}={v}" for k, v in m["errors"].items()) or "none" if m else ""
                                 for m in modes)),
        ("documents / s", *(str(m["generation"]["docs_per_second"]) if m else "" for m in modes)),
    ]
    return rows
