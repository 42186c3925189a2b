"""What `refine run` and `refine apply` share: option types, running the pipeline, reporting, failing cleanly."""

from __future__ import annotations

import contextlib
import enum
import signal
import time
from typing import Annotated, Callable, NoReturn, Optional

import fsspec
import typer
from rich.console import Console
from rich.text import Text

from programs.ops import Policy
from refine.executors import Executor, ExecutorError, LocalExecutor
from refine.io import InputError, OutputFull, is_disk_full
from refine.outdir import RunConfigError
from refine.pipeline import Pipeline, PipelineConfig, RunResult
from refine.progress import RichProgress
from refine.refiners.base import Refiner
from refine.stats import summary_table

# Soft wrap: a message is one line however narrow the terminal or log (no break inside a path or a
# sentence a user or a test searches for); tables still fit the width.
err_console = Console(stderr=True, soft_wrap=True)
console = Console(soft_wrap=True)

EXIT_FAILED_SHARDS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a terminated process


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's stop, `kill`, a container shutdown), unwound like Ctrl-C: temp files removed."""


def _on_sigterm(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While a run writes its output, SIGTERM stops it as SIGINT does (cleanly) instead of mid-write."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals to whoever owns them
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def command_started() -> float:
    """time.monotonic() when this command began: the process's start when it is the `refine` program
    (interpreter start-up and imports count), else now (a command invoked in-process, as tests do)."""
    import os
    import sys
    from pathlib import Path

    now = time.monotonic()
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is None or not (argv0.stem == "refine" or argv0.resolve() == Path(__file__).with_name("main.py")):
        return now
    try:
        with open(f"/proc/{os.getpid()}/stat", "rb") as f:
            start_ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return now
    return now - age if 0 <= age < 86_400 else now


def die(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Stop with a one-line error (no traceback): for bad input, bad options, unusable paths.
    `message` is printed as it is: brackets in paths or in `pip install 'refine[ray]'` are not markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message))
    raise typer.Exit(code)


def note(message: str) -> None:
    err_console.print(message, highlight=False)


class OnError(str, enum.Enum):
    skip = "skip"
    keep_original = "keep_original"
    drop = "drop"


class OutputFormat(str, enum.Enum):
    jsonl = "jsonl"
    parquet = "parquet"


class Dialect(str, enum.Enum):
    prox = "prox"
    refinex = "refinex"


# Options that `refine run` and `refine apply` share, declared once.
OutputArgument = Annotated[str, typer.Argument(
    metavar="OUTPUT",
    help="Output directory: data/ (refined records), programs/ (audit), quarantine/, stats.json.")]
OnErrorOption = Annotated[OnError, typer.Option(
    help="What failing operations mean: skip them; keep the original document (keep_original) or drop "
         "it (drop) once it has --max-errors errors.")]
MaxErrorsOption = Annotated[int, typer.Option(
    help="Errors per document at which keep_original / drop take effect (ProX: 2).")]
MinKeptRatioOption = Annotated[float, typer.Option(
    help="Drop a changed document keeping this share of its characters or less (ProX: 0.05).")]
MinWordsOption = Annotated[int, typer.Option(
    help="Drop a changed document left with fewer words (ProX drops at 10 words or fewer: 11).")]
TextFieldOption = Annotated[str, typer.Option(help="Field holding the document text.")]
IdFieldOption = Annotated[str, typer.Option(
    help="Field holding the document id; absent ids become '<file>:<row>'.")]
ShardSizeOption = Annotated[int, typer.Option(
    help="Rows per shard: the unit of output files and of resumption.")]
OutputFormatOption = Annotated[OutputFormat, typer.Option(
    help="Format of data/ files (the audit and quarantine are JSONL).")]
LimitOption = Annotated[Optional[int], typer.Option(help="Process only the first N input rows.")]
ResumeOption = Annotated[bool, typer.Option(
    help="Skip shards an earlier run of this command finished (--no-resume: clear OUTPUT and start over).")]
ForceOption = Annotated[bool, typer.Option(help="Resume even if OUTPUT/run.json records different options.")]


def check_positive(name: str, value: int | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value < 1:
        die(f"{name} must be a positive integer, got {value}")


def check_input(input_spec: str) -> None:
    """Stop now if INPUT names nothing readable (the pipeline checks again when it plans the shards)."""
    from refine.io import resolve_inputs

    try:
        resolve_inputs(input_spec)
    except InputError as e:
        die(str(e))


def pipeline_config(*, text_field: str, id_field: str, batch_size: int | None, shard_size: int, output_format: str,
                    limit: int | None, dialect: str, on_error: str, max_errors: int, min_kept_ratio: float,
                    min_words: int, resume: bool, force: bool) -> PipelineConfig:
    check_positive("--batch-size", batch_size, allow_none=True)
    check_positive("--shard-size", shard_size)
    check_positive("--limit", limit, allow_none=True)
    check_positive("--max-errors", max_errors)
    for name, value, choices in (("--dialect", dialect, Dialect), ("--on-error", on_error, OnError)):
        if value not in {c.value for c in choices}:
            die(f"{name} must be one of {', '.join(c.value for c in choices)}, got {value!r}")
    if not 0.0 <= min_kept_ratio < 1.0:
        die(f"--min-kept-ratio must be in [0, 1), got {min_kept_ratio}")
    if min_words < 0:
        die(f"--min-words must be >= 0, got {min_words}")
    policy = Policy(on_error=on_error, max_errors=max_errors, min_kept_ratio=min_kept_ratio, min_words=min_words)
    return PipelineConfig(text_field=text_field, id_field=id_field, batch_size=batch_size, shard_size=shard_size,
                          output_format=output_format, limit=limit, dialect=dialect, policy=policy,
                          resume=resume, force=force)


def execute(command: str, input_spec: str, output: str, config: PipelineConfig, record: dict,
            make_refiner: Callable[[], Refiner], executor: Executor | None = None,
            started: float | None = None) -> RunResult:
    """Prepare the output, run (locally unless `executor` says otherwise), print the summary; exit
    non-zero on failure. `started` (time.monotonic()) is when the command began: the summary's wall time."""
    started = time.monotonic() if started is None else started
    pipeline = Pipeline(config, RichProgress(err_console, description=command))
    if is_file(output):
        die(f"OUTPUT {output!r} is a file; give a directory (a new one, or an earlier run's output)")
    try:
        plan = pipeline.prepare(input_spec, output, record)
    except (InputError, RunConfigError) as e:
        die(str(e))
    except OSError as e:
        if is_disk_full(e):
            disk_full(f"no space left on the device holding {output}")
        die(f"cannot use {output!r}: {e}")
    if not plan.shards:
        die(f"no records in {input_spec!r}: nothing to refine")
    if plan.done:
        note(f"resuming: {len(plan.done)} of {len(plan.shards)} shards already done")
    try:
        with sigterm_as_interrupt():
            result = (executor or LocalExecutor()).execute(pipeline, plan, make_refiner)
    except Terminated:
        die("terminated (SIGTERM); rerun the same command to resume (finished shards are kept)", EXIT_TERMINATED)
    except KeyboardInterrupt:
        die("interrupted; rerun the same command to resume (finished shards are kept)", EXIT_INTERRUPTED)
    except ExecutorError as e:
        die(str(e))
    except OSError as e:
        if not is_disk_full(e):
            raise
        disk_full(str(e) if isinstance(e, OutputFull) else f"no space left on the device holding {output}")
    finally:
        plan.out.unlock()
    report(result, input_spec, elapsed=time.monotonic() - started)
    return result


def disk_full(what: str) -> NoReturn:
    die(f"{what}: free space and rerun the same command to resume (finished shards are kept)", EXIT_FAILED_SHARDS)


def report(result: RunResult, input_spec: str = "INPUT", elapsed: float | None = None) -> None:
    """The summary table, the quarantine count, and what to do about failed shards or an input whose
    every record was quarantined (exit 2: most often a wrong --text-field or --program-field)."""
    console.print(summary_table(result.stats, title=f"refine → {result.output}", elapsed=elapsed,
                                this_run=result.this_run))
    duplicates = int(result.stats["duplicate_ids"])
    if duplicates:
        note(f"[bold yellow]warning:[/] {duplicates} document(s) have the id of an earlier one: `refine show` "
             "shows the first with an id (ID#2 the second, …) and `refine eval data` pairs them in order; give "
             "each record its own id (--id-field) to tell them apart")
    quarantined = int(result.stats["docs_quarantined"])
    note(f"{quarantined} record(s) quarantined (see {result.output}/quarantine/)" if quarantined
         else "0 records quarantined")
    if quarantined and not result.stats["docs_in"] and not result.failed:
        first = first_quarantined(result.output)
        why = f"; the first, {first}" if first else ""
        die(f"every record of {input_spec!r} was quarantined{why}")
    if result.failed:
        name, message = result.failed[0]
        note(f"[bold red]{len(result.failed)} of {result.shards} shard(s) failed[/]; first: {name}: {message}\n"
             f"details in {result.output}/_failed/. Rerun the same command to resume: finished shards are "
             "skipped and only the failed ones are redone.")
        raise typer.Exit(EXIT_FAILED_SHARDS)


def first_quarantined(output: str) -> str | None:
    """'row N of FILE: MESSAGE' for the first record in OUTPUT/quarantine/, to say why at the end."""
    from refine.io import read_jsonl_dir
    from refine.outdir import OutputDir

    out = OutputDir(output)
    try:
        row = next(iter(read_jsonl_dir(out.fs, out.join("quarantine"))), None)
    except (OSError, ValueError):
        return None
    if row is None:
        return None
    return f"row {row.get('row')} of {row.get('source')}: {row.get('message') or row.get('reason')}"


def is_file(path: str) -> bool:
    """Whether `path` (local or remote) is a file; False too when it cannot be reached."""
    return _path_is(path, "file")


def is_dir(path: str) -> bool:
    """Whether `path` (local or remote) is a directory; False too when it cannot be reached."""
    return _path_is(path, "dir")


def _path_is(path: str, kind: str) -> bool:
    try:
        fs, root = fsspec.core.url_to_fs(path)
        return fs.isfile(root) if kind == "file" else fs.isdir(root)
    except (ImportError, ValueError, OSError):
        return False  # an unreachable path is reported where it is first used
