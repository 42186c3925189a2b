"""What the two HTTP backends share: base URLs, a start-up probe, and POST with retries.

Retries follow the usual contract of inference servers: 429 and 5xx, timeouts and connection errors
are retried with exponential backoff and jitter (a server's Retry-After wins); other 4xx are the
request's fault and are not. A request that still fails raises `RequestFailed`, which the backends turn
into an error completion so one bad request does not kill a batch.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

import httpx

from .base import BackendError


class RequestFailed(Exception):
    """A request that failed for good (after retries, or with a non-retryable status)."""


def base_urls(base_url: str | None) -> list[str]:
    """Comma-separated base URLs, without trailing slashes or `/v1` (endpoints add their own paths)."""
    urls = []
    for url in (base_url or "").split(","):
        url = url.strip().rstrip("/")
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        if url:
            urls.append(url if "://" in url else f"http://{url}")
    return urls


class RoundRobin:
    """Hands out base URLs in turn, so load (and retries) spread over several servers."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self._cycle = itertools.cycle(urls)

    def next(self) -> str:
        return next(self._cycle)


@functools.lru_cache(maxsize=1)
def ssl_context():
    """One TLS context for every client: building one costs ~0.1 s, and each `generate` opens a client."""
    return httpx.create_ssl_context()


def client(timeout_s: float, concurrency: int, headers: dict | None = None) -> httpx.AsyncClient:
    """An async client for one `generate` call, with a connection pool as large as the concurrency."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(headers=headers or {}, timeout=timeout_s, limits=limits, verify=ssl_context())


def probe(url: str, path: str, headers: dict, timeout_s: float, hint: str) -> httpx.Response:
    """GET `url + path` once; a server that cannot be reached or refuses the key is a BackendError."""
    try:
        response = httpx.get(url + path, headers=headers, timeout=min(timeout_s, 10.0), verify=ssl_context())
    except httpx.HTTPError as exc:
        raise BackendError(
            f"cannot reach a server at {url} ({type(exc).__name__}: {exc}).\n{hint}"
        ) from exc
    if response.status_code in (401, 403):
        raise BackendError(
            f"the server at {url} refused the API key (HTTP {response.status_code}): pass --api-key "
            "or set OPENAI_API_KEY"
        )
    return response


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass
class RetryPolicy:
    max_retries: int = 5
    backoff_s: float = 0.5  # first wait; doubles on each retry
    max_backoff_s: float = 60.0  # also caps a server's Retry-After

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        ceiling = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter keeps many clients from retrying in step


def retryable(status: int) -> bool:
    return status == 429 or status >= 500


class Poster:
    """POSTs JSON to round-robined servers with retries; counts the retries it made."""

    def __init__(self, servers: RoundRobin, policy: RetryPolicy):
        self.servers = servers
        self.policy = policy
        self.retries = 0

    async def post(self, client: httpx.AsyncClient, path: str, payload: dict) -> object:
        problem = ""
        for attempt in range(self.policy.max_retries + 1):
            url = self.servers.next() + path
            retry_after = None
            try:
                response = await client.post(url, json=payload)
            except httpx.TimeoutException:
                problem = f"timed out at {url}"
            except httpx.TransportError as exc:
                problem = f"connection error at {url}: {type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise RequestFailed(f"{url} returned invalid JSON: {response.text[:200]!r}") from exc
                problem = f"HTTP {response.status_code} from {url}: {response.text[:300]}"
                if not retryable(response.status_code):
                    raise RequestFailed(problem)
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            if attempt < self.policy.max_retries:
                self.retries += 1
                await asyncio.sleep(self.policy.backoff(attempt, retry_after))
        raise RequestFailed(f"{problem} (gave up after {self.policy.max_retries} retries)")


def run_sync(coroutine):
    """Run a coroutine to completion from sync code, also when the caller's thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
