"""Documents cut into chunks of whole lines, packed greedily to a token budget of the refiner's tokenizer.

As in ProX: a line's cost is the tokens of the line as the prompt shows it (numbered, plus its "\\n"),
lines join the current chunk while the sum stays within the budget, and numbering is the document's own
across chunks. A line longer than the whole budget is never sent whole: it gets a chunk of its own,
flagged `oversized`, whose prompt text is cut at the budget and ends with `TRUNCATION_MARKER`. The line
keeps its number, so a program may still remove it or edit its visible part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

TRUNCATION_MARKER = " [...]"


@dataclass(frozen=True)
class Chunk:
    start: int  # first line, the document's own numbering (0-based)
    end: int  # last line, inclusive
    text_numbered: str  # the chunk's lines as the prompt shows them, joined by "\n"
    n_tokens: int  # tokens of `text_numbered` (as counted for packing)
    oversized: bool = False  # one line longer than the budget; its prompt text was truncated
    cut_tokens: int = 0  # tokens of the oversized line left out of the prompt

    @property
    def scope(self) -> tuple[int, int]:
        return (self.start, self.end)


# ---- tokenizer helpers: any Hugging Face tokenizer, or ApproxTokenizer ------------------------------


def token_counts(tokenizer, texts: Sequence[str]) -> list[int]:
    """Token counts of many texts in one batched call (no special tokens)."""
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


def truncate_to_tokens(tokenizer, text: str, max_tokens: int) -> tuple[str, int]:
    """The longest prefix of `text` within `max_tokens` tokens, cut at a token boundary, and the token
    count of the whole text. Fast tokenizers cut by character offsets; slow ones decode the kept ids."""
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
    except (NotImplementedError, ValueError, KeyError):
        enc, offsets = tokenizer(text, add_special_tokens=False), None
    ids = enc["input_ids"]
    if len(ids) <= max_tokens:
        return text, len(ids)
    if max_tokens <= 0:
        return "", len(ids)
    if offsets is not None:
        return text[: offsets[max_tokens - 1][1]], len(ids)
    return tokenizer.decode(ids[:max_tokens]), len(ids)


class ApproxTokenizer:
    """A model-free stand-in (`--set tokenizer=approx`) for models whose tokenizer cannot be loaded, e.g.
    hosted API models: one token per run of up to four word characters and per punctuation mark, which
    over-counts BPE tokens of English slightly (so budgets stay safe)."""

    bos_token = ""
    eos_token = ""
    _TOKEN = re.compile(r"\w{1,4}|[^\w\s]")

    def __call__(self, texts, add_special_tokens: bool = False, return_offsets_mapping: bool = False):
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        spans = [[m.span() for m in self._TOKEN.finditer(t)] for t in batch]
        out = {"input_ids": [list(range(len(s))) for s in spans]}
        if return_offsets_mapping:
            out["offset_mapping"] = spans
        return {k: v[0] for k, v in out.items()} if single else out


# ---- chunking ---------------------------------------------------------------------------------------

Numberer = Callable[[int, str], str]


def plain(index: int, body: str) -> str:
    """No numbering: the line as it is (rewrite prompts)."""
    return body


def chunk_documents(
    docs_bodies: Sequence[Sequence[str]], tokenizer, budget: int, number: Numberer = plain
) -> list[list[Chunk]]:
    """Chunks of every document, one tokenizer call for all their lines. `number(i, body)` renders line
    i as the prompt shows it (e.g. `PromptSet.number_line`)."""
    if budget < 1:
        raise ValueError(f"chunk token budget must be positive, not {budget}")
    shown = [[number(i, body) for i, body in enumerate(bodies)] for bodies in docs_bodies]
    flat = token_counts(tokenizer, [line + "\n" for lines in shown for line in lines])
    out, at = [], 0
    for lines in shown:
        out.append(_pack(lines, flat[at : at + len(lines)], tokenizer, budget))
        at += len(lines)
    return out


def chunk_document(bodies: Sequence[str], tokenizer, budget: int, number: Numberer = plain) -> list[Chunk]:
    return chunk_documents([bodies], tokenizer, budget, number)[0]


def _pack(lines: list[str], counts: list[int], tokenizer, budget: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    start, total = 0, 0

    def close(end: int) -> None:
        if end >= start:
            chunks.append(Chunk(start, end, "\n".join(lines[start : end + 1]), total))

    for i, n in enumerate(counts):
        if n > budget:
            close(i - 1)
            chunks.append(_oversized(i, lines[i], tokenizer, budget))
            start, total = i + 1, 0
        elif total + n > budget:
            close(i - 1)
            start, total = i, n
        else:
            total += n
    close(len(lines) - 1)
    return chunks


def _oversized(index: int, line: str, tokenizer, budget: int) -> Chunk:
    marker = token_counts(tokenizer, [TRUNCATION_MARKER])[0]
    kept, full = truncate_to_tokens(tokenizer, line, max(1, budget - marker))
    sent = token_counts(tokenizer, [kept])[0]
    return Chunk(index, index, kept + TRUNCATION_MARKER, sent + marker, oversized=True, cut_tokens=max(0, full - sent))


def load_tokenizer(opts):
    """The refiner's tokenizer: `--set tokenizer=NAME|PATH|approx`, else the one of `--model`."""
    name = opts.extra.get("tokenizer") or opts.model
    if name is None:
        raise ValueError(f"--mode {opts.mode} needs --model (its tokenizer sizes the chunks)")
    if name == "approx":
        return ApproxTokenizer()
    from transformers import AutoTokenizer

    from refine.named_models import resolve

    try:
        return AutoTokenizer.from_pretrained(resolve(name))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"cannot load the tokenizer of {name!r} to size chunks: {exc}\n"
            "Pass --set tokenizer=DIR_OR_HUB_NAME, or --set tokenizer=approx to estimate token counts."
        ) from exc
