"""Prompt budgets in the refiner's tokens, defined once: ProX's released refining models were trained on
1,500-token chunk prompts and 2,000-token doc prompts, and every model-driven refiner, the annotation
rows and the evaluations fall back to them when neither the options nor the model's record say more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from refine.train.record import read_record

if TYPE_CHECKING:
    from refine.options import RunOptions

PROX_CHUNK_TOKENS = 1500
PROX_DOC_TOKENS = 2000


def prompt_budgets(opts: RunOptions) -> tuple[int, int]:
    """(chunk_tokens, doc_tokens): explicit options first, then the model's training record, then ProX's."""
    trained = (read_record(opts.model).get("inference") or {}) if opts.model else {}
    return (opts.chunk_tokens or trained.get("chunk_tokens") or PROX_CHUNK_TOKENS,
            opts.doc_tokens or trained.get("doc_tokens") or PROX_DOC_TOKENS)
