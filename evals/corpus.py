"""The two sides of an evaluation: a raw corpus, and its refined version.

The refined side is a `refine run` output directory (its `data/`, plus the audit in `programs/`, its
`run.json` and `stats.json`) or any corpus whose ids match the raw one's; a raw document missing from
it was dropped. Both are read with `refine.io`, so any input format `refine run` takes works here, and
both are held in memory as id -> text (an evaluation compares documents pairwise).
"""

from __future__ import annotations

import json
import posixpath
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Iterator

from refine.io import InputError, RawRow, SourceReader, read_jsonl_dir, resolve_inputs, to_document
from refine.document import Document
from refine.outdir import RUN_FILE, STATS_FILE, OutputDir

ALL_ROWS = 1 << 62  # SourceReader.rows stops at the end of its source


@dataclass
class Corpus:
    """Documents by id, in reading order, and what could not be read as one."""

    texts: dict[str, str]
    unreadable: int = 0  # rows that are not records, or lack a string text field
    duplicate_ids: int = 0  # later rows with an id seen before (keyed "ID#2", "ID#3", … in reading order)
    _seen: Counter = field(default_factory=Counter, repr=False)

    def key(self, doc_id: str) -> str:
        """`doc_id` for its first document, "ID#k" for the k-th: repeated ids pair in order, so counts
        agree with the run's stats.json (which counts every document)."""
        self._seen[doc_id] += 1
        n = self._seen[doc_id]
        if n == 1:
            return doc_id
        self.duplicate_ids += 1
        return f"{doc_id}#{n}"


@dataclass
class RefinedCorpus(Corpus):
    """A refined corpus; `audit`, `run` and `stats` are set when it is a `refine run` output directory."""

    path: str = ""
    audit: dict[str, dict] | None = None  # id -> audit row (programs/)
    run: dict | None = None  # run.json
    stats: dict | None = None  # stats.json
    meta: dict = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return ((self.run or {}).get("config") or {}).get("dialect") or "prox"


def _rows(spec: str) -> Iterator[tuple[object, RawRow]]:
    for source in resolve_inputs(spec):
        reader = SourceReader(source)
        try:
            for raw in reader.rows(0, ALL_ROWS):
                yield source, raw
        finally:
            reader.close()


def read_raw(spec: str, text_field: str = "text", id_field: str = "id") -> Corpus:
    """A raw corpus as `refine run` reads it: same ids (generated ones included), same rejections."""
    corpus = Corpus({})
    for source, raw in _rows(spec):
        doc = to_document(raw, source, text_field, id_field)
        if not isinstance(doc, Document):
            corpus.unreadable += 1
        else:
            corpus.texts[corpus.key(doc.id)] = doc.text
    if not corpus.texts:
        raise InputError(f"no documents in {spec!r} (is the text field {text_field!r}? see --text-field)")
    return corpus


def is_run_dir(path: str) -> bool:
    out = OutputDir(path)
    return out.fs.isfile(out.join(RUN_FILE)) and out.fs.isdir(out.join("data"))


def read_refined(spec: str, text_field: str = "text", id_field: str = "id") -> RefinedCorpus:
    """A refined corpus. An empty text is an emptied document (kept, not unreadable); the id is the
    record's `id_field`, else the `refine` metadata column's id (`refine run` generated it)."""
    if is_run_dir(spec):
        return _read_run_dir(spec, text_field, id_field)
    corpus = RefinedCorpus({}, path=spec)
    for _, raw in _rows(spec):
        _add_refined(corpus, raw.record, text_field, id_field)
    return corpus


def _read_run_dir(path: str, text_field: str, id_field: str) -> RefinedCorpus:
    out = OutputDir(path)
    run = _read_json(out, RUN_FILE)
    config = run.get("config") or {}
    text_field = config.get("text_field", text_field)
    id_field = config.get("id_field", id_field)
    corpus = RefinedCorpus({}, path=path, run=run, stats=_read_json(out, STATS_FILE) or None)
    audit: dict[str, dict] = {}
    kept: dict[str, deque] = defaultdict(deque)  # id -> keys of its kept documents, in order
    numbering = Corpus({})
    for row in read_jsonl_dir(out.fs, out.join("programs")):
        key = numbering.key(str(row["id"]))
        audit[key] = row
        if row.get("kept"):
            kept[str(row["id"])].append(key)
    for record in read_jsonl_dir(out.fs, out.join("data")):  # data rows are the kept audit rows, in order
        _add_refined(corpus, record, text_field, id_field, lambda i: kept[i].popleft() if kept[i] else corpus.key(i))
    corpus.duplicate_ids = numbering.duplicate_ids
    corpus.audit = audit or None
    corpus.meta = {"text_field": text_field, "id_field": id_field, "input": run.get("input")}
    return corpus


def _read_json(out: OutputDir, name: str) -> dict:
    path = out.join(name)
    if not out.fs.isfile(path):
        return {}
    with out.fs.open(path, "rb") as f:
        return json.loads(f.read())


def _add_refined(corpus: RefinedCorpus, record: dict | None, text_field: str, id_field: str, key=None) -> None:
    text = record.get(text_field) if isinstance(record, dict) else None
    if not isinstance(text, str):
        corpus.unreadable += 1
        return
    doc_id = record.get(id_field)
    if doc_id is None or doc_id == "":
        meta = record.get("refine")
        doc_id = meta.get("id") if isinstance(meta, dict) else None
    if doc_id is None or doc_id == "":
        corpus.unreadable += 1  # without an id a refined record cannot be paired with its raw document
        return
    doc_id = str(doc_id)
    corpus.texts[(key or corpus.key)(doc_id)] = text


def raw_input_of(refined: RefinedCorpus) -> str | None:
    """The raw corpus a `refine run` output was made from, when run.json names one that still exists."""
    spec = (refined.run or {}).get("input")
    if not spec:
        return None
    try:
        resolve_inputs(spec)
    except InputError:
        return None
    return spec


def variant_name(path: str) -> str:
    """A short column name for a refined corpus: its directory or file name."""
    return posixpath.basename(path.rstrip("/")) or path
