"""Programs that come with the records, or from an earlier run's audit, as a refiner: `refine apply`.

A record's program field is a program text (whole-document scope) or a list of
`{"program": str, "lines": [start, end] | None, "stage": str}`: the shape of the `programs` column of
a run's audit (`OUTPUT/programs/`), so a run's audit replays as is. With an audit directory, programs are
joined onto the input records by id through an on-disk SQLite index, so memory stays flat.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from typing import Sequence

import fsspec

from refine.document import Document
from refine.io import read_jsonl_dir
from refine.refiners.base import Refinement, Refiner, ScopedProgram


class ProgramFieldError(ValueError):
    """A program field of the wrong shape; `code` names the quarantine reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def scoped_programs(value) -> list[ScopedProgram]:
    """A program field's value as ScopedPrograms, or a ProgramFieldError saying what is wrong."""
    if isinstance(value, str):
        return [ScopedProgram(value, None, "doc")]
    if not isinstance(value, list):
        raise ProgramFieldError("program_not_string",
                                f"program is {type(value).__name__}, not a string or a list of programs")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append(ScopedProgram(item, None, "doc"))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("program"), str):
            raise ProgramFieldError("program_not_string",
                                    f"program {i} is not a string nor an object with a string 'program'")
        lines = item.get("lines")
        if lines is not None and not (isinstance(lines, (list, tuple)) and len(lines) == 2
                                      and all(isinstance(n, int) and not isinstance(n, bool) for n in lines)
                                      and 0 <= lines[0] <= lines[1]):
            raise ProgramFieldError("bad_lines", f"program {i}: 'lines' must be [start, end], 0 <= start <= end")
        out.append(ScopedProgram(item["program"], tuple(lines) if lines is not None else None,
                                 str(item.get("stage") or ("chunk" if lines is not None else "doc"))))
    return out


class AuditIndex:
    """id → programs of a run's audit directory, in a temporary SQLite file (first row wins)."""

    def __init__(self, audit_dir: str, storage_options: dict | None = None):
        fs, root = fsspec.core.url_to_fs(audit_dir, **(storage_options or {}))
        if not fs.isdir(root):
            raise FileNotFoundError(f"audit directory not found: {audit_dir} (give a run's OUTPUT/programs)")
        self._dir = tempfile.mkdtemp(prefix="refine-audit-")
        self._db = sqlite3.connect(os.path.join(self._dir, "audit.sqlite"))
        self._db.execute("CREATE TABLE audit (id TEXT PRIMARY KEY, programs TEXT, rewrite INTEGER)")
        rows = ((str(r["id"]), json.dumps(r.get("programs") or []), int(bool(r.get("rewrite"))))
                for r in read_jsonl_dir(fs, root) if "id" in r)
        self._db.executemany("INSERT OR IGNORE INTO audit VALUES (?, ?, ?)", rows)
        self._db.commit()
        self.size = self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

    def get(self, doc_id: str) -> tuple[list, bool] | None:
        row = self._db.execute("SELECT programs, rewrite FROM audit WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else (json.loads(row[0]), bool(row[1]))

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class RecordedPrograms(Refiner):
    """A refiner that decides nothing: it hands the pipeline the programs the records carry."""

    name = "apply"

    def __init__(self, program_field: str = "program", audit: AuditIndex | None = None):
        self.program_field = program_field
        self.audit = audit
        self._pending: dict[int, list[ScopedProgram]] = {}  # id(document) -> its programs, until refined

    def validate(self, doc: Document) -> tuple[str, str] | None:
        """Quarantine reason for a record whose programs cannot be read, else None."""
        if self.audit is not None:
            found = self.audit.get(doc.id)
            if found is None:
                return "not_in_audit", f"id {doc.id!r} has no row in the audit"
            value, is_rewrite = found
            if is_rewrite:
                return "rewrite_in_audit", f"id {doc.id!r} was rewritten, not edited by programs; nothing to replay"
        elif self.program_field not in doc.fields:
            return "missing_program", f"no {self.program_field!r} field; choose it with --program-field"
        else:
            value = doc.fields[self.program_field]
        try:
            self._pending[id(doc)] = scoped_programs(value)
        except ProgramFieldError as e:
            return e.code, str(e)
        return None

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        out = []
        for doc in docs:
            programs = self._pending.pop(id(doc), None)
            if programs is None:  # not validated by this pipeline: read it now
                problem = self.validate(doc)
                programs = self._pending.pop(id(doc), []) if problem is None else []
                if problem is not None:
                    out.append(Refinement(doc.id, error=problem[1]))
                    continue
            out.append(Refinement(doc.id, programs=programs))
        return out

    def close(self) -> None:
        self._pending.clear()
        if self.audit is not None:
            self.audit.close()
