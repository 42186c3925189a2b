"""`--mode rewrite`: generative data refinement (GDR) with verification guards.

The model rewrites each chunk (plain lines, packed to the token budget) under an instruction (`pii`,
`detox`, `clean`, or a user's file). Every rewrite must pass the instruction's guards (`refine.guards`);
a failing one is asked for once more, with the failed checks named. If it fails again, a PII chunk is
given to a program instead: the detector's personal data replaced by consistent stand-ins
(`refine.standins`, `normalize` operations), accepted if the PII guards pass on its result. What is
still failing then goes to the fallback: `keep` leaves that chunk's original text (the other chunks
keep theirs), `drop` drops the document, `programs` refines the document with the program refiner. A
line longer than the budget cannot be rewritten whole, so its chunk is treated as failed. Every
attempt's guard results go to `Refinement.audit`, with `fired` (the guards that failed) and `done`
(the last step any chunk needed: rewritten, retried, standins, or the fallback's name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from programs.lines import line_terminator
from refine.backends.base import Backend, Completion, Request
from refine.chunking import Chunk, chunk_documents
from refine.document import Document
from programs.apply import apply
from programs.render import render
from refine.guards import GuardSpec, check, describe_failures, name_swaps, no_placeholders, pii_removed, spec_for
from refine.pii import detect_pii, name_detector
from refine.standins import standin_program
from refine.refiners.budgets import PROX_CHUNK_TOKENS, prompt_budgets
from refine.prompts import PROX, Instruction, PromptSet, load_instruction, prompts_from_options
from refine.refiners.base import Refinement, Refiner, ScopedProgram

FALLBACKS = ("keep", "drop", "programs")
TOKEN_SLACK = 1.2  # output tokens allowed per source token, on top of the length guard's max ratio
MIN_NEW_TOKENS = 16


@dataclass
class _Job:
    """One chunk of one document, through its attempts. Blank lines at the chunk's edges are kept as
    they are and not sent: `first`..`last` are the lines the model rewrites (`first > last`: none)."""

    doc: int
    chunk: Chunk
    first: int
    last: int
    source: str
    attempts: list[dict] = field(default_factory=list)
    accepted: str | None = None
    failures: str = ""
    standins: dict | None = None  # the stand-in program's audit, when it was tried
    names: tuple[str, ...] = ()  # person names detected anywhere in the document (PII guards)
    model_names: tuple[str, ...] = ()  # what failed rewrites swapped as names (used by the stand-in program)

    @property
    def blank(self) -> bool:
        return self.first > self.last


def _job(d: int, doc: Document, chunk: Chunk) -> _Job:
    first, last = chunk.start, chunk.end
    while first <= last and not doc.bodies[first].strip():
        first += 1
    while last >= first and not doc.bodies[last].strip():
        last -= 1
    return _Job(d, chunk, first, last, "\n".join(doc.bodies[first : last + 1]))


class RewriteRefiner(Refiner):
    name = "rewrite"

    def __init__(
        self,
        backend: Backend,
        tokenizer,
        instruction: Instruction,
        prompts: PromptSet = PROX,
        chunk_tokens: int = PROX_CHUNK_TOKENS,
        temperature: float = 0.0,
        fallback: str = "keep",
        fallback_refiner=None,
        spec: GuardSpec | None = None,
        standins: bool = True,
    ):
        if fallback not in FALLBACKS:
            raise ValueError(f"--rewrite-fallback must be one of {', '.join(FALLBACKS)}, not {fallback!r}")
        if fallback == "programs" and fallback_refiner is None:
            raise ValueError("the 'programs' fallback needs a program refiner")
        self.backend = backend
        self.tokenizer = tokenizer
        self.instruction = instruction
        self.prompts = prompts
        self.chunk_tokens = chunk_tokens
        self.temperature = temperature
        self.fallback = fallback
        self.fallback_refiner = fallback_refiner
        self.spec = spec or spec_for(instruction)
        self.standins = standins and self.spec.pii

    def request(self, job: _Job) -> Request:
        budget = math.ceil(job.chunk.n_tokens * self.spec.max_ratio * TOKEN_SLACK) + MIN_NEW_TOKENS
        messages = self.prompts.rewrite_messages(self.instruction.text, job.source, job.failures or None)
        return Request(messages=messages, max_new_tokens=budget, temperature=self.temperature,
                       stop=self.prompts.stop)

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        refs = [Refinement(doc.id, audit={"instruction": self.instruction.name}) for doc in docs]
        if self.spec.pii:
            for ref in refs:
                ref.audit["name_detector"] = name_detector()
        chunked = chunk_documents([doc.bodies for doc in docs], self.tokenizer, self.chunk_tokens)
        jobs = [_job(d, docs[d], chunk) for d, chunks in enumerate(chunked) for chunk in chunks]
        if self.spec.pii:  # a name found anywhere in a document is a name in each chunk ("Dear Anna Berg" ... "Anna")
            names = [tuple(dict.fromkeys(s.text for s in detect_pii(doc.text) if s.kind == "name")) for doc in docs]
            for job in jobs:
                job.names = names[job.doc]
        for job in jobs:
            if job.chunk.oversized and not job.blank:
                job.failures = "oversized: a line longer than the chunk budget cannot be rewritten whole"
        pending = [j for j in jobs if not j.blank and not j.chunk.oversized]
        for _ in range(2):  # the first attempt, then one retry with the failures named
            pending = self._attempt(pending, refs)
        if self.standins:
            for job in jobs:
                if job.accepted is None and not job.blank and refs[job.doc].error is None:
                    self._standins(docs[job.doc], job)
        self._finish(docs, refs, jobs)
        return refs

    def _attempt(self, jobs: list[_Job], refs: list[Refinement]) -> list[_Job]:
        """Sends every job once; returns those that failed their guards (errors end the document)."""
        live = [j for j in jobs if refs[j.doc].error is None]
        if not live:
            return []
        completions = self.backend.generate([self.request(j) for j in live])
        failed = []
        for job, done in zip(live, completions):
            ref = refs[job.doc]
            _count(ref, done)
            if done.error is not None or done.finish_reason == "error":
                ref.error = ref.error or f"rewrite, lines {job.chunk.start}-{job.chunk.end}: {done.error or 'backend error'}"
                continue
            rewrite = clean_output(done.text)
            results = check(self.spec, job.source, rewrite, done.finish_reason, job.names)
            passed = all(r.passed for r in results)
            job.attempts.append({"passed": passed, "finish_reason": done.finish_reason,
                                 "guards": [r.to_dict() for r in results]})
            if passed:
                job.accepted = rewrite
            else:
                if self.standins:
                    job.model_names = tuple(dict.fromkeys(job.model_names + tuple(name_swaps(job.source, rewrite))))
                job.failures = describe_failures(results)
                failed.append(job)
        return failed

    def _standins(self, doc: Document, job: _Job) -> None:
        """The chunk's detected personal data replaced by a stand-in program, accepted when the PII guards
        pass on its result (a chunk whose detector finds nothing is left to the fallback). The names the
        model's failed rewrites swapped count as names too: the model often knows a name in running
        prose that the regexes cannot see (and sometimes takes a public figure for one)."""
        names = tuple(dict.fromkeys(job.names + job.model_names))
        spans = detect_pii(job.source, known_names=names)
        program = standin_program(doc.id, job.source, spans)
        result = apply(job.source, program).text if program.ops else job.source
        guards = [pii_removed(job.source, result, names), no_placeholders(job.source, result)]
        passed = bool(spans) and all(g.passed for g in guards)
        job.standins = {"program": render(program), "detected": len(spans), "passed": passed,
                        "guards": [g.to_dict() for g in guards]}
        if job.model_names:
            job.standins["names_from_model"] = list(job.model_names)
        if passed:
            job.accepted = result

    def _finish(self, docs: Sequence[Document], refs: list[Refinement], jobs: list[_Job]) -> None:
        by_doc: dict[int, list[_Job]] = {}
        for job in jobs:
            by_doc.setdefault(job.doc, []).append(job)
        fall_back = []
        for d, ref in enumerate(refs):
            mine = by_doc.get(d, [])
            ref.audit["chunks"] = [_chunk_audit(j) for j in mine]
            ref.audit["fired"] = sorted({g["name"] for j in mine for a in j.attempts for g in a["guards"]
                                         if not g["passed"]} | ({"oversized"} if any(j.chunk.oversized and not j.blank
                                                                                     for j in mine) else set()))
            ref.audit["done"] = _done(mine, self.fallback)
            if ref.error is not None:
                ref.audit["done"] = "error"
                continue
            failed = [j for j in mine if j.accepted is None and not j.blank]
            if not failed:
                ref.rewrite = _assemble(docs[d], mine) if any(j.accepted is not None for j in mine) else None
            elif self.fallback == "keep":
                ref.audit["fallback"] = "keep"
                if any(j.accepted is not None for j in mine):
                    ref.rewrite = _assemble(docs[d], mine)
            elif self.fallback == "drop":
                ref.audit["fallback"] = "drop"
                ref.programs = [ScopedProgram("drop_doc()", None, stage="doc")]
            else:
                ref.audit["fallback"] = "programs"
                fall_back.append(d)
        if fall_back:
            for d, sub in zip(fall_back, self.fallback_refiner.refine([docs[d] for d in fall_back])):
                ref = refs[d]
                ref.programs = sub.programs
                ref.error = sub.error
                ref.prompt_tokens += sub.prompt_tokens
                ref.completion_tokens += sub.completion_tokens
                ref.audit["programs"] = sub.audit

    def close(self) -> None:
        self.backend.close()  # the programs fallback shares this backend


def clean_output(text: str) -> str:
    """The rewrite without the `[text]`/`[/text]` wrapper a model may echo, and without blank edges."""
    out = text.strip("\n").rstrip()
    if out.startswith("[text]"):
        out = out[len("[text]"):].lstrip("\n")
    if out.endswith("[/text]"):
        out = out[: -len("[/text]")].rstrip()
    return out.strip("\n")


def _assemble(doc: Document, jobs: list[_Job]) -> str:
    """Chunks in order, each its accepted rewrite or its original lines, with the original line break
    after each chunk (and at the end, where the document had one). An empty rewrite leaves no line."""
    parts = []
    for job in jobs:
        if job.accepted is None:
            parts += doc.lines[job.chunk.start : job.chunk.end + 1]
            continue
        parts += doc.lines[job.chunk.start : job.first]
        if job.accepted:
            parts.append(job.accepted + line_terminator(doc.lines[job.last]))
        parts += doc.lines[job.last + 1 : job.chunk.end + 1]
    return "".join(parts)


def _done(jobs: list[_Job], fallback: str) -> str:
    """The furthest step of the chain any chunk of a document needed."""
    steps = ["unchanged"]
    for job in jobs:
        if job.blank:
            continue
        if job.accepted is None:
            steps.append(fallback)
        elif job.standins is not None:
            steps.append("standins")
        else:
            steps.append("rewritten" if len(job.attempts) == 1 else "retried")
    order = ("unchanged", "rewritten", "retried", "standins", fallback)
    return max(steps, key=order.index)


def _chunk_audit(job: _Job) -> dict:
    row = {"scope": [job.chunk.start, job.chunk.end], "accepted": job.accepted is not None,
           "attempts": job.attempts}
    if job.standins is not None:
        row["standins"] = job.standins
    if job.blank:
        row["blank"] = True
    if job.chunk.oversized:
        row.update(oversized=True, cut_tokens=job.chunk.cut_tokens)
    if job.accepted is None and job.failures:
        row["failures"] = job.failures
    return row


def _count(ref: Refinement, done: Completion) -> None:
    ref.prompt_tokens += done.prompt_tokens
    ref.completion_tokens += done.completion_tokens


def from_options(opts) -> RewriteRefiner:
    from refine.backends import build_backend
    from refine.refiners.programs import refiner_tokenizer, with_backend

    instruction = load_instruction(opts.instruction)
    spec = spec_for(instruction)
    prompts = prompts_from_options(opts)
    if opts.rewrite_fallback not in FALLBACKS:
        raise ValueError(f"--rewrite-fallback must be one of {', '.join(FALLBACKS)}, not {opts.rewrite_fallback!r}")
    backend = build_backend(opts)
    tokenizer = refiner_tokenizer(backend, opts)
    fallback = with_backend(backend, tokenizer, opts) if opts.rewrite_fallback == "programs" else None
    return RewriteRefiner(backend, tokenizer, instruction, prompts, chunk_tokens=prompt_budgets(opts)[0],
                          temperature=opts.temperature, fallback=opts.rewrite_fallback,
                          fallback_refiner=fallback, spec=spec)
