"""Read → refine → apply → write, in shards that survive a crash.

A shard is a row range of one input file. Each shard's three outputs (`data/`, `programs/`,
`quarantine/`) are written to temporary names, renamed into place, and only then is its completion
marker `_done/<shard>.json` (holding the shard's stats) written. A rerun skips shards whose marker
matches and redoes the rest from scratch, so a run killed at any moment and rerun yields every input
id exactly once; shard outputs depend only on the input and the refiner, so they are byte-identical to
an uninterrupted run's. Bad records go to the quarantine with a reason; a refiner failure on a
document fails its shard (no marker), the other shards go on, and the run reports how to resume.

Here: the plan (`Pipeline.prepare`), the per-shard step (`ShardRunner`) and the merged stats
(`Pipeline.summarize`); who runs the shards, and where, is an executor's business (`refine.executors`).
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Iterable, Iterator

from programs.ops import OP_NAMES, ApplyResult, Policy, ProgramError
from programs.render import error_record
from refine.document import Document
from refine.io import (InputError, OutputFull, Rejected, ShardWriter, Source, SourceReader, preview_record,
                       is_disk_full, resolve_inputs, to_document, write_json_atomic)
from refine.outdir import STATS_FILE, OutputDir, ShardIds, count_duplicate_ids
from refine.progress import NullProgress, ProgressLike
from refine.refiners.base import Refinement, Refiner
from refine.shards import Shard, plan_shards
from refine.stats import Stats

@dataclass
class PipelineConfig:
    """How the pipeline reads, applies and writes; what to refine is the refiner's business."""

    text_field: str = "text"
    id_field: str = "id"
    batch_size: int | None = None  # documents per refine call; None: the refiner's own (`batch_size_for`)
    shard_size: int = 10_000
    output_format: str = "jsonl"  # data/ only; the audit and the quarantine are always JSONL
    limit: int | None = None  # process only the first N rows of the corpus
    dialect: str = "prox"
    policy: Policy = field(default_factory=Policy)
    resume: bool = True
    force: bool = False  # resume even if run.json records a different config
    storage_options: dict = field(default_factory=dict)

    def batch_size_for(self, refiner) -> int:
        """Documents per `refiner.refine` call: `batch_size` when given, else the refiner's own."""
        return self.batch_size or refiner.batch_size


@dataclass
class RunResult:
    output: str
    stats: Stats
    shards: int
    done_before: int  # shards skipped because an earlier run completed them
    failed: list[tuple[str, str]]  # (shard name, message)
    this_run: Stats = field(default_factory=Stats)  # the shards this run did (not those resumed past)

    @property
    def ok(self) -> bool:
        return not self.failed


class ShardFailed(RuntimeError):
    pass


@dataclass
class ShardOutcome:
    """What processing one shard came to: its stats (done) or why it failed."""

    name: str
    stats: Stats | None
    error: str | None


# --------------------------------------------------------------------------------------------------
# Applying one refinement


def apply_refinement(doc: Document, ref: Refinement, dialect: str, policy: Policy) -> tuple[ApplyResult, list]:
    """The refined document, and the parsed programs (or their parse errors) it came from."""
    if ref.rewrite is not None:
        if not ref.rewrite.strip():
            return ApplyResult(text="", kept=False, outcome="dropped", drop_reason="empty"), []
        outcome = "applied" if ref.rewrite != doc.text else "unchanged"
        return ApplyResult(text=ref.rewrite, kept=True, outcome=outcome), []
    if not ref.programs:
        return ApplyResult(text=doc.text, kept=True, outcome="unchanged"), []
    from programs.parse import try_parse
    from programs.apply import apply

    parsed = [try_parse(p.text, dialect=dialect, scope=p.scope) for p in ref.programs]
    return apply(doc.text, parsed, policy), parsed


def _words(text: str) -> int:
    return len(text.split())


class DocumentStep:
    """Turns (document, refinement) into a data row, an audit row and counter updates."""

    def __init__(self, refiner_name: str, text_field: str, dialect: str, policy: Policy):
        self.refiner_name, self.text_field, self.dialect, self.policy = refiner_name, text_field, dialect, policy

    def __call__(self, doc: Document, ref: Refinement, source: Source, row: int,
                 stats: Stats) -> tuple[dict | None, dict]:
        result, parsed = apply_refinement(doc, ref, self.dialect, self.policy)
        n_ops = sum(len(p.ops) for p in parsed if not isinstance(p, ProgramError))
        stats.update("docs_in")
        stats.update("chars_in", len(doc.text))
        stats.update("words_in", _words(doc.text))
        stats.update("prompt_tokens", ref.prompt_tokens)
        stats.update("completion_tokens", ref.completion_tokens)
        for program in parsed:
            if isinstance(program, ProgramError):
                continue
            for op in program.ops:
                stats.update(f"ops/{OP_NAMES[type(op)]}")
        for error in result.errors:
            stats.update(f"errors/{error.code}")
        if ref.rewrite is not None:
            stats.update("rewrites")
        if result.kept:  # kept documents are changed, unchanged or reverted (policy: keep_original)
            stats.update("docs_kept")
            stats.update("docs_changed" if result.outcome == "applied" else f"docs_{result.outcome}")
            stats.update("chars_out", len(result.text))
            stats.update("words_out", _words(result.text))
        else:
            stats.update("docs_dropped")
            stats.update(f"drop_reasons/{_drop_reason(result, ref)}")

        meta = {"id": doc.id, "kept": result.kept, "outcome": result.outcome, "n_ops": n_ops,
                "n_errors": len(result.errors), "refiner": self.refiner_name}
        data_row = {**doc.fields, self.text_field: result.text, "refine": meta} if result.kept else None
        effects = {"ops": {}, "lines_removed": 0, "chars_removed": 0, "replacements": 0}
        for effect in result.effects:
            name = OP_NAMES[type(effect.op)]
            effects["ops"][name] = effects["ops"].get(name, 0) + 1
            effects["lines_removed"] += effect.lines_removed
            effects["chars_removed"] += effect.chars_removed
            effects["replacements"] += effect.replacements
        audit_row = {
            "id": doc.id,
            "source": {"file": source.path, "row": row},
            "refiner": self.refiner_name,
            "programs": [{"program": p.text, "lines": list(p.scope) if p.scope else None, "stage": p.stage}
                         for p in ref.programs],
            "rewrite": ref.rewrite is not None,
            "kept": result.kept,
            "outcome": result.outcome,
            "drop_reason": result.drop_reason,
            "errors": [error_record(e) for e in result.errors],
            "effects": effects,
            "chars_in": len(doc.text),
            "chars_out": len(result.text) if result.kept else 0,
            "prompt_tokens": ref.prompt_tokens,
            "completion_tokens": ref.completion_tokens,
            "audit": ref.audit,
        }
        return data_row, audit_row


# --------------------------------------------------------------------------------------------------
# The run


Validator = Callable[[Document], "tuple[str, str] | None"]


@dataclass
class Plan:
    """A prepared run: its inputs, its shards, the output directory, and the shards already done."""

    sources: list[Source]
    readers: list[SourceReader]
    shards: list[Shard]
    out: OutputDir
    done: set[str]

    def todo(self) -> list[Shard]:
        return [s for s in self.shards if s.name not in self.done]


class Pipeline:
    """Plans a run of one refiner over a corpus into an output directory, and merges its shards' stats.

    `prepare` checks the input and the output directory before any refiner is built (a refiner may
    keep its request cache in the output directory); an executor (`refine.executors`) then refines the
    shards not done yet with a `ShardRunner` each, and `summarize` writes stats.json.
    """

    def __init__(self, config: PipelineConfig, progress: ProgressLike | None = None):
        self.config = config
        self.progress = progress or NullProgress()

    def prepare(self, input_spec: str, output: str, run_record: dict) -> Plan:
        cfg = self.config
        sources = resolve_inputs(input_spec, cfg.storage_options, exclude=output)
        readers = [SourceReader(s, cfg.storage_options) for s in sources]
        counts = [_count(r) for r in readers]
        shards = plan_shards(sources, counts, cfg.shard_size, cfg.limit)
        out = OutputDir(output, cfg.storage_options)
        out.prepare({**run_record, "sources": [s.to_dict() for s in sources]}, cfg.resume, cfg.force)
        try:  # OUTPUT is locked from here until `summarize` (or the process) ends
            out.prune(shards)
            done = {s.name for s in shards if out.marker(s) is not None}
        except BaseException:
            out.unlock()
            raise
        return Plan(sources, readers, shards, out, done)

    def runner(self, refiner: Refiner) -> "ShardRunner":
        """The per-shard step with `refiner`, reporting to this pipeline's progress."""
        return ShardRunner(self.config, refiner, self.progress)

    def prepare_refiner(self, plan: Plan, refiner: Refiner) -> None:
        """A corpus-aware refiner (e.g. rules with linefreq=auto) counts over the whole planned input
        first, done shards included, so a resumed run refines exactly like an uninterrupted one."""
        if refiner.needs_prepare:
            refiner.prepare(self.documents(plan))

    def summarize(self, plan: Plan, failed: list[tuple[str, str]]) -> RunResult:
        """Merge the completion markers' stats into stats.json (whichever process wrote them)."""
        out = plan.out
        markers = [out.marker(s) for s in plan.shards]
        total = Stats.merged(Stats.from_dict(m["stats"]) for m in markers if m is not None)
        duplicates = count_duplicate_ids(out, [s for s, m in zip(plan.shards, markers) if m is not None])
        if duplicates:
            total.update("duplicate_ids", duplicates)
        this_run = Stats.merged(Stats.from_dict(m["stats"]) for s, m in zip(plan.shards, markers)
                                if m is not None and s.name not in plan.done)
        summary = {**total.to_dict(),
                   "shards": {"total": len(plan.shards), "done": sum(m is not None for m in markers),
                              "failed": len(failed), "resumed": len(plan.done)}}
        write_json_atomic(out.fs, out.join(STATS_FILE), summary)
        out.unlock()
        return RunResult(out.path, total, len(plan.shards), len(plan.done), failed, this_run)

    def documents(self, plan: Plan) -> Iterator[Document]:
        """Every valid document of the plan, streamed (quarantined rows are skipped)."""
        cfg = self.config
        for shard in plan.shards:
            reader = plan.readers[plan.sources.index(shard.source)]
            for raw in reader.rows(shard.start, shard.stop):
                doc = to_document(raw, shard.source, cfg.text_field, cfg.id_field)
                if isinstance(doc, Document):
                    yield doc


def read_shard(shard: Shard, reader: SourceReader, config: PipelineConfig, quarantine: ShardWriter,
               on_rejected: Callable[[Rejected], None], validate: Validator | None = None
               ) -> Iterator[tuple[int, Document]]:
    """A shard's documents with their rows, streamed; a row that is not one (or that `validate` refuses)
    goes to `quarantine` with its reason, and to `on_rejected` (which counts it), never silently away."""
    rows = reader.rows(shard.start, shard.stop)
    try:
        for raw in rows:
            doc = to_document(raw, shard.source, config.text_field, config.id_field)
            if isinstance(doc, Document) and validate is not None:
                problem = validate(doc)
                if problem is not None:
                    doc = Rejected(raw.row, problem[0], problem[1],
                                   preview_record({**doc.fields, config.text_field: doc.text}), doc.id)
            if isinstance(doc, Rejected):
                quarantine.write(doc.to_row(shard.source))
                on_rejected(doc)
                continue
            yield raw.row, doc
    finally:
        rows.close()  # now, not at garbage collection: the reader's stream position depends on it


class ShardStep:
    """One shard's work, written whole and then marked done, or recorded as failed: what `refine run`'s
    step and `refine annotate`'s share. A subclass writes the shard's files in `write_shard`."""

    #: Failures every other shard would meet too (a backend that is gone): recorded, then they stop the run.
    stops_run: tuple[type[Exception], ...] = ()

    def write_shard(self, shard: Shard, reader: SourceReader, out: OutputDir):
        """Write the shard's files (atomically, by commit) and return its stats (anything with `to_dict`)."""
        raise NotImplementedError

    def process_shard(self, shard: Shard, reader: SourceReader, out: OutputDir) -> ShardOutcome:
        """Do one shard, then mark it done or record why it failed.

        Never raises for a failure of the shard's own work: one shard's failure must not stop the run.
        A full disk is the exception: every other shard would fail the same way, so it stops the run
        (`OutputFull`), leaving neither a marker nor a temp file; the rerun redoes this shard. So do
        `stops_run` failures, once recorded.
        """
        try:
            stats = self.write_shard(shard, reader, out)
        except Exception as e:  # noqa: BLE001 - recorded in _failed/ and reported by the run
            if is_disk_full(e):
                raise OutputFull(f"no space left on the device holding {out.path} (writing shard {shard.name})") from None
            message = str(e) if isinstance(e, ShardFailed) else f"{type(e).__name__}: {e}"
            try:
                out.record_failure(shard, message, traceback.format_exc())
            except OSError as failure:
                if is_disk_full(failure):
                    raise OutputFull(f"no space left on the device holding {out.path}") from None
                raise
            if isinstance(e, self.stops_run):
                raise
            return ShardOutcome(shard.name, None, message)
        try:
            out.complete(shard, stats)
        except OSError as e:
            if is_disk_full(e):
                raise OutputFull(f"no space left on the device holding {out.path} (writing shard {shard.name}'s "
                                 "completion marker)") from None
            raise
        return ShardOutcome(shard.name, stats, None)


class ShardRunner(ShardStep):
    """Refines and writes whole shards with one refiner: the step every executor runs, in this process
    (local) or in a worker (Ray), so outputs, markers and stats are the same whichever runs it."""

    def __init__(self, config: PipelineConfig, refiner: Refiner, progress: ProgressLike | None = None):
        self.config = config
        self.refiner = refiner
        # A refiner may reject malformed records (e.g. `refine apply`: a program that is not a string).
        self.validate: Validator = refiner.validate
        self.step = DocumentStep(refiner.name, config.text_field, config.dialect, config.policy)
        self.progress = progress or NullProgress()

    def _documents(self, shard: Shard, reader: SourceReader, quarantine: ShardWriter,
                   stats: Stats) -> Iterator[tuple[int, Document]]:
        def rejected(doc: Rejected) -> None:
            stats.update("docs_quarantined")
            stats.update(f"quarantine/{doc.code}")
            self.progress.advance(rows=1)

        return read_shard(shard, reader, self.config, quarantine, rejected, self.validate)

    def write_shard(self, shard: Shard, reader: SourceReader, out: OutputDir) -> Stats:
        cfg = self.config
        stats = Stats()
        started = time.perf_counter()
        writers = {
            "data": ShardWriter(out.fs, out.join("data"), shard.name, cfg.output_format),
            "programs": ShardWriter(out.fs, out.join("programs"), shard.name, "jsonl"),
            "quarantine": ShardWriter(out.fs, out.join("quarantine"), shard.name, "jsonl"),
            "ids": ShardIds(out, shard.name),
        }
        try:
            docs = self._documents(shard, reader, writers["quarantine"], stats)
            try:
                self._refine_batches(shard, docs, writers, stats)
            finally:
                docs.close()
            for writer in writers.values():
                writer.commit()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        stats.update("wall_s", time.perf_counter() - started)
        return stats

    def _refine_batches(self, shard: Shard, docs: Iterator[tuple[int, Document]], writers: dict,
                        stats: Stats) -> None:
        """Refine batch k+1 while batch k is applied and written in a second thread.

        The refiner is always called from this thread (its backend may hold thread-bound handles such as
        a SQLite cache); the writer thread owns the data/audit writers and its own counters, merged at
        the end, and batches are written in order, so the output does not depend on the overlap.
        """
        written = Stats()
        pending = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="refine-writer") as pool:
            for batch in _batched(docs, self.config.batch_size_for(self.refiner)):
                refinements = self.refiner.refine([doc for _, doc in batch])
                if len(refinements) != len(batch):
                    raise ShardFailed(f"refiner returned {len(refinements)} results for {len(batch)} documents")
                if pending is not None:
                    pending.result()  # re-raises the writer's failure, and keeps at most one batch queued
                pending = pool.submit(self._write_batch, shard, batch, refinements, writers, written)
            if pending is not None:
                pending.result()
        stats.merge(written)

    def _write_batch(self, shard: Shard, batch: list[tuple[int, Document]], refinements: list[Refinement],
                     writers: dict, stats: Stats) -> None:
        kept, words_before = 0, stats["words_in"]
        for (row, doc), ref in zip(batch, refinements):
            if ref.error:
                raise ShardFailed(f"shard {shard.name}: document {doc.id!r} (row {row}) failed: {ref.error}")
            data_row, audit_row = self.step(doc, ref, shard.source, row, stats)
            if data_row is not None:
                writers["data"].write(data_row)
                kept += 1
            writers["programs"].write(audit_row)
            writers["ids"].write(doc.id)
        self.progress.advance(rows=len(batch), docs=len(batch), kept=kept,
                              words=int(stats["words_in"] - words_before))


def _count(reader: SourceReader) -> int:
    try:
        return reader.count()
    except Exception as e:  # noqa: BLE001 - any failure to read an input is bad input at the edge
        raise InputError(f"cannot read {reader.source.path}: {type(e).__name__}: {e}") from e


def _batched(items: Iterable, n: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def _drop_reason(result: ApplyResult, ref: Refinement) -> str:
    """Why a document was dropped; a refiner's own reason for its `drop_doc()` (a rule's name, say)
    makes the summary say which rule fired, not only that one did."""
    reason = result.drop_reason or "unknown"
    why = ref.audit.get("drop_reason")
    return f"{reason} ({why})" if reason == "drop_doc" and why else reason
