"""A run's output directory: its layout, its run.json, and the completion markers that make resume work.

    OUTPUT/run.json          what was run on what (compared on resume; secrets never written)
    OUTPUT/data/<shard>      refined records          OUTPUT/_done/<shard>.json   completion marker + stats
    OUTPUT/programs/<shard>  one audit row per doc    OUTPUT/_failed/<shard>.txt  why a shard failed
    OUTPUT/quarantine/<shard> bad records             OUTPUT/stats.json           the run's merged stats
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from typing import TYPE_CHECKING, Sequence

import fsspec

from refine.io import json_default, write_bytes_atomic, write_json_atomic
from refine.stats import Stats

if TYPE_CHECKING:
    from refine.shards import Shard

RUN_FILE = "run.json"
STATS_FILE = "stats.json"
OUTPUT_DIRS = ("data", "programs", "quarantine")
#: Config keys that may change between a run and its resumption without changing any output.
RUNTIME_KEYS = frozenset({"batch_size", "concurrency", "cache", "timeout_s", "max_retries", "base_url",
                          "api_key", "device", "progress"})


LOCK_FILE = ".refine.lock"
_HELD: dict[str, object] = {}  # local OUTPUT paths this process holds the lock of -> the open lock file


class RunConfigError(ValueError):
    """The output directory cannot be used as asked (not ours, or another run's); the message says why."""


class OutputInUse(RunConfigError):
    """Another process is writing this output directory."""



class OutputDir:
    """The layout of a run's output, its run.json, and its completion markers."""

    def __init__(self, path: str, storage_options: dict | None = None):
        self.path = path
        self.fs, self.root = fsspec.core.url_to_fs(path, **(storage_options or {}))

    def join(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def run_info(self) -> dict | None:
        path = self.join(RUN_FILE)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as f:
            return json.loads(f.read())

    def prepare(self, run_info: dict, resume: bool, force: bool) -> None:
        """Check that this directory may hold this run, clear it for a fresh one, record run.json."""
        fs = self.fs
        existing = fs.exists(self.root) and bool(self._children())
        previous = self.run_info() if existing else None
        if existing and previous is None:
            raise RunConfigError(f"{self.path} exists and is not a refine output directory (no {RUN_FILE}); "
                                 "choose a new output path or empty this one")
        fs.makedirs(self.root, exist_ok=True)
        self.lock()
        try:
            self._prepare(run_info, resume, force)
        except BaseException:
            self.unlock()
            raise

    def _prepare(self, run_info: dict, resume: bool, force: bool) -> None:
        fs = self.fs
        previous = self.run_info()  # again, now that no other run can change it
        if previous is not None and not resume:
            for child in self._children():
                fs.rm(child, recursive=True)
        elif previous is not None:
            diff = config_diff(previous, run_info)
            if diff and not force and self._finished_any():
                raise RunConfigError(
                    f"{self.path} holds a run with a different configuration ({'; '.join(diff)}). "
                    "Rerun with the same options to resume, --no-resume to start over, or --force to resume "
                    "anyway")
        write_json_atomic(fs, self.join(RUN_FILE), run_info)

    def _children(self) -> list[str]:
        return [p for p in self.fs.ls(self.root, detail=False) if posixpath.basename(p) != LOCK_FILE]

    def lock(self) -> None:
        """Hold OUTPUT for this process (an advisory `flock` on OUTPUT/.refine.lock, released when the
        run ends or the process dies), so that a second run on it stops with a clear message instead of
        deleting the first one's temp files. Remote outputs have no lock: one writer is up to the user."""
        if not _is_local(self.fs) or self.root in _HELD:
            return
        import fcntl

        path = self.join(LOCK_FILE)
        f = open(path, "a+b")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().decode("utf-8", "replace").strip()
            f.close()
            raise OutputInUse(f"{self.path} is in use by another refine run ({holder or 'pid unknown'}); wait "
                              "for it to finish or choose another OUTPUT") from None
        f.truncate(0)
        f.write(f"pid {os.getpid()}".encode())
        f.flush()
        _HELD[self.root] = f

    def unlock(self) -> None:
        f = _HELD.pop(self.root, None)
        if f is not None:
            f.close()  # closing releases the flock; the file stays, empty of meaning

    def _finished_any(self) -> bool:
        """Whether a shard was completed here: with none, a run whose options changed (e.g. after a wrong
        --model failed to load) has nothing to protect and simply starts."""
        done = self.join("_done")
        return self.fs.isdir(done) and bool(self.fs.ls(done))

    def marker(self, shard: "Shard") -> dict | None:
        path = self.join("_done", f"{shard.name}.json")
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as f:
            try:
                marker = json.loads(f.read())
            except json.JSONDecodeError:
                return None
        return marker if marker.get("shard") == shard.spec() else None

    def complete(self, shard: "Shard", stats: Stats) -> None:
        write_json_atomic(self.fs, self.join("_done", f"{shard.name}.json"),
                          {"shard": shard.spec(), "stats": stats.to_dict()})
        failed = self.join("_failed", f"{shard.name}.txt")
        if self.fs.exists(failed):
            self.fs.rm(failed)

    def record_failure(self, shard: "Shard", message: str, details: str) -> None:
        write_bytes_atomic(self.fs, self.join("_failed", f"{shard.name}.txt"), f"{message}\n\n{details}".encode("utf-8"))

    def prune(self, plan: Sequence["Shard"]) -> None:
        """Remove files of shards that are not in the plan (another --limit, --force) and temp files."""
        names = {s.name for s in plan}
        for sub in (*OUTPUT_DIRS, "_done", "_failed"):
            directory = self.join(sub)
            if not self.fs.isdir(directory):
                continue
            for path in self.fs.ls(directory, detail=False):
                base = posixpath.basename(path)
                if base.startswith(".") or base.split(".", 1)[0] not in names:
                    self.fs.rm(path)


class ShardIds:
    """The ids of one shard's documents as 8-byte hashes, in `_done/<shard>.ids` (written before the
    marker): the run counts ids shared across shards from these without reading the audit back."""

    def __init__(self, out: "OutputDir", shard_name: str):
        self.out, self.path = out, out.join("_done", f"{shard_name}.ids")
        self._hashes: list[bytes] = []

    def write(self, doc_id: str) -> None:
        self._hashes.append(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest())

    def commit(self) -> None:
        write_bytes_atomic(self.out.fs, self.path, b"".join(self._hashes))

    def abort(self) -> None:
        self._hashes = []


def count_duplicate_ids(out: "OutputDir", shards: Sequence["Shard"]) -> int:
    """Documents whose id an earlier document of the run already had (shards without an ids file: none)."""
    import numpy as np

    parts = []
    for shard in shards:
        path = out.join("_done", f"{shard.name}.ids")
        if out.fs.exists(path):
            with out.fs.open(path, "rb") as f:
                parts.append(np.frombuffer(f.read(), dtype="<u8"))
    hashes = np.concatenate(parts) if parts else np.zeros(0, dtype="<u8")
    return int(len(hashes) - len(np.unique(hashes)))


def _is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def config_diff(previous: dict, current: dict) -> list[str]:
    """What differs between two run.json records, ignoring settings that do not change outputs."""
    diffs = []
    for key in ("command", "input"):
        if previous.get(key) != current.get(key):
            diffs.append(f"{key}: {previous.get(key)!r} → {current.get(key)!r}")
    if "sources" in previous and "sources" in current and previous["sources"] != current["sources"]:
        diffs.append(_sources_diff(previous["sources"], current["sources"]))
    old, new = previous.get("config", {}), current.get("config", {})
    for key in sorted(set(old) | set(new)):
        if key not in RUNTIME_KEYS and old.get(key) != new.get(key):
            diffs.append(f"{key}: {old.get(key)!r} → {new.get(key)!r}")
    return diffs


def _sources_diff(old: list[dict], new: list[dict]) -> str:
    """The input files that appeared or went since the run this output holds."""
    before, after = [s["path"] for s in old], [s["path"] for s in new]
    added = [p for p in after if p not in before]
    removed = [p for p in before if p not in after]
    parts = [f"added {', '.join(added[:3])}{' …' if len(added) > 3 else ''}"] * bool(added)
    parts += [f"removed {', '.join(removed[:3])}{' …' if len(removed) > 3 else ''}"] * bool(removed)
    return f"input files: {len(before)} → {len(after)} ({'; '.join(parts) or 'changed format or split'})"


def run_info(command: str, input_spec: str, config: dict) -> dict:
    """The run.json record: what was run on what. Secrets never go in."""
    config = {k: v for k, v in config.items() if k != "api_key"}
    config = json.loads(json.dumps(config, default=json_default))  # as it reads back: tuples are lists
    if "://" not in input_spec:  # a local path: the same input whatever directory the rerun starts from
        input_spec = os.path.abspath(input_spec)
    return {"format": 1, "command": command, "input": input_spec, "config": config}
