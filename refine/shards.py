"""Shards: the unit a run plans, writes, marks complete and resumes. A shard is a row range of one input
file, named after the file, so the same input and shard size always give the same plan (what makes a
rerun find the shards an earlier run completed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from refine.io import Source


@dataclass(frozen=True)
class Shard:
    name: str
    source: Source
    start: int
    stop: int  # exclusive

    def spec(self) -> dict:
        return {"name": self.name, "source": self.source.to_dict(), "start": self.start, "stop": self.stop}


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "__", key).strip("_") or "input"


def plan_shards(sources: Sequence[Source], counts: Sequence[int], shard_size: int,
                limit: int | None = None) -> list[Shard]:
    """Shards of at most `shard_size` rows, in input order, covering the first `limit` rows."""
    if shard_size < 1:
        raise ValueError("shard size must be at least 1")
    names: set[str] = set()
    shards: list[Shard] = []
    remaining = limit if limit is not None else float("inf")
    for i, (source, count) in enumerate(zip(sources, counts)):
        base = _safe(source.key)
        if base in names:
            base = f"{base}-{i}"
        names.add(base)
        count = int(min(count, remaining))
        remaining -= count
        for k, start in enumerate(range(0, count, shard_size)):
            shards.append(Shard(f"{base}-{k:05d}", source, start, min(start + shard_size, count)))
    return shards
