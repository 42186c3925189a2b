"""The one interface every generation backend implements: a batch of requests in, completions out.

Backends know nothing about documents or programs. A request is a prompt (or chat messages that the
backend renders with the model's chat template), sampling limits and an optional grammar constraint.
Every backend subclasses `Backend`, which declares every hook a refiner may read, each with a default.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Sequence

from programs.grammar import Grammar  # the language owns its grammars; re-exported for backends


@dataclass(frozen=True)
class Request:
    """One generation. Exactly one of `prompt` and `messages` is set."""

    prompt: str | None = None
    messages: tuple[dict, ...] | None = None  # ({"role": ..., "content": ...}, ...)
    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    grammar: Grammar | None = None

    def key(self, model: str) -> str:
        """A stable hash of everything that determines the completion (the request cache key)."""
        payload = json.dumps({"model": model, **asdict(self)}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"  # "stop" | "length" | "error"
    cached: bool = False
    error: str | None = None


class BackendError(RuntimeError):
    """A backend that cannot serve requests (unreachable server, model that will not load)."""


class Backend:
    """`generate` returns one completion per request, in order; the rest has defaults."""

    model: str
    #: The grammar notations (`programs.grammar.KINDS`) `Request.grammar` may be written in, for the
    #: refiner to pick from. Every backend here takes Lark (llguidance, or a server's `%llguidance`).
    grammar_kinds: tuple[str, ...] = ("lark",)
    #: The model's Hugging Face tokenizer when the backend holds one (in-process backends), else None:
    #: refiners then load the tokenizer of `--model` to count prompt tokens.
    tokenizer = None
    #: The backend a wrapper delegates to (`CachedBackend`), else None.
    inner: "Backend | None" = None

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        raise NotImplementedError(f"{type(self).__name__} must implement generate(requests)")

    def close(self) -> None:
        """Release the model or the connections."""
