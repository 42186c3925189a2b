"""Any OpenAI-compatible server (sglang, vLLM, hosted models): async, bounded, retried.

Prompts go to `/v1/completions`, chat messages to `/v1/chat/completions`. At most `concurrency`
requests are in flight; several comma-separated base URLs are used in turn. Grammars travel as the
server's extra body fields (the OpenAI API itself has none):

- sglang (`grammar_style="sglang"`): top-level `regex` or `ebnf`; a Lark grammar is sent as `ebnf`
  prefixed with `%llguidance {}`, which needs the server started with `--grammar-backend llguidance`.
- vLLM >= 0.12 (`grammar_style="vllm"`): `structured_outputs: {"regex": ...}` or `{"grammar": ...}`
  (Lark grammars need vLLM's `guidance` structured-output backend).
- `grammar_style="none"`: grammars are not sent (hosted APIs); the caller's parser still checks outputs.

The style is read from the server's `/v1/models` (`owned_by`) unless given.
"""

from __future__ import annotations

import asyncio
import os
from typing import Sequence

from .base import Backend, BackendError, Completion, Grammar, Request
from .http import Poster, RequestFailed, RetryPolicy, RoundRobin, base_urls, client, probe, run_sync

START_HINT = (
    "Start an OpenAI-compatible server and pass its address with --base-url, for example\n"
    "  python -m sglang.launch_server --model-path MODEL --port 30000   (--base-url http://localhost:30000)\n"
    "  vllm serve MODEL --port 8000                                      (--base-url http://localhost:8000)"
)
GRAMMAR_STYLES = ("sglang", "vllm", "none")


def grammar_fields(grammar: Grammar | None, style: str) -> dict:
    """The extra request fields that carry `grammar` to a server of the given style."""
    if grammar is None or style == "none":
        return {}
    if grammar.kind not in ("lark", "regex", "ebnf"):
        raise ValueError(f"grammar kind must be 'lark', 'regex' or 'ebnf', not {grammar.kind!r}")
    if style == "sglang":
        if grammar.kind == "regex":
            return {"regex": grammar.source}
        if grammar.kind == "lark":
            return {"ebnf": "%llguidance {}\n" + grammar.source}
        return {"ebnf": grammar.source}
    if style == "vllm":
        key = "regex" if grammar.kind == "regex" else "grammar"
        return {"structured_outputs": {key: grammar.source}}
    raise ValueError(f"grammar_style must be one of {', '.join(GRAMMAR_STYLES)}, not {style!r}")


def completion_from(body: dict, chat: bool) -> Completion:
    """An OpenAI completion/chat response's first choice and token usage."""
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"] if chat else choice["text"]
    except (KeyError, IndexError, TypeError) as exc:
        raise RequestFailed(f"unexpected response shape: {str(body)[:300]}") from exc
    usage = body.get("usage") or {}
    return Completion(
        text=text or "",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
    )


class OpenAIBackend(Backend):
    """Generates through `/v1/completions` and `/v1/chat/completions` of one or more servers."""

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None,
                 concurrency: int = 32, timeout_s: float = 120.0, max_retries: int = 5,
                 backoff_s: float = 0.5, grammar_style: str | None = None):
        urls = base_urls(base_url)
        if not urls:
            raise BackendError(f"the openai backend needs --base-url.\n{START_HINT}")
        self.servers = RoundRobin(urls)
        key = api_key or os.environ.get("OPENAI_API_KEY")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.concurrency = max(1, concurrency)
        self.timeout_s = timeout_s
        self.poster = Poster(self.servers, RetryPolicy(max_retries=max_retries, backoff_s=backoff_s))
        listed = self._probe()
        self.model = model or (listed[0]["id"] if listed else None)
        if not self.model:
            raise BackendError(f"{urls[0]}/v1/models lists no model: pass --model")
        owners = {str(entry.get("owned_by", "")).lower() for entry in listed}
        self.grammar_style = grammar_style or ("vllm" if "vllm" in owners else "sglang")
        if self.grammar_style not in GRAMMAR_STYLES:
            raise BackendError(f"grammar_style must be one of {', '.join(GRAMMAR_STYLES)}")

    @property
    def retries(self) -> int:
        return self.poster.retries

    def _probe(self) -> list[dict]:
        """Check every server answers `/v1/models` once; returns the first one's model list."""
        listed: list[dict] | None = None
        for url in self.servers.urls:
            response = probe(url, "/v1/models", self.headers, self.timeout_s, START_HINT)
            if listed is None:
                try:
                    listed = list(response.json().get("data") or [])
                except (ValueError, AttributeError):
                    listed = []
        return listed or []

    def payload(self, request: Request) -> tuple[str, dict]:
        """The endpoint path and JSON body for one request."""
        body: dict = {
            "model": self.model,
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        body.update(grammar_fields(request.grammar, self.grammar_style))
        if request.messages is not None:
            return "/v1/chat/completions", {**body, "messages": list(request.messages)}
        if request.prompt is None:
            raise ValueError("a request needs a prompt or messages")
        return "/v1/completions", {**body, "prompt": request.prompt}

    async def agenerate(self, requests: Sequence[Request]) -> list[Completion]:
        limit = asyncio.Semaphore(self.concurrency)
        async with client(self.timeout_s, self.concurrency, self.headers) as http:

            async def one(request: Request) -> Completion:
                path, body = self.payload(request)
                async with limit:
                    try:
                        response = await self.poster.post(http, path, body)
                        return completion_from(response, chat=request.messages is not None)
                    except RequestFailed as exc:
                        return Completion(text="", finish_reason="error", error=str(exc))

            return list(await asyncio.gather(*(one(r) for r in requests)))

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        return run_sync(self.agenerate(requests))

    def close(self) -> None:
        """Nothing to release: each `generate` call opens and closes its own connection pool."""
