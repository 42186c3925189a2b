"""`refine eval refiner MODEL DATA`: how well a program-writing model does on annotated documents."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import check_positive, console, die, note
from refine.backends.base import BackendError
from refine.refiners.budgets import PROX_CHUNK_TOKENS, PROX_DOC_TOKENS


class BackendName(str, enum.Enum):
    transformers = "transformers"
    sglang = "sglang"
    openai = "openai"


class Split(str, enum.Enum):
    all = "all"
    train = "train"
    heldout = "heldout"


def refiner(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="The refiner model: a `refine train --kind generative` output, "
                                              "any local model directory, or a served model's name.")],
    data: Annotated[str, typer.Argument(metavar="DATA", help="Annotations from `refine annotate` (a directory or a JSONL file).")],
    constrained: Annotated[Optional[bool], typer.Option(
        "--constrained/--no-constrained",
        help="Decode with the program grammar, or freely. Default: both, to compare validity.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Score only the first N documents.")] = None,
    split: Annotated[Split, typer.Option(help="Which documents of DATA, by their `split` field.")] = Split.all,
    backend: Annotated[BackendName, typer.Option(help="Generation backend.")] = BackendName.transformers,
    base_url: Annotated[Optional[str], typer.Option(help="Server URL (openai/sglang backends).")] = None,
    api_key: Annotated[Optional[str], typer.Option(envvar="OPENAI_API_KEY", help="API key (openai backend).")] = None,
    batch_size: Annotated[int, typer.Option(help="Requests generated at once (transformers backend).")] = 16,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda, ... (transformers backend).")] = None,
    chunk_tokens: Annotated[Optional[int], typer.Option(
        help=f"Chunk budget of the prompts. Default: the model's training budget (train.json), else {PROX_CHUNK_TOKENS}.")] = None,
    doc_tokens: Annotated[Optional[int], typer.Option(
        help=f"Doc prompt budget. Default: the model's training budget (train.json), else {PROX_DOC_TOKENS}.")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Write the metrics as JSON here.")] = None,
) -> None:
    """Generate programs for DATA's documents and score them: validity, exact match, removed lines,
    keep/drop decisions, interpreter errors."""
    check_positive("--limit", limit, allow_none=True)
    check_positive("--batch-size", batch_size)
    from evals.refiner_eval import EvalSettings
    from refine.train.generative import load_documents
    from refine.train.record import read_record

    try:
        docs = load_documents(data)
    except (FileNotFoundError, ValueError) as exc:
        die(str(exc))
    if split is not Split.all:
        docs = [d for d in docs if d.split == split.value]
    docs = docs[:limit] if limit else docs
    if not docs:
        die(f"no documents to score in {data!r} (split {split.value})")
    settings = EvalSettings.for_model(read_record(model), chunk_tokens, doc_tokens)
    modes = (False, True) if constrained is None else (constrained,)
    report = run_evaluation(model, docs, settings, modes, backend=backend.value, base_url=base_url,
                            api_key=api_key, batch_size=batch_size, device=device)
    print_report(report, title=f"refiner {model} on {len(docs)} documents")
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        note(f"metrics written to {output}")


def run_evaluation(model: str, docs, settings, modes, **backend_options) -> dict:
    """Build the backend, score `docs` in each decoding mode, close the backend; exit cleanly on failure."""
    from evals.refiner_eval import evaluate
    from refine.backends import build_backend
    from refine.options import RunOptions
    from refine.refiners.programs import refiner_tokenizer

    opts = RunOptions(mode="programs", model=model, dialect=settings.dialect, chunk_tokens=settings.chunk_tokens,
                      doc_tokens=settings.doc_tokens, max_new_tokens=settings.max_new_tokens, **backend_options)
    try:
        engine = build_backend(opts)
    except BackendError as exc:
        die(str(exc))
    try:
        return evaluate(engine, refiner_tokenizer(engine, opts), docs, settings, modes)
    except BackendError as exc:
        die(f"backend failed: {exc}")
    finally:
        engine.close()


def print_report(report: dict, title: str) -> None:
    from evals.refiner_eval import summary_rows

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("unconstrained", justify="right")
    table.add_column("constrained", justify="right")
    for row in summary_rows(report):
        table.add_row(*row)
    console.print(table)
