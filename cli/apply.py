"""`refine apply INPUT OUTPUT`: apply the programs that come with the records (or an earlier run's audit)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli.common import (
    Dialect, ForceOption, IdFieldOption, LimitOption, MaxErrorsOption, MinKeptRatioOption, MinWordsOption,
    OutputArgument,
    OnError, OnErrorOption, OutputFormat, OutputFormatOption, ResumeOption, ShardSizeOption, TextFieldOption,
    command_started, die, execute, is_dir, pipeline_config,
)
from refine.outdir import run_info
from refine.replay import AuditIndex, RecordedPrograms


def apply(
    input: Annotated[str, typer.Argument(
        metavar="INPUT",
        help="Records with an id, a text and a program: a JSONL (optionally .gz/.zst/.bz2) or Parquet file, "
             "a directory, a glob, or a saved Hugging Face dataset; local or remote (s3://…).")],
    output: OutputArgument,
    programs: Annotated[Optional[str], typer.Option(
        "--programs", help="An earlier run's audit directory (OUTPUT/programs): join its programs onto INPUT "
                           "by id, instead of reading a program field. Replays that run on the raw corpus.")] = None,
    program_field: Annotated[str, typer.Option(
        help="Field holding the program: a string, or a list of {\"program\": str, \"lines\": \\[start, end], "
             "\"stage\": ...} for chunk-scoped programs.")] = "program",
    dialect: Annotated[Dialect, typer.Option(
        help="Program dialect: prox (0-based line numbers) or refinex (1-based).")] = Dialect.prox,
    on_error: OnErrorOption = OnError.skip,
    max_errors: MaxErrorsOption = 2,
    min_kept_ratio: MinKeptRatioOption = 0.0,
    min_words: MinWordsOption = 0,
    text_field: TextFieldOption = "text",
    id_field: IdFieldOption = "id",
    batch_size: Annotated[int, typer.Option(help="Documents per batch.")] = 256,
    shard_size: ShardSizeOption = 10_000,
    output_format: OutputFormatOption = OutputFormat.jsonl,
    limit: LimitOption = None,
    resume: ResumeOption = True,
    force: ForceOption = False,
) -> None:
    """Apply each record's edit program(s) and write refined records, an audit and stats.json."""
    started = command_started()
    config = pipeline_config(text_field=text_field, id_field=id_field, batch_size=batch_size,
                             shard_size=shard_size, output_format=output_format.value, limit=limit,
                             dialect=dialect.value, on_error=on_error.value, max_errors=max_errors,
                             min_kept_ratio=min_kept_ratio, min_words=min_words, resume=resume, force=force)
    record = run_info("apply", input, {
        "programs": programs, "program_field": program_field, "dialect": dialect.value,
        "on_error": on_error.value, "max_errors": max_errors, "min_kept_ratio": min_kept_ratio,
        "min_words": min_words, "text_field": text_field, "id_field": id_field, "shard_size": shard_size,
        "output_format": output_format.value, "limit": limit, "batch_size": batch_size})

    if programs is not None and not is_dir(programs):
        die(f"audit directory not found: {programs!r} (give an earlier run's OUTPUT/programs)")

    def make_refiner() -> RecordedPrograms:
        audit = None
        if programs is not None:
            try:
                audit = AuditIndex(programs)
            except (OSError, ValueError) as e:
                die(f"cannot read the audit {programs!r}: {e}")
        return RecordedPrograms(program_field, audit)

    execute("apply", input, output, config, record, make_refiner, started=started)
