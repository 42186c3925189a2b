"""The one interface every generation backend implements: a batch of requests in, completions out.

Backends know nothing about documents or programs. A request is a prompt (or chat messages that the
backend renders with the model's chat template), sampling limits and an optional grammar constraint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence

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


class Backend(Protocol):
    """`generate` returns one completion per request, in order."""

    model: str

    def generate(self, requests: Sequence[Request]) -> list[Completion]: ...

    def close(self) -> None: ...
