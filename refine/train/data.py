"""Annotation rows -> supervised examples: the exact prompt `refine run --mode programs` would send, and
the gold program as the completion.

Requests are built by a `ProgramRefiner` and rendered to token ids as the transformers backend renders
them, so a model trained here sees at inference the very token sequences it was trained on. Kept
documents are re-chunked with the model's own tokenizer at the training chunk budget (the annotation's
chunks were packed with another tokenizer and budget); each new chunk's gold program is the gold
documents' edits restricted to it, as `refine.annotate` would have written it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from programs.lines import line_body, split_lines
from programs.ops import DropDoc, KeepChunk, KeepDoc, Normalize, Program, ProgramError, RemoveLines, RemoveStr
from programs.parse import try_parse
from programs.render import render
from refine.backends.base import Request
from refine.chunking import chunk_documents

IGNORE = -100  # label of tokens that carry no loss (prompt, padding)


@dataclass(frozen=True)
class GoldDoc:
    """A document and what the expert did to it: drop it, or the scoped chunk programs it wrote."""

    id: str
    text: str
    drop: bool
    programs: tuple[Program, ...] = ()  # chunk-stage programs with their scopes (none when dropped)
    split: str = "train"


@dataclass(frozen=True)
class Sample:
    """One prompt the refiner would send for a document, and the gold program answering it."""

    doc_id: str
    stage: str  # "doc" | "chunk"
    request: Request
    target: str  # the gold program, canonical text
    scope: tuple[int, int] | None = None


def gold_documents(rows: Iterable[dict], dialect: str = "prox") -> list[GoldDoc]:
    """Group annotation rows into documents; every document needs its doc row (which holds `text`)."""
    doc_rows: dict[str, dict] = {}
    chunk_rows: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        doc_id = row.get("doc_id") or str(row.get("id", "")).rsplit("/", 1)[0]
        if row.get("stage") == "doc":
            doc_rows[doc_id] = row
        elif row.get("stage") == "chunk":
            chunk_rows[doc_id].append(row)
        else:
            raise ValueError(f"row {row.get('id')!r}: stage must be 'doc' or 'chunk', not {row.get('stage')!r}")
    if orphans := sorted(set(chunk_rows) - set(doc_rows)):
        raise ValueError(f"chunk rows of {len(orphans)} document(s) without a doc row (first: {orphans[0]!r}); "
                         "annotation directories from `refine annotate` always have both")
    docs = []
    for doc_id, row in doc_rows.items():
        if not isinstance(row.get("text"), str):
            raise ValueError(f"doc row {row.get('id')!r} has no 'text': rerun `refine annotate` to get one")
        programs = []
        for chunk in chunk_rows.get(doc_id, ()):
            scope = tuple(chunk["scope"]) if chunk.get("scope") is not None else None
            parsed = try_parse(chunk["program"], dialect, scope=scope)
            if isinstance(parsed, ProgramError):
                raise ValueError(f"row {chunk.get('id')!r}: gold program does not parse ({parsed.code}: {parsed})")
            programs.append(parsed)
        docs.append(GoldDoc(doc_id, row["text"], bool(row.get("doc_label")), tuple(programs),
                            str(row.get("split") or "train")))
    return docs


def split_heldout(docs: Sequence[GoldDoc], fraction: float, seed: int = 0) -> tuple[list[GoldDoc], list[GoldDoc]]:
    """(train, held-out). Documents marked `split == "heldout"` are held out when there are any; else a
    `fraction` of documents chosen by a hash of (seed, id), stable as the data set grows."""
    if any(d.split == "heldout" for d in docs):
        return [d for d in docs if d.split != "heldout"], [d for d in docs if d.split == "heldout"]
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"eval fraction must be in [0, 1), got {fraction}")

    def held(doc: GoldDoc) -> bool:
        digest = hashlib.sha256(f"{seed}:{doc.id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    return [d for d in docs if not held(d)], [d for d in docs if held(d)]


def gold_chunk_program(doc: GoldDoc, scope: tuple[int, int]) -> Program | None:
    """The gold edits of `doc` inside `scope`: its line-local edits there, then its removed lines as
    merged `remove_lines` runs (as `refine.annotate` writes them); `keep_chunk()` when there are none.
    None when a `normalize` of the gold would act beyond its own chunk in this scope (not expressible)."""
    lo, hi = scope
    local, removed = [], set()
    for program in doc.programs:
        p_lo, p_hi = program.scope if program.scope is not None else (0, len(split_lines(doc.text)) - 1)
        for op in program.ops:
            if isinstance(op, RemoveLines):
                removed.update(range(max(op.line_start, p_lo), min(op.line_end, p_hi) + 1))
            elif isinstance(op, RemoveStr) and lo <= op.line <= hi:
                local.append(op)
            elif isinstance(op, Normalize) and p_lo <= hi and lo <= p_hi:
                if not (p_lo <= lo and hi <= p_hi):
                    return None
                local.append(op)
    ops: list = list(local)
    start = None
    for i in range(lo, hi + 2):
        if i <= hi and i in removed:
            start = i if start is None else start
        elif start is not None:
            ops.append(RemoveLines(start, i - 1))
            start = None
    return Program(tuple(ops) or (KeepChunk(),), scope)


def make_samples(docs: Sequence[GoldDoc], refiner, stages: Sequence[str] = ("doc", "chunk"),
                 dialect: str = "prox") -> tuple[list[Sample], Counter]:
    """Every request `refiner` (a `ProgramRefiner`) would send for `docs`, paired with its gold program:
    a doc-stage sample per document, chunk-stage samples for the documents the gold keeps. Returns the
    samples and the count of chunks left out, by reason."""
    samples: list[Sample] = []
    skipped: Counter = Counter()
    if "doc" in stages:
        for doc in docs:
            request, _ = refiner.doc_request(doc.text)
            samples.append(Sample(doc.id, "doc", request, render(Program((DropDoc(),) if doc.drop else (KeepDoc(),)), dialect)))
    kept = [d for d in docs if not d.drop]
    if "chunk" in stages and kept:
        bodies = [[line_body(line) for line in split_lines(d.text)] for d in kept]
        chunked = chunk_documents(bodies, refiner.tokenizer, refiner.chunk_tokens, refiner.prompts.number_line)
        for doc, chunks in zip(kept, chunked):
            for chunk in chunks:
                program = gold_chunk_program(doc, chunk.scope)
                if program is None:
                    skipped["normalize_across_chunks"] += 1
                    continue
                samples.append(Sample(doc.id, "chunk", refiner.chunk_request(chunk.text_numbered),
                                      render(program, dialect), chunk.scope))
    return samples, skipped


def prompt_ids(tokenizer, request: Request) -> list[int]:
    """The prompt's token ids exactly as `TransformersBackend.prompt_ids` renders them: chat messages
    through the chat template with the generation prompt, a raw prompt with the tokenizer's specials."""
    if request.messages is not None:
        text = tokenizer.apply_chat_template(list(request.messages), tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False)["input_ids"]
    return tokenizer(request.prompt)["input_ids"]


def encode(sample: Sample, tokenizer, max_length: int) -> dict | None:
    """`input_ids` (prompt + program + EOS) and `labels` (-100 on the prompt), or None past `max_length`."""
    prompt = prompt_ids(tokenizer, sample.request)
    completion = tokenizer(sample.target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if len(prompt) + len(completion) > max_length:
        return None
    return {"input_ids": prompt + completion, "labels": [IGNORE] * len(prompt) + completion}


def encode_all(samples: Sequence[Sample], tokenizer, max_length: int) -> tuple[list[dict], Counter]:
    """Encoded examples, and how many samples were too long for `max_length`, by stage."""
    out, too_long = [], Counter()
    for sample in samples:
        example = encode(sample, tokenizer, max_length)
        if example is None:
            too_long[f"too_long:{sample.stage}"] += 1
        else:
            out.append(example)
    return out, too_long


def request_builder(tokenizer, chunk_tokens: int, doc_tokens: int, max_new_tokens: int = 256,
                    dialect: str = "prox"):
    """A `ProgramRefiner` used only to build requests (no backend, no grammar): the one place that
    knows what the refiner sends."""
    from refine.prompts import prompts_from_options
    from refine.options import RunOptions
    from refine.refiners.programs import ProgramRefiner

    prompts = prompts_from_options(RunOptions(mode="programs", dialect=dialect))
    return ProgramRefiner(None, tokenizer, prompts, chunk_tokens=chunk_tokens, doc_tokens=doc_tokens,
                          max_new_tokens=max_new_tokens, constrained=False, dialect=dialect)


def with_grammar(sample: Sample, grammar) -> Sample:
    return replace(sample, request=replace(sample.request, grammar=grammar))
