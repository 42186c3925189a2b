"""Grammar-constrained decoding for the transformers backend, with llguidance.

A `Constrainer` wraps one tokenizer (building llguidance's view of it costs about a second, so it is
built once) and compiles each distinct grammar once. `GrammarLogitsProcessor` masks, per sequence of a
batch, every token its grammar forbids; rows without a grammar are left free, so constrained and free
requests can share a batch.
"""

from __future__ import annotations

from typing import Sequence

import torch

from .base import BackendError, Grammar

INSTALL_HINT = "pip install 'refine[grammar]'  (installs llguidance)"


def _llguidance():
    try:
        import llguidance
        import llguidance.hf
        import llguidance.torch
    except ImportError as exc:  # pragma: no cover - llguidance is a dev dependency
        raise BackendError(f"constrained decoding needs llguidance: {INSTALL_HINT}") from exc
    return llguidance


def to_llguidance(grammar: Grammar) -> str:
    """The llguidance grammar (its JSON form) for a `Grammar` of kind "lark", "regex" or "ebnf" (GBNF)."""
    llg = _llguidance()
    if grammar.kind == "lark":
        return llg.LLMatcher.grammar_from_lark(grammar.source)
    if grammar.kind == "regex":
        return llg.LLMatcher.grammar_from_regex(grammar.source)
    if grammar.kind == "ebnf":
        from llguidance.gbnf_to_lark import gbnf_to_lark

        return llg.LLMatcher.grammar_from_lark(gbnf_to_lark(grammar.source))
    raise ValueError(f"grammar kind must be 'lark', 'regex' or 'ebnf', not {grammar.kind!r}")


class Constrainer:
    """Makes fresh matchers for grammars over one tokenizer; each grammar is compiled once."""

    def __init__(self, hf_tokenizer, vocab_size: int, eos_token_ids: Sequence[int]):
        llg = _llguidance()
        self.vocab_size = vocab_size
        self._tokenizer = llg.hf.from_tokenizer(
            hf_tokenizer, n_vocab=vocab_size, eos_token=list(eos_token_ids)
        )
        self._compiled: dict[Grammar, object] = {}

    def matcher(self, grammar: Grammar):
        """A matcher in its initial state; raises ValueError naming the error for an invalid grammar."""
        llg = _llguidance()
        proto = self._compiled.get(grammar)
        if proto is None:
            proto = llg.LLMatcher(self._tokenizer, to_llguidance(grammar), log_level=0)
            if proto.is_error():
                raise ValueError(f"invalid {grammar.kind} grammar: {proto.get_error()}")
            self._compiled[grammar] = proto
        return proto.deep_copy()


class GrammarLogitsProcessor:
    """A transformers LogitsProcessor: row i may only continue as `matchers[i]` allows (None = free).

    The first call sees the prompt only; each later call first feeds every constrained row the token
    sampled at the previous step. A row that finished (and is now padded) fails to consume the pad and
    is left alone from then on. Masks are computed in parallel by llguidance, unpacked on the device.
    """

    def __init__(self, matchers: Sequence[object | None], vocab_size: int):
        llg = _llguidance()
        self.matchers = list(matchers)
        self.vocab_size = vocab_size
        self._active = [m is not None for m in self.matchers]
        self._prompt_len: int | None = None
        self._executor = llg.LLExecutor()
        self._bitmask = llg.torch.allocate_token_bitmask(len(self.matchers), vocab_size)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        llg = _llguidance()
        if self._prompt_len is None:
            self._prompt_len = input_ids.shape[1]
        elif input_ids.shape[1] > self._prompt_len:
            last = input_ids[:, -1].tolist()
            for row, matcher in enumerate(self.matchers):
                if self._active[row] and not matcher.consume_token(last[row]):
                    self._active[row] = False
        rows = [row for row, active in enumerate(self._active) if active]
        if not rows:
            return scores
        llg.torch.fill_next_token_bitmask_par(
            self._executor, [(self.matchers[row], row) for row in rows], self._bitmask
        )
        if len(rows) == len(self.matchers):
            allowed = unpack_bitmask(self._bitmask.to(scores.device, non_blocking=True), scores.shape[1])
            return scores.masked_fill_(~allowed, float("-inf"))
        index = torch.tensor(rows, device=scores.device)
        words = self._bitmask[rows].to(scores.device, non_blocking=True)
        allowed = unpack_bitmask(words, scores.shape[1])
        scores[index] = scores[index].masked_fill(~allowed, float("-inf"))
        return scores


def unpack_bitmask(words: torch.Tensor, width: int) -> torch.Tensor:
    """Bit j of word w allows token 32*w + j; tokens past the mask (a padded vocabulary) are forbidden."""
    shifts = torch.arange(32, dtype=torch.int32, device=words.device)
    allowed = ((words.unsqueeze(-1) >> shifts) & 1).reshape(words.shape[0], -1).bool()
    if allowed.shape[1] >= width:
        return allowed[:, :width]
    pad = torch.zeros(allowed.shape[0], width - allowed.shape[1], dtype=torch.bool, device=words.device)
    return torch.cat([allowed, pad], dim=1)
