"""The annotation dataset: training rows (prompt -> program) on disk, and the statistics of a run.

A directory holds `train.jsonl` and `stats.json`. Each document gives one doc-stage row (prompt: the
raw text; program: `keep_doc()` or `drop_doc()`) and, when kept, one chunk-stage row per chunk
(prompt: `[doc]\\n[000]line...\\n[/doc]`; program: its `remove_lines`/`remove_str` ops, or
`keep_chunk()`). Every row also carries the whole document's `text`, per-line `labels` (1 = remove)
and `doc_label` (1 = drop), so line taggers read the same file: use the rows with stage == "doc".
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import fsspec

from programs.lines import line_body, runs, split_lines
from programs.ops import DropDoc, KeepChunk, KeepDoc, Program, RemoveLines, RemoveStr
from programs.render import render
from refine.io import write_bytes_atomic, write_chunks_atomic
from refine.refiners.budgets import PROX_CHUNK_TOKENS, PROX_DOC_TOKENS

ROWS_FILE = "train.jsonl"
STATS_FILE = "stats.json"


def labels_from_program(text: str, program: Program) -> list[int]:
    """Per-line labels (1 = removed by a `remove_lines`) of a program over a document."""
    n = len(split_lines(text))
    labels = [0] * n
    for op in program.ops:
        if isinstance(op, DropDoc):
            return [1] * n
        if isinstance(op, RemoveLines):
            for i in range(max(0, op.line_start), min(n - 1, op.line_end) + 1):
                labels[i] = 1
    return labels


def program_from_labels(labels, remove_strs=(), scope: tuple[int, int] | None = None) -> Program:
    """The chunk-stage program that removes the labelled lines (and the given strings) in `scope`."""
    lo, hi = scope if scope is not None else (0, len(labels) - 1)
    ops: list = [RemoveStr(line, s) for line, s in remove_strs if lo <= line <= hi]
    ops += [RemoveLines(lo + a, lo + b) for a, b in runs(labels[lo:hi + 1])]
    return Program(tuple(ops) or (KeepChunk(),), scope)


@dataclass
class Prompter:
    """Builds doc and chunk prompts with the engine's prompt set and chunker (ProX format)."""

    chunk_tokens: int = PROX_CHUNK_TOKENS
    doc_tokens: int = PROX_DOC_TOKENS
    tokenizer: object = None  # any HF tokenizer; None = the model-free approximation

    def __post_init__(self) -> None:
        from refine.chunking import ApproxTokenizer
        from refine.prompts import PROX

        self.prompts = PROX
        if self.tokenizer is None:
            self.tokenizer = ApproxTokenizer()

    def doc_prompt(self, text: str) -> str:
        """The doc-stage user text: the raw document, cut at the doc token budget."""
        from refine.chunking import truncate_to_tokens

        return truncate_to_tokens(self.tokenizer, text, self.doc_tokens)[0]

    def chunks(self, text: str):
        from refine.chunking import chunk_document

        bodies = [line_body(line) for line in split_lines(text)]
        return chunk_document(bodies, self.tokenizer, self.chunk_tokens, self.prompts.number_line)

    def chunk_prompt(self, chunk) -> str:
        return self.prompts.chunk_user.format(chunk=chunk.text_numbered)

    @property
    def system(self) -> str:
        return self.prompts.system


#: Fields only the doc row carries: the whole document's text and labels, stored once per document.
DOC_ONLY = ("text", "labels", "clean", "line_kinds", "doc_ids")


def document_rows(prompter: Prompter, *, id: str, text: str, labels, doc_label: int, source: str, split: str,
                  remove_strs=(), expert: str = "synthetic", **extra) -> list[dict]:
    """The doc-stage row and (for kept documents) the chunk-stage rows of one labelled document."""
    labels = [int(x) for x in labels]
    if len(labels) != len(split_lines(text)):
        raise ValueError(f"{id}: {len(labels)} labels for {len(split_lines(text))} lines")
    shared = {"source": source, "split": split, "expert": expert, "doc_label": int(doc_label),
              **{k: v for k, v in extra.items() if k not in DOC_ONLY}}
    heavy = {"text": text, "labels": labels, **{k: v for k, v in extra.items() if k in DOC_ONLY}}
    rows = [{"id": f"{id}/doc", "doc_id": id, "stage": "doc", "system": prompter.system,
             "prompt": prompter.doc_prompt(text),
             "program": render(Program((DropDoc(),) if doc_label else (KeepDoc(),))), "scope": None,
             **shared, **heavy}]
    if doc_label:
        return rows
    for k, chunk in enumerate(prompter.chunks(text)):
        program = program_from_labels(labels, remove_strs, chunk.scope)
        rows.append({"id": f"{id}/chunk{k}", "doc_id": id, "stage": "chunk", "system": prompter.system,
                     "prompt": prompter.chunk_prompt(chunk), "program": render(program),
                     "scope": list(chunk.scope), **shared})
    return rows


@dataclass
class Stats:
    """What a run kept and rejected, and why, by source and by template: merged into stats.json."""

    kept: Counter = field(default_factory=Counter)  # by stage
    rejected: Counter = field(default_factory=Counter)  # by reason
    by_source: dict = field(default_factory=lambda: defaultdict(Counter))
    by_template: Counter = field(default_factory=Counter)
    by_layout: Counter = field(default_factory=Counter)
    lines: Counter = field(default_factory=Counter)  # "keep" / "remove"
    docs: Counter = field(default_factory=Counter)  # "keep" / "drop"
    docs_read: int = 0  # input documents handed to the expert (a corpus expert's)
    quarantined: Counter = field(default_factory=Counter)  # input rows that are not documents, by reason
    extra: dict = field(default_factory=dict)  # the run's settings (the expert, its options)

    def add_rows(self, rows: list[dict], templates=(), layout: str | None = None) -> None:
        for row in rows:
            self.kept[row["stage"]] += 1
        doc = next(r for r in rows if r["stage"] == "doc")
        self.by_source[doc["source"]]["kept"] += 1
        self.docs["drop" if doc["doc_label"] else "keep"] += 1
        self.lines["remove"] += sum(doc["labels"])
        self.lines["keep"] += len(doc["labels"]) - sum(doc["labels"])
        self.by_template.update(templates)
        if layout:
            self.by_layout[layout.split(":")[0]] += 1

    def reject(self, reason: str, source: str = "") -> None:
        self.rejected[reason] += 1
        if source:
            self.by_source[source][f"rejected:{reason}"] += 1

    def to_dict(self) -> dict:
        return {"kept": dict(self.kept), "rejected": dict(self.rejected),
                "by_source": {k: dict(v) for k, v in sorted(self.by_source.items())},
                "by_template": dict(sorted(self.by_template.items())), "by_layout": dict(sorted(self.by_layout.items())),
                "lines": dict(self.lines), "docs": dict(self.docs), "docs_read": self.docs_read,
                "quarantined": dict(self.quarantined), **self.extra}

    @classmethod
    def from_dict(cls, d: dict) -> "Stats":
        """The stats `to_dict` gave (a shard's, from its completion marker); unknown keys are `extra`."""
        counters = {k: Counter(d.get(k, {})) for k in ("kept", "rejected", "by_template", "by_layout", "lines",
                                                        "docs", "quarantined")}
        by_source = defaultdict(Counter, {k: Counter(v) for k, v in d.get("by_source", {}).items()})
        extra = {k: v for k, v in d.items() if k not in (*counters, "by_source", "docs_read")}
        return cls(**counters, by_source=by_source, docs_read=int(d.get("docs_read", 0)), extra=extra)

    def merge(self, other: "Stats") -> None:
        """Add another shard's counts (its `extra` is the run's business, not merged)."""
        for name in ("kept", "rejected", "by_template", "by_layout", "lines", "docs", "quarantined"):
            getattr(self, name).update(getattr(other, name))
        for source, counts in other.by_source.items():
            self.by_source[source].update(counts)
        self.docs_read += other.docs_read


def write_dataset(rows: Iterable[dict], out_dir: str | Path, stats: Stats) -> Path:
    """Write the rows as JSONL (streamed, as they come) and the stats as JSON, each atomically; returns
    the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fs = fsspec.filesystem("file")
    write_chunks_atomic(fs, str(out / ROWS_FILE), (row_line(row) for row in rows))
    write_stats(fs, str(out / STATS_FILE), stats)
    return out


def row_line(row: dict) -> bytes:
    """One dataset row as its JSONL line (what `refine.io.ShardWriter` writes too)."""
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def write_stats(fs, path: str, stats: Stats) -> None:
    write_bytes_atomic(fs, path, (json.dumps(stats.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def iter_annotations(path: str | Path, stage: str | None = None) -> Iterator[dict]:
    """Rows of an annotation directory (or of a JSONL file), optionally of one stage only."""
    p = Path(path)
    file = p / ROWS_FILE if p.is_dir() else p
    if not file.is_file():
        raise FileNotFoundError(f"no annotations at {str(file)!r}: run `refine annotate` first")
    with open(file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}:{n}: not a JSON row ({exc.msg})") from None
            if stage is None or row.get("stage") == stage:
                yield row


def load_annotations(path: str | Path, stage: str | None = None) -> list[dict]:
    """All rows of an annotation directory; `stage="doc"` gives one row per document (with `text`,
    `labels` and `doc_label`), which is what a line tagger trains on."""
    return list(iter_annotations(path, stage))
