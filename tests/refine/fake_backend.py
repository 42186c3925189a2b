"""A scripted backend for refiner tests: each request is answered by the first rule whose key occurs
in its prompt text (the raw prompt, or the chat messages' contents joined)."""

from __future__ import annotations

from typing import Callable, Sequence

from refine.backends.base import Backend, Completion, Request

Answer = str | Completion | Callable[[Request], "str | Completion"]


def prompt_text(request: Request) -> str:
    if request.prompt is not None:
        return request.prompt
    return "\n".join(m["content"] for m in request.messages)


class FakeBackend(Backend):
    model = "fake"

    def __init__(self, rules: Sequence[tuple[str, Answer]], default: Answer = "keep_chunk()"):
        self.rules = list(rules)
        self.default = default
        self.calls: list[list[Request]] = []
        self.closed = False

    def answer(self, request: Request) -> Completion:
        text = prompt_text(request)
        found = next((a for key, a in self.rules if key in text), self.default)
        if callable(found):
            found = found(request)
        if isinstance(found, Completion):
            return found
        return Completion(found, prompt_tokens=len(text.split()), completion_tokens=len(found.split()))

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        self.calls.append(list(requests))
        return [self.answer(r) for r in requests]

    def close(self) -> None:
        self.closed = True
