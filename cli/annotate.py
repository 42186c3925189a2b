"""`refine annotate INPUT OUTPUT --expert synthetic|labels|programs|edits`: training rows (prompt -> program)."""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import console, die, note
from refine.backends.base import BackendError


SKIPS_SHOWN = 3  # unreadable rows named one by one; the rest are counted


class Expert(str, enum.Enum):
    synthetic = "synthetic"
    labels = "labels"
    programs = "programs"
    edits = "edits"


class Split(str, enum.Enum):
    train = "train"
    heldout = "heldout"
    all = "all"


class BackendName(str, enum.Enum):
    transformers = "transformers"
    sglang = "sglang"
    openai = "openai"


def annotate(
    input: Annotated[str, typer.Argument(metavar="INPUT", help="Corpus to annotate (JSONL/Parquet file, directory or glob); "
                                              "'-' for the synthetic expert, which needs none.")],
    output: Annotated[Path, typer.Argument(metavar="OUTPUT", help="Output directory: train.jsonl and stats.json.")],
    expert: Annotated[Expert, typer.Option(help="Who labels: synthetic pages (no model), per-line labels in INPUT "
                                                "(labels), a model writing programs, or edited texts (a model's or --edits).")] = Expert.synthetic,
    n: Annotated[Optional[int], typer.Option("--n", show_default=False, help="Documents to produce (synthetic; "
                                             "default 1,000) or to read at most (default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Synthetic: the seed; same seed, same data.")] = 0,
    split: Annotated[Split, typer.Option(help="Synthetic: train or held-out sources and templates (all: both).")] = Split.train,
    sources: Annotated[Optional[str], typer.Option(help="Synthetic: clean-text sources, comma-separated "
                                                       "(default: the split's; see refine.annotate.sources). "
                                                       "Labels: keep only records whose `source` is one of these.")] = None,
    label_field: Annotated[str, typer.Option(help="Labels: field with one 0/1 per line, 1 = main content.")] = "content",
    min_content_words: Annotated[int, typer.Option(
        help="Labels: a page with fewer content words is a doc-level drop (drop_doc()).")] = 50,
    model: Annotated[Optional[str], typer.Option(help="The expert model (programs, edits); labels: the "
                                                     "tokenizer that packs chunks (default: an approximation).")] = None,
    backend: Annotated[BackendName, typer.Option(help="Backend serving --model.")] = BackendName.openai,
    base_url: Annotated[Optional[str], typer.Option(help="Server URL for the openai/sglang backends.")] = None,
    api_key: Annotated[Optional[str], typer.Option(envvar="OPENAI_API_KEY", help="API key (openai backend).")] = None,
    edits: Annotated[Optional[Path], typer.Option(help="JSONL of human edits {id, edited} (edits expert, no model).")] = None,
    text_field: Annotated[str, typer.Option(help="Field holding the text in INPUT records.")] = "text",
    id_field: Annotated[str, typer.Option(help="Field holding the id in INPUT records.")] = "id",
    cache: Annotated[Optional[Path], typer.Option(help="Request cache (SQLite) for model experts.")] = None,
) -> None:
    """Produce training pairs for `refine train` from an expert, with the statistics of what was kept."""
    from refine.annotate.dataset import Stats, write_dataset

    if n is not None and n < 1:
        die(f"--n must be a positive integer, got {n}")
    started = time.perf_counter()
    stats = Stats()
    stats.extra.update({"expert": expert.value})
    if expert is Expert.synthetic:
        from refine.annotate.synthetic import generate_synthetic, synthetic_rows

        if input not in ("-", ""):
            note("the synthetic expert reads no input: INPUT is ignored")
        stats.extra.update({"n": n or 1000, "seed": seed, "split": split.value})
        try:
            names = tuple(x.strip() for x in sources.split(",") if x.strip()) if sources else None
            samples = generate_synthetic(n or 1000, seed, split.value, sources=names)
            write_dataset(synthetic_rows(samples, stats), output, stats)
        except (RuntimeError, ValueError) as exc:
            die(str(exc))
    elif expert is Expert.labels:
        wanted = {x.strip() for x in sources.split(",") if x.strip()} if sources else None
        docs = [d for d in _read_docs(input, None, text_field, id_field)
                if wanted is None or str(d.fields.get("source")) in wanted][:n]
        if not docs:
            die(f"no documents to annotate in {input!r}" + (f" from sources {sorted(wanted)}" if wanted else ""))
        stats.extra.update({"label_field": label_field, "min_content_words": min_content_words,
                            "sources": sorted(wanted) if wanted else None})
        write_dataset(_label_rows(docs, stats, label_field, min_content_words, model), output, stats)
    else:
        docs = list(_read_docs(input, n, text_field, id_field))
        if not docs:
            die(f"no documents to annotate in {input!r}")
        rows = _model_rows(expert, docs, stats, model, backend.value, base_url, api_key, edits, cache)
        write_dataset(rows, output, stats)
    elapsed = time.perf_counter() - started
    d = stats.to_dict()
    rejected = sum(d["rejected"].values())
    console.print(f"{expert.value}: {d['kept'].get('doc', 0)} documents ({d['kept'].get('chunk', 0)} chunk rows), "
                  f"{rejected} rejected{' ' + str(dict(d['rejected'])) if rejected else ''} in {elapsed:.1f}s -> {output}",
                  highlight=False)


def _label_rows(docs, stats, label_field: str, min_content_words: int, model: Optional[str]) -> list[dict]:
    from refine.annotate.dataset import Prompter
    from refine.annotate.labels import annotate_labels

    tokenizer = None
    if model:
        from refine.chunking import load_tokenizer
        from refine.options import RunOptions

        try:
            tokenizer = load_tokenizer(RunOptions(mode="programs", model=model))
        except ValueError as exc:
            die(str(exc))
    problems: list[str] = []
    rows = list(annotate_labels(docs, stats, Prompter(tokenizer=tokenizer), field=label_field,
                                min_content_words=min_content_words, problems=problems))
    for problem in problems[:SKIPS_SHOWN]:
        note(f"skipping {problem}")
    if len(problems) > SKIPS_SHOWN:
        note(f"skipped {len(problems)} records without usable labels in all")
    if not rows:
        die(f"none of the {len(docs)} records has usable {label_field!r} labels (first: {problems[0]})")
    return rows


def _model_rows(expert: Expert, docs, stats, model, backend_name, base_url, api_key, edits, cache) -> list[dict]:
    from refine.annotate.experts import annotate_edits, annotate_programs, read_edits

    if expert is Expert.edits and edits is not None:
        if model:
            die("give either --edits (human edits) or --model (a model's edits), not both")
        try:
            table = read_edits(edits)
        except (OSError, ValueError) as exc:
            die(f"cannot read --edits: {exc}")
        return list(annotate_edits(docs, stats, edits=table))
    if not model:
        die(f"the {expert.value} expert needs --model (or, for edits, --edits FILE)")
    from refine.backends import build_backend
    from refine.named_models import is_named
    from refine.options import RunOptions

    if is_named(model) and backend_name == "openai" and not base_url:
        backend_name = "transformers"  # a named model is local weights: run it in-process
    opts = RunOptions(mode="programs", model=model, backend=backend_name, base_url=base_url, api_key=api_key,
                      cache=str(cache) if cache else None)
    try:
        engine = build_backend(opts)
    except BackendError as exc:
        die(str(exc))
    try:
        if expert is Expert.programs:
            return list(annotate_programs(docs, engine, stats))
        return list(annotate_edits(docs, stats, backend=engine))
    except BackendError as exc:
        die(f"backend failed: {exc}")
    finally:
        engine.close()


def _read_docs(spec: str, limit: int | None, text_field: str, id_field: str):
    from refine.io import InputError, Rejected, SourceReader, resolve_inputs, to_document

    try:
        sources = resolve_inputs(spec)
    except InputError as exc:
        die(str(exc))
    docs = []
    skipped = 0
    try:
        for source in sources:
            reader = SourceReader(source)
            try:
                for raw in reader.rows(0, reader.count()):
                    doc = to_document(raw, source, text_field, id_field)
                    if isinstance(doc, Rejected):
                        skipped += 1
                        if skipped <= SKIPS_SHOWN:
                            note(f"skipping row {doc.row} of {source.path}: {doc.message}")
                        continue
                    docs.append(doc)
                    if limit and len(docs) >= limit:
                        return docs
            finally:
                reader.close()
        return docs
    finally:
        if skipped > SKIPS_SHOWN:
            note(f"skipped {skipped} rows in all ({skipped - SKIPS_SHOWN} more not shown)")
