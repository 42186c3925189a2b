"""Generation backends behind one interface (`base.Backend`), built from `RunOptions`.

`build_backend(opts)` picks `--backend transformers|sglang|openai` and, when `--cache` names a file,
wraps the backend in the SQLite request cache. Backend modules import their heavy dependencies only
when built, so `import refine.backends` stays cheap.
"""

from __future__ import annotations

from refine.options import DEFAULT_BATCH_SIZE

from .base import Backend, BackendError, Completion, Grammar, Request

BACKENDS = ("transformers", "sglang", "openai")

__all__ = ["BACKENDS", "Backend", "BackendError", "Completion", "Grammar", "Request", "build_backend"]


def build_backend(opts) -> Backend:
    """The backend `opts` asks for (`opts` is a `refine.options.RunOptions`), cached if `opts.cache`.

    Extra settings read from `opts.extra` (`--set key=value`): `grammar_style` (openai: sglang, vllm or
    none), `grammar_backend` (in-process sglang, default llguidance), `backoff_s` (HTTP retries).
    """
    backend = _build(opts)
    if opts.cache:
        from .cache import CachedBackend

        return CachedBackend(backend, opts.cache)
    return backend


def _build(opts) -> Backend:
    extra = opts.extra or {}
    backoff_s = float(extra.get("backoff_s", 0.5))
    if opts.backend == "transformers":
        if not opts.model:
            raise BackendError("the transformers backend needs --model (a local directory or org/name)")
        from .transformers_backend import TransformersBackend

        return TransformersBackend(opts.model, device=opts.device, dtype=opts.dtype, batch_size=opts.batch_size or DEFAULT_BATCH_SIZE)
    if opts.backend == "openai":
        from .openai_backend import OpenAIBackend

        return OpenAIBackend(
            opts.base_url or "", model=opts.model, api_key=opts.api_key, concurrency=opts.concurrency,
            timeout_s=opts.timeout_s, max_retries=opts.max_retries, backoff_s=backoff_s,
            grammar_style=extra.get("grammar_style"),
        )
    if opts.backend == "sglang":
        from .sglang_backend import SglangBackend

        return SglangBackend(
            opts.model, base_url=opts.base_url, batch_size=opts.batch_size or DEFAULT_BATCH_SIZE, concurrency=opts.concurrency,
            timeout_s=opts.timeout_s, max_retries=opts.max_retries, backoff_s=backoff_s,
            grammar_backend=extra.get("grammar_backend", "llguidance"),
        )
    raise BackendError(f"unknown --backend {opts.backend!r}: use one of {', '.join(BACKENDS)}")
