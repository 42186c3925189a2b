"""sglang: in-process `sglang.Engine` when sglang is installed, else a running server's native `/generate`.

Both speak sglang's native request: prompts plus per-request `sampling_params` (`temperature`, `top_p`,
`max_new_tokens`, `stop`, and at most one constraint, `regex` or `ebnf`). Lark grammars are sent as
`ebnf` with the `%llguidance {}` prefix, which needs `grammar_backend="llguidance"` (the in-process
default here; pass `--grammar-backend llguidance` to a server). The native API takes text, not chat
messages, so messages are rendered with the model's chat template first.

The HTTP path is tested against a loopback server that checks the documented payload shape; the
in-process path cannot run on machines without a GPU.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from .base import Backend, BackendError, Completion, Request
from .http import Poster, RequestFailed, RetryPolicy, RoundRobin, base_urls, client, probe, run_sync
from .openai_backend import grammar_fields

INSTALL_HINT = (
    "the sglang backend needs either sglang installed to run in-process (pip install 'refine[sglang]') "
    "or --base-url of a running sglang server (python -m sglang.launch_server --model-path MODEL "
    "--port 30000 --grammar-backend llguidance)"
)
SERVER_HINT = (
    "Start one with: python -m sglang.launch_server --model-path MODEL --port 30000 "
    "--grammar-backend llguidance, and pass --base-url http://localhost:30000"
)


def sampling_params(request: Request) -> dict:
    """sglang's sampling parameters for one request (one constraint at most, as sglang requires)."""
    params = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_new_tokens": request.max_new_tokens,
    }
    if request.stop:
        params["stop"] = list(request.stop)
    params.update(grammar_fields(request.grammar, "sglang"))
    return params


def completion_from(item: dict) -> Completion:
    """One element of sglang's response: `{"text", "meta_info": {... "finish_reason": {"type"}}}`."""
    if not isinstance(item, dict) or "text" not in item:
        return Completion(text="", finish_reason="error", error=f"unexpected item: {str(item)[:200]}")
    meta = item.get("meta_info") or {}
    reason = meta.get("finish_reason")
    kind = reason.get("type") if isinstance(reason, dict) else reason
    if kind == "abort":
        message = reason.get("message", "aborted") if isinstance(reason, dict) else "aborted"
        return Completion(text="", finish_reason="error", error=f"sglang aborted the request: {message}")
    return Completion(
        text=item["text"],
        prompt_tokens=int(meta.get("prompt_tokens") or 0),
        completion_tokens=int(meta.get("completion_tokens") or 0),
        finish_reason="length" if kind == "length" else "stop",
    )


class SglangBackend(Backend):
    """Batches go to `sglang.Engine.generate` or, with `base_url`, to the server's `/generate`."""

    def __init__(self, model: str | None = None, base_url: str | None = None, batch_size: int = 64,
                 concurrency: int = 8, timeout_s: float = 600.0, max_retries: int = 5,
                 backoff_s: float = 0.5, grammar_backend: str = "llguidance"):
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.timeout_s = timeout_s
        self._tokenizer = None
        self.engine = None
        urls = base_urls(base_url)
        if urls:
            self.servers = RoundRobin(urls)
            self.poster = Poster(self.servers, RetryPolicy(max_retries=max_retries, backoff_s=backoff_s))
            info = self._probe()
            self.model = model or info.get("model_path") or urls[0]
            self._tokenizer_source = model or info.get("tokenizer_path") or info.get("model_path")
            return
        try:
            import sglang
        except ImportError as exc:
            raise BackendError(INSTALL_HINT) from exc
        if not model:
            raise BackendError("the in-process sglang backend needs --model (a local path or hub name)")
        self.model = model
        self._tokenizer_source = model
        self.engine = sglang.Engine(model_path=model, grammar_backend=grammar_backend)

    def _probe(self) -> dict:
        """Every server must answer; the first one's `/get_model_info` names the model it serves."""
        info: dict | None = None
        for url in self.servers.urls:
            response = probe(url, "/get_model_info", {}, self.timeout_s, SERVER_HINT)
            if info is None:
                try:
                    info = response.json() if response.status_code == 200 else {}
                except ValueError:
                    info = {}
        return info if isinstance(info, dict) else {}

    def render(self, request: Request) -> str:
        """The prompt text; chat messages go through the model's chat template."""
        if request.messages is None:
            if request.prompt is None:
                raise ValueError("a request needs a prompt or messages")
            return request.prompt
        return self.tokenizer.apply_chat_template(
            list(request.messages), tokenize=False, add_generation_prompt=True
        )

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            if not self._tokenizer_source:
                raise BackendError("chat requests to sglang's /generate need --model to load its chat template")
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(self._tokenizer_source)
            except (OSError, ValueError) as exc:
                raise BackendError(
                    f"cannot load the tokenizer of {self._tokenizer_source!r} to render chat messages: {exc}"
                ) from exc
        return self._tokenizer

    def batches(self, requests: Sequence[Request]) -> list[dict]:
        """Native `/generate` bodies, `batch_size` requests each."""
        bodies = []
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start:start + self.batch_size]
            bodies.append({
                "text": [self.render(r) for r in chunk],
                "sampling_params": [sampling_params(r) for r in chunk],
            })
        return bodies

    async def agenerate(self, requests: Sequence[Request]) -> list[Completion]:
        if self.engine is not None:
            return await asyncio.to_thread(self._engine_generate, requests)
        bodies = self.batches(requests)
        limit = asyncio.Semaphore(self.concurrency)
        async with client(self.timeout_s, self.concurrency) as http:

            async def one(body: dict) -> list[Completion]:
                async with limit:
                    try:
                        items = await self.poster.post(http, "/generate", body)
                    except RequestFailed as exc:
                        return [Completion(text="", finish_reason="error", error=str(exc))] * len(body["text"])
                if not isinstance(items, list) or len(items) != len(body["text"]):
                    error = f"/generate returned {str(items)[:200]} for {len(body['text'])} prompts"
                    return [Completion(text="", finish_reason="error", error=error)] * len(body["text"])
                return [completion_from(item) for item in items]

            results = await asyncio.gather(*(one(b) for b in bodies))
        return [c for batch in results for c in batch]

    def _engine_generate(self, requests: Sequence[Request]) -> list[Completion]:
        out = []
        for body in self.batches(requests):
            items = self.engine.generate(prompt=body["text"], sampling_params=body["sampling_params"])
            out.extend(completion_from(item) for item in items)
        return out

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        if self.engine is not None:
            return self._engine_generate(requests)
        return run_sync(self.agenerate(requests))

    @property
    def retries(self) -> int:
        return self.poster.retries if self.engine is None else 0

    def close(self) -> None:
        if self.engine is not None:
            self.engine.shutdown()
            self.engine = None
