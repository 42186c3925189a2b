"""`refine recut OUT NEW_OUT --threshold T [--doc-threshold D]`: a tagger run at another operating point,
from the scores its audit kept, in seconds (see `refine.recut`)."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from cli.common import OutputArgument, die, execute, note, pipeline_config
from refine.io import write_json_atomic
from refine.outdir import STATS_FILE, OutputDir, run_info
from refine.recut import RecutError, RecutRefiner, RunAudit


def _probability(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        die(f"{name} must be a probability in [0, 1], got {value}")


def recut(
    run_dir: Annotated[str, typer.Argument(
        metavar="OUT", help="A `refine run` output of the tagger or the default refiner (its audit keeps the scores).")],
    output: OutputArgument,
    threshold: Annotated[float, typer.Option(
        help="Remove a line whose remove probability is at or above this.")],
    doc_threshold: Annotated[Optional[float], typer.Option(
        help="Drop a document whose drop probability is at or above this. Default: every document keeps "
             "the drop decision of the run.")] = None,
) -> None:
    """Write OUT's corpus cut at other thresholds, with the same audit and stats, without running the model.

    Reads OUT's input again (it must still be there, unchanged); documents whose audit has no scores are
    written as OUT has them."""
    started = time.monotonic()
    _probability("--threshold", threshold)
    _probability("--doc-threshold", doc_threshold)
    source = OutputDir(run_dir)
    info = source.run_info() if source.fs.isdir(source.root) else None
    if info is None:
        die(f"{run_dir!r} is not a refine output directory (no run.json)")
    if OutputDir(output).root == source.root:
        die("NEW_OUT must differ from OUT: recut writes a second corpus and leaves OUT as it is")
    config = info.get("config") or {}
    shards = (_read_stats(source).get("shards") or {})
    if shards.get("done") != shards.get("total") or not shards:
        die(f"{run_dir!r} is not a finished run ({shards.get('done', 0)} of {shards.get('total', '?')} shards done): "
            "rerun its command to finish it, then recut")
    try:
        audit = RunAudit(source.join("programs"))
    except RecutError as e:
        die(str(e))
    if audit.rewrites:
        audit.close()
        die(f"{run_dir!r} holds {audit.rewrites} rewritten document(s): there are no line scores to re-cut")
    pipeline = pipeline_config(
        text_field=config.get("text_field", "text"), id_field=config.get("id_field", "id"),
        batch_size=int(config.get("batch_size") or 16), shard_size=int(config.get("shard_size") or 10_000),
        output_format=config.get("output_format", "jsonl"), limit=config.get("limit"),
        dialect=config.get("dialect", "prox"), on_error=config.get("on_error", "skip"),
        max_errors=int(config.get("max_errors") or 2), min_kept_ratio=float(config.get("min_kept_ratio") or 0.0),
        min_words=int(config.get("min_words") or 0), resume=False, force=False)
    extra = dict(config.get("extra") or {}, threshold=threshold)
    if doc_threshold is not None:
        extra["doc_threshold"] = doc_threshold
    record = run_info("recut", info["input"], {**config, "extra": extra, "recut_of": source.path})
    refiner = RecutRefiner(audit, threshold, doc_threshold, tuple(config.get("stages") or ("doc", "chunk")))
    try:
        result = execute("recut", info["input"], output, pipeline, record, lambda: refiner, started=started)
    finally:
        refiner.close()
    counts = {k: refiner.counts[k] for k in ("recut", "copied", "missing")}
    out = OutputDir(output)
    write_json_atomic(out.fs, out.join(STATS_FILE), {**_read_stats(out), "recut": counts})
    if counts["copied"]:
        note(f"{counts['copied']} document(s) had no line scores in the audit and were copied unchanged")


def _read_stats(out: OutputDir) -> dict:
    import json

    path = out.join(STATS_FILE)
    if not out.fs.isfile(path):
        return {}
    with out.fs.open(path, "rb") as f:
        return json.loads(f.read())
