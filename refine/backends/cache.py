"""A request cache in SQLite, so a resumed or repeated run pays for no generation twice.

The key is `Request.key(model)`: model, prompt or messages, sampling parameters and grammar. Only
successful completions are stored (an error may not repeat); hits come back with `cached=True`.
WAL mode lets readers proceed while one process writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, replace
from pathlib import Path
from typing import Sequence

from .base import Backend, Completion, Request

SCHEMA = "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, completion TEXT NOT NULL)"
LOOKUP_CHUNK = 500  # SQLite limits the number of bound parameters per statement


class CachedBackend(Backend):
    """Wraps a backend; `generate` asks the inner backend only for requests not seen before."""

    def __init__(self, inner: Backend, path: str | Path):
        self.inner = inner
        self.model = inner.model
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def _lookup(self, keys: list[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), LOOKUP_CHUNK):
                chunk = unique[start:start + LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, completion FROM completions WHERE key IN ({marks})", chunk
                )
                for key, value in rows:
                    found[key] = replace(Completion(**json.loads(value)), cached=True)
        return found

    def _store(self, items: list[tuple[str, Completion]]) -> None:
        rows = [(key, json.dumps(asdict(replace(c, cached=False)), ensure_ascii=False))
                for key, c in items if c.error is None and c.finish_reason != "error"]
        if not rows:
            return
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO completions (key, completion) VALUES (?, ?)", rows)
            self._db.commit()

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        """Identical requests in one call are generated once (boilerplate chunks repeat)."""
        keys = [r.key(self.model) for r in requests]
        found = self._lookup(keys)
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in found:
                first.setdefault(key, i)
        self.hits += len(keys) - len(first)
        self.misses += len(first)
        fresh = self.inner.generate([requests[i] for i in first.values()]) if first else []
        generated = dict(zip(first, fresh))
        self._store(list(generated.items()))
        return [found[key] if key in found else generated[key] for key in keys]

    @property
    def tokenizer(self):
        return self.inner.tokenizer

    @property
    def grammar_kinds(self) -> tuple[str, ...]:
        return self.inner.grammar_kinds

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]

    def close(self) -> None:
        self.inner.close()
        with self._lock:
            self._db.close()
