"""`refine annotate`: an expert's training rows for a corpus, shard by shard, resumable like `refine run`.

The labels, programs and edits experts read their input with the pipeline's own planner and reader, and
write into an output directory laid out as `refine run`'s (`refine.outdir`), plus the dataset itself:

    OUTPUT/train.jsonl            every shard's rows in input order: what `refine train` reads
    OUTPUT/stats.json             the merged stats of every shard (`dataset.Stats`)
    OUTPUT/data/<shard>.jsonl     one shard's rows        OUTPUT/quarantine/<shard>.jsonl  its bad records
    OUTPUT/_done/<shard>.json     its completion marker and stats; run.json: what was run on what

A shard's rows are written as the expert yields them, to a temporary name renamed in once the shard is
whole; its marker comes last. A rerun of the same command skips the shards whose marker matches (a model
expert asks its backend nothing for them), and train.jsonl and stats.json are rebuilt from the shards at
the end, atomically, so they are the same whether or not a run was killed on the way. They exist only
for a finished run. The synthetic expert reads no input: its rows are one streamed write.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

from refine.annotate.dataset import ROWS_FILE, STATS_FILE, Prompter, Stats, write_dataset, write_stats
from refine.annotate.labels import LABEL_FIELD, MIN_CONTENT_WORDS
from refine.backends.base import Backend, BackendError
from refine.document import Document
from refine.io import (InputError, Rejected, ShardWriter, SourceReader, resolve_inputs, to_document,
                       write_chunks_atomic)
from refine.outdir import LOCK_FILE, RUN_FILE, OutputDir, RunConfigError, run_info
from refine.pipeline import Pipeline, PipelineConfig, Plan, ShardStep, read_shard
from refine.shards import Shard

EXPERTS = ("synthetic", "labels", "programs", "edits")
SHARD_SIZE = 1_000
SHOWN = 3  # unreadable rows and unusable records named one by one; the rest are counted
SYNTHETIC_N = 1_000

Note = Callable[[str], None]


class AnnotateError(ValueError):
    """A run that cannot start or go on (bad options, no usable input, a failing backend); the message
    says why and what to do."""


class ShardsFailed(AnnotateError):
    """Some shards failed (recorded in OUTPUT/_failed/); the others are kept and a rerun redoes these."""


@dataclass
class AnnotateOptions:
    expert: str
    input: str
    output: str
    n: int | None = None  # synthetic: pages to make (default 1,000); else: documents to read at most
    seed: int = 0
    split: str = "train"
    sources: tuple[str, ...] | None = None  # synthetic: which sources; labels: keep records of these
    label_field: str = LABEL_FIELD
    min_content_words: int = MIN_CONTENT_WORDS
    model: str | None = None  # programs, edits: the expert model; labels: the tokenizer that packs chunks
    backend: str = "openai"
    base_url: str | None = None
    api_key: str | None = None
    edits: str | None = None  # edits: a JSONL file of human edits instead of a model
    text_field: str = "text"
    id_field: str = "id"
    cache: str | None = None
    shard_size: int = SHARD_SIZE
    resume: bool = True
    force: bool = False


@dataclass
class AnnotateResult:
    output: str
    stats: Stats
    shards: int = 0
    resumed: int = 0  # shards an earlier run had finished


def annotate(opts: AnnotateOptions, note: Note = lambda message: None,
             make_backend: Callable[[], Backend] | None = None) -> AnnotateResult:
    """Run `opts.expert` into `opts.output`; `note` hears about skipped rows and records. A model expert
    builds its backend with `make_backend` (default: from the options), and only if a shard is left to do."""
    if opts.expert not in EXPERTS:
        raise AnnotateError(f"unknown expert {opts.expert!r}; choose one of {', '.join(EXPERTS)}")
    if opts.expert == "synthetic":
        return _synthetic(opts, note)
    return _corpus(opts, _Expert(opts, make_backend), note)


def _synthetic(opts: AnnotateOptions, note: Note) -> AnnotateResult:
    from refine.annotate.synthetic import generate_synthetic, synthetic_rows

    if opts.input not in ("-", ""):
        note("the synthetic expert reads no input: INPUT is ignored")
    n = opts.n or SYNTHETIC_N
    stats = Stats()
    stats.extra.update({"expert": "synthetic", "n": n, "seed": opts.seed, "split": opts.split})
    try:
        write_dataset(synthetic_rows(generate_synthetic(n, opts.seed, opts.split, sources=opts.sources), stats),
                      opts.output, stats)
    except (RuntimeError, ValueError) as exc:
        raise AnnotateError(str(exc)) from exc
    return AnnotateResult(str(opts.output), stats)


# --------------------------------------------------------------------------------------------------
# The experts that read a corpus


class _Expert:
    """Turns one shard's documents into rows: the labels, programs or edits expert. Checks its options
    when built; loads what is heavy (a backend, a tokenizer) in `open`, once, for the shards to do."""

    def __init__(self, opts: AnnotateOptions, make_backend: Callable[[], Backend] | None):
        self.opts = opts
        self.make_backend = make_backend
        self.table: dict[str, str] | None = None
        self.backend: Backend | None = None
        self.prompter: Prompter | None = None
        self.extra: dict = {"expert": opts.expert}
        if opts.expert == "labels":
            self.extra.update({"label_field": opts.label_field, "min_content_words": opts.min_content_words,
                               "sources": sorted(set(opts.sources)) if opts.sources else None})
        elif opts.expert == "edits" and opts.edits is not None:
            from refine.annotate.experts import read_edits

            if opts.model:
                raise AnnotateError("give either --edits (human edits) or --model (a model's edits), not both")
            try:
                self.table = read_edits(opts.edits)
            except (OSError, ValueError) as exc:
                raise AnnotateError(f"cannot read --edits: {exc}") from exc
        elif not opts.model and make_backend is None:
            raise AnnotateError(f"the {opts.expert} expert needs --model (or, for edits, --edits FILE)")

    @property
    def uses_backend(self) -> bool:
        return self.opts.expert != "labels" and self.table is None

    def open(self) -> None:
        opts = self.opts
        if opts.expert == "labels":
            tokenizer = None
            if opts.model:
                from refine.chunking import load_tokenizer
                from refine.options import RunOptions

                try:
                    tokenizer = load_tokenizer(RunOptions(mode="programs", model=opts.model))
                except ValueError as exc:
                    raise AnnotateError(str(exc)) from exc
            self.prompter = Prompter(tokenizer=tokenizer)
        elif self.uses_backend:
            try:
                self.backend = self.make_backend() if self.make_backend is not None else _build_backend(opts)
            except BackendError as exc:
                raise AnnotateError(str(exc)) from exc

    def rows(self, docs: Iterator[Document], stats: Stats, problems: list[str]) -> Iterator[dict]:
        from refine.annotate.experts import annotate_edits, annotate_programs
        from refine.annotate.labels import annotate_labels

        opts = self.opts
        if opts.expert == "labels":
            return annotate_labels(docs, stats, self.prompter, field=opts.label_field,
                                   min_content_words=opts.min_content_words, problems=problems)
        if self.table is not None:
            return annotate_edits(docs, stats, edits=self.table)
        if opts.expert == "programs":
            return annotate_programs(docs, self.backend, stats)
        return annotate_edits(docs, stats, backend=self.backend)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


def _build_backend(opts: AnnotateOptions) -> Backend:
    from refine.backends import build_backend
    from refine.named_models import is_named
    from refine.options import RunOptions

    backend = opts.backend
    if is_named(opts.model) and backend == "openai" and not opts.base_url:
        backend = "transformers"  # a named model is local weights: run it in-process
    return build_backend(RunOptions(mode="programs", model=opts.model, backend=backend, base_url=opts.base_url,
                                    api_key=opts.api_key, cache=opts.cache))


class _AnnotateShards(ShardStep):
    """One shard: its documents through the expert, rows streamed into data/<shard>.jsonl and bad
    records into quarantine/<shard>.jsonl. A backend that fails stops the run (every shard would)."""

    stops_run = (BackendError,)

    def __init__(self, config: PipelineConfig, expert: _Expert, wanted: Callable[[Document], bool] | None,
                 note: Note):
        self.config, self.expert, self.wanted, self.note = config, expert, wanted, note
        self.skipped = 0  # this run's unreadable rows (the first SHOWN are named)
        self.problems: list[str] = []  # the first SHOWN records this run's expert could not use

    def write_shard(self, shard: Shard, reader: SourceReader, out: OutputDir) -> Stats:
        stats = Stats()
        problems: list[str] = []
        rows = ShardWriter(out.fs, out.join("data"), shard.name, "jsonl")
        quarantine = ShardWriter(out.fs, out.join("quarantine"), shard.name, "jsonl")

        def rejected(doc: Rejected) -> None:
            stats.quarantined[doc.code] += 1
            self.skipped += 1
            if self.skipped <= SHOWN:
                self.note(f"skipping row {doc.row} of {shard.source.path}: {doc.message}")

        try:
            docs = read_shard(shard, reader, self.config, quarantine, rejected)
            try:
                for row in self.expert.rows(self._documents(docs, stats), stats, problems):
                    rows.write(row)
            finally:
                docs.close()
            rows.commit()
            quarantine.commit()
        except BaseException:
            rows.abort()
            quarantine.abort()
            raise
        named = problems[:max(0, SHOWN - len(self.problems))]
        for problem in named:
            self.note(f"skipping {problem}")
        self.problems += named
        return stats

    def _documents(self, docs: Iterator[tuple[int, Document]], stats: Stats) -> Iterator[Document]:
        for _, doc in docs:
            if self.wanted is None or self.wanted(doc):
                stats.docs_read += 1
                yield doc


def _corpus(opts: AnnotateOptions, expert: _Expert, note: Note) -> AnnotateResult:
    wanted = _wanted(opts)
    config = PipelineConfig(text_field=opts.text_field, id_field=opts.id_field, shard_size=opts.shard_size,
                            limit=_rows_holding(opts, wanted) if opts.n else None, resume=opts.resume,
                            force=opts.force)
    _forget_earlier_dataset(opts.output)
    try:
        plan = Pipeline(config).prepare(opts.input, opts.output, run_info("annotate", opts.input, _record(opts)))
    except (InputError, RunConfigError) as exc:
        raise AnnotateError(str(exc)) from exc
    try:
        _remove_dataset(plan.out)  # train.jsonl and stats.json stand for a finished run only
        if plan.done:
            note(f"resuming: {len(plan.done)} of {len(plan.shards)} shards already done")
        step = _AnnotateShards(config, expert, wanted, note)
        failed = _process(plan, expert, step)
        stats = _merged(plan)
        if failed:
            name, message = failed[0]
            raise ShardsFailed(f"{len(failed)} of {len(plan.shards)} shards failed (first: {name}: {message}); "
                               f"see {plan.out.path}/_failed/ and rerun the same command to resume")
        total = sum(stats.quarantined.values())
        if total > SHOWN:
            shown = min(step.skipped, SHOWN)
            note(f"skipped {total} rows in all ({total - shown} more not shown), kept in {plan.out.path}/quarantine/")
        unusable = stats.rejected.get("labels_unusable", 0)
        if opts.expert == "labels" and unusable > SHOWN:
            note(f"skipped {unusable} records without usable labels in all")
        _check_usable(opts, stats, step)
        stats.extra.update(expert.extra)
        _write_dataset(plan, stats)
    finally:
        for reader in plan.readers:
            reader.close()
        plan.out.unlock()
    return AnnotateResult(plan.out.path, stats, len(plan.shards), len(plan.done))


def _process(plan: Plan, expert: _Expert, step: _AnnotateShards) -> list[tuple[str, str]]:
    """The shards not done yet, in order; a failing backend stops the run (its shard is recorded)."""
    todo = plan.todo()
    failed: list[tuple[str, str]] = []
    if not todo:
        return failed
    expert.open()
    try:
        for shard in todo:
            try:
                outcome = step.process_shard(shard, plan.readers[plan.sources.index(shard.source)], plan.out)
            except BackendError as exc:
                raise AnnotateError(f"backend failed: {exc}; rerun the same command to resume "
                                    "(finished shards are kept)") from exc
            if outcome.error is not None:
                failed.append((shard.name, outcome.error))
    finally:
        expert.close()
    return failed


def _check_usable(opts: AnnotateOptions, stats: Stats, step: _AnnotateShards) -> None:
    if not stats.docs_read:
        wanted = f" from sources {sorted(set(opts.sources))}" if opts.expert == "labels" and opts.sources else ""
        raise AnnotateError(f"no documents to annotate in {opts.input!r}{wanted}")
    if opts.expert == "labels" and not sum(stats.kept.values()):
        first = f" (first: {step.problems[0]})" if step.problems else ""
        raise AnnotateError(f"none of the {stats.docs_read} records has usable {opts.label_field!r} labels{first}")


def _wanted(opts: AnnotateOptions) -> Callable[[Document], bool] | None:
    """Labels with --sources: only records whose `source` is one of them are annotated (the others are
    not bad input, so they are neither quarantined nor counted)."""
    if opts.expert != "labels" or not opts.sources:
        return None
    sources = set(opts.sources)
    return lambda doc: str(doc.fields.get("source")) in sources


def _rows_holding(opts: AnnotateOptions, wanted: Callable[[Document], bool] | None) -> int | None:
    """How many input rows hold the first `opts.n` documents to annotate (--n counts documents, not rows:
    unreadable rows and other sources' records do not count), streamed; None when the input holds fewer."""
    try:
        sources = resolve_inputs(opts.input, exclude=opts.output)
    except InputError as exc:
        raise AnnotateError(str(exc)) from exc
    offset = found = 0
    for source in sources:
        reader = SourceReader(source)
        try:
            count = reader.count()
            rows = reader.rows(0, count)
            try:
                for raw in rows:
                    doc = to_document(raw, source, opts.text_field, opts.id_field)
                    if isinstance(doc, Document) and (wanted is None or wanted(doc)):
                        found += 1
                        if found == opts.n:
                            return offset + raw.row + 1
            finally:
                rows.close()
        except Exception as exc:  # noqa: BLE001 - any failure to read an input is bad input at the edge
            raise AnnotateError(f"cannot read {source.path}: {type(exc).__name__}: {exc}") from exc
        finally:
            reader.close()
        offset += count
    return None


def _record(opts: AnnotateOptions) -> dict:
    """What run.json records of the options (the API key never; where it runs from, not at all)."""
    config = {k: v for k, v in asdict(opts).items() if k not in ("input", "output", "resume", "force", "api_key",
                                                                   "seed", "split")}
    if opts.edits is not None:
        config["edits"] = os.path.abspath(opts.edits)
        config["edits_sha256"] = _file_sha256(opts.edits)  # an edited file is another run, not a resume
    return config


def _file_sha256(path: str) -> str | None:
    """The file's SHA-256, or None when it cannot be read (the expert reports that, naming the file)."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _forget_earlier_dataset(output: str) -> None:
    """An output of `refine annotate` from before it had shards (train.jsonl and stats.json, no run.json)
    may be written over, as it always could; anything else without a run.json is refused by OutputDir."""
    if "://" in str(output) or not os.path.isdir(output) or os.path.exists(os.path.join(output, RUN_FILE)):
        return
    names = set(os.listdir(output)) - {LOCK_FILE}
    if names and names <= {ROWS_FILE, STATS_FILE, ROWS_FILE + ".tmp"}:
        for name in names:
            os.remove(os.path.join(output, name))


def _remove_dataset(out: OutputDir) -> None:
    for name in (ROWS_FILE, STATS_FILE):
        path = out.join(name)
        if out.fs.exists(path):
            out.fs.rm(path)


def _merged(plan: Plan) -> Stats:
    """Every finished shard's stats, in plan order (whichever run finished it)."""
    total = Stats()
    for shard in plan.shards:
        marker = plan.out.marker(shard)
        if marker is not None:
            total.merge(Stats.from_dict(marker["stats"]))
    return total


def _write_dataset(plan: Plan, stats: Stats) -> None:
    """train.jsonl: the shards' rows in input order, streamed into place; then stats.json."""
    out = plan.out

    def chunks() -> Iterator[bytes]:
        for shard in plan.shards:
            with out.fs.open(out.join("data", f"{shard.name}.jsonl"), "rb") as f:
                while chunk := f.read(1 << 20):
                    yield chunk

    write_chunks_atomic(out.fs, out.join(ROWS_FILE), chunks())
    write_stats(out.fs, out.join(STATS_FILE), stats)
