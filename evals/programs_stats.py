"""What the refiner did, from the audit rows of a `refine run` (`programs/*.jsonl`).

Operations are counted as emitted (every parsed call) and as applied (the audit's effects); errors by
code include programs that did not parse. Generated tokens per input token is the cost side of
RefineX's comparison (programs ~3-7% of input tokens, rewrites 19-70%).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from programs.ops import OP_NAMES, ProgramError
from programs.parse import try_parse


def emitted_ops(row: dict, dialect: str = "prox") -> Counter:
    """Operations by kind in one audit row's programs, as parsed (unparseable programs count none)."""
    ops: Counter = Counter()
    for entry in row.get("programs") or ():
        scope = tuple(entry["lines"]) if entry.get("lines") else None
        program = try_parse(entry.get("program") or "", dialect=dialect, scope=scope)
        if not isinstance(program, ProgramError):
            ops.update(OP_NAMES[type(op)] for op in program.ops)
    return ops


def program_stats(rows: Iterable[dict], dialect: str = "prox", input_words: int | None = None) -> dict:
    """Outcomes, operations per document by kind, errors by code, and model tokens, over audit rows.

    `input_words` (whitespace words of the raw documents these rows refined) gives generated tokens
    per input word; generated per prompt token is always given when the refiner used a model.
    """
    docs = 0
    outcomes: Counter = Counter()
    drop_reasons: Counter = Counter()
    errors: Counter = Counter()
    emitted: Counter = Counter()
    applied: Counter = Counter()
    docs_with_errors = programs = rewrites = prompt_tokens = completion_tokens = 0
    for row in rows:
        docs += 1
        outcomes[row.get("outcome") or "unknown"] += 1
        if row.get("drop_reason"):
            drop_reasons[row["drop_reason"]] += 1
        row_errors = row.get("errors") or []
        docs_with_errors += bool(row_errors)
        errors.update(e.get("code", "unknown") for e in row_errors)
        programs += len(row.get("programs") or ())
        rewrites += bool(row.get("rewrite"))
        emitted.update(emitted_ops(row, dialect))
        applied.update((row.get("effects") or {}).get("ops") or {})
        prompt_tokens += int(row.get("prompt_tokens") or 0)
        completion_tokens += int(row.get("completion_tokens") or 0)
    return {
        "docs": docs,
        "outcomes": dict(outcomes.most_common()),
        "drop_reasons": dict(drop_reasons.most_common()),
        "rewrites": rewrites,
        "programs_per_doc": programs / docs if docs else None,
        "ops_emitted": dict(emitted.most_common()),
        "ops_applied": dict(applied.most_common()),
        "ops_per_doc": {k: v / docs for k, v in emitted.most_common()} if docs else {},
        "ops_per_doc_total": sum(emitted.values()) / docs if docs else None,
        "errors": dict(errors.most_common()),
        "errors_total": sum(errors.values()),
        "docs_with_errors": docs_with_errors,
        "share_docs_with_errors": docs_with_errors / docs if docs else None,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "generated_per_prompt_token": completion_tokens / prompt_tokens if prompt_tokens else None,
        "generated_per_input_word": (completion_tokens / input_words
                                     if input_words and (prompt_tokens or completion_tokens) else None),
    }


def ops_per_document(rows: Iterable[dict], dialect: str = "prox") -> list[int]:
    """Emitted operations per audit row (for the distribution plot)."""
    return [sum(emitted_ops(row, dialect).values()) for row in rows]
