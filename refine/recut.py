"""Re-cutting a tagger run at other thresholds, without running the model again (`refine recut`).

A tagger's audit row keeps every line's remove probability (`remove_probs`) and the document's drop
probability (`drop_prob`). `RecutRefiner` turns them into programs at new thresholds exactly as the
tagger does (`>=`, blank lines between removed ones absorbed, `refine.tagger.spans.to_programs`), and
the ordinary pipeline re-reads the run's input and writes the new output: the same data/, audit,
quarantine and stats.json as a run at those thresholds would write. Without a new doc threshold each
document keeps its drop decision. A document whose audit lacks the scores (another refiner, an older
run) gets its recorded programs back, so it comes out unchanged; those are counted.

The audit is indexed by id (and occurrence, for repeated ids) in a temporary SQLite file: memory stays
flat however large the run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from typing import Sequence

import fsspec

from refine.document import Document
from refine.io import read_jsonl_dir
from refine.refiners.base import Refinement, Refiner
from refine.replay import scoped_programs


class RecutError(ValueError):
    """A run that cannot be re-cut (no audit, rewritten documents); the message says why."""


class RunAudit:
    """(id, occurrence) -> audit row of a run's `programs/`, in a temporary SQLite file."""

    def __init__(self, audit_dir: str):
        fs, root = fsspec.core.url_to_fs(audit_dir)
        if not fs.isdir(root):
            raise RecutError(f"no audit in {audit_dir} (is it a `refine run` output?)")
        self._dir = tempfile.mkdtemp(prefix="refine-recut-")
        self._db = sqlite3.connect(os.path.join(self._dir, "audit.sqlite"))
        self._db.execute("CREATE TABLE audit (id TEXT, n INTEGER, row TEXT, PRIMARY KEY (id, n))")
        seen: Counter = Counter()  # only ids met more than once stay interesting; see `repeated`
        self.refiner_name = None
        self.rewrites = 0
        batch = []
        for row in read_jsonl_dir(fs, root):
            doc_id = str(row["id"])
            seen[doc_id] += 1
            self.refiner_name = self.refiner_name or row.get("refiner")
            self.rewrites += bool(row.get("rewrite"))
            batch.append((doc_id, seen[doc_id], json.dumps(row)))
            if len(batch) >= 10_000:
                self._db.executemany("INSERT INTO audit VALUES (?, ?, ?)", batch)
                batch = []
        self._db.executemany("INSERT INTO audit VALUES (?, ?, ?)", batch)
        self._db.commit()
        self.size = sum(seen.values())
        self.repeated = {i for i, c in seen.items() if c > 1}

    def get(self, doc_id: str, n: int = 1) -> dict | None:
        row = self._db.execute("SELECT row FROM audit WHERE id = ? AND n = ?", (doc_id, n)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def has_scores(audit: dict, n_lines: int) -> bool:
    probs = audit.get("remove_probs")
    return isinstance(probs, list) and len(probs) == n_lines and isinstance(audit.get("drop_prob"), (int, float))


class RecutRefiner(Refiner):
    """Decides from the recorded scores at `threshold` / `doc_threshold` (None: keep each drop decision)."""

    def __init__(self, audit: RunAudit, threshold: float, doc_threshold: float | None,
                 stages: Sequence[str] = ("doc", "chunk")):
        self.audit, self.threshold, self.doc_threshold = audit, threshold, doc_threshold
        self.stages = tuple(stages)
        self.name = audit.refiner_name or "recut"
        self.counts: Counter = Counter()  # "recut", "copied" (no scores), "missing" (not in the audit)
        self._occurrence: Counter = Counter()

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        from refine.tagger.spans import KEEP_WORDS, cut, kept_words, to_programs

        out = []
        for doc in docs:
            n = 1
            if doc.id in self.audit.repeated:
                self._occurrence[doc.id] += 1
                n = self._occurrence[doc.id]
            row = self.audit.get(doc.id, n)
            if row is None:
                self.counts["missing"] += 1
                out.append(Refinement(doc.id, error=f"id {doc.id!r} has no row in the run's audit: is INPUT the "
                                                    "run's input, unchanged?"))
                continue
            recorded = row.get("audit") or {}
            tokens = {"prompt_tokens": row.get("prompt_tokens") or 0,
                      "completion_tokens": row.get("completion_tokens") or 0}
            if not has_scores(recorded, len(doc.bodies)):
                self.counts["copied"] += 1
                out.append(Refinement(doc.id, programs=scoped_programs(row.get("programs") or []), audit=recorded,
                                      **tokens))
                continue
            self.counts["recut"] += 1
            dropped = any(p.get("program", "").strip() == "drop_doc()" for p in row.get("programs") or [])
            remove, drop = cut(doc.bodies, recorded["remove_probs"], recorded["drop_prob"], self.threshold,
                               self.doc_threshold, recorded.get("keep_words", KEEP_WORDS), dropped=dropped)
            audit = dict(recorded)
            if "removed_lines" in audit:
                audit["removed_lines"] = int(sum(remove))
            if "kept_words" in audit:
                audit["kept_words"] = kept_words(doc.bodies, remove)
            out.append(Refinement(doc.id, programs=to_programs(remove, drop, self.stages), audit=audit, **tokens))
        return out

    def close(self) -> None:
        self.audit.close()
