"""`refine annotate INPUT OUTPUT --expert synthetic|labels|programs|edits`: training rows (prompt -> program).
The arguments only: the run itself is `refine.annotate.run`."""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import (EXIT_FAILED_SHARDS, EXIT_INTERRUPTED, EXIT_TERMINATED, ForceOption, ResumeOption,
                        Terminated, check_positive, console, die, note, sigterm_as_interrupt)


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
    output: Annotated[Path, typer.Argument(metavar="OUTPUT", help="Output directory: train.jsonl and stats.json (and, "
                                                "reading INPUT, the shards a rerun resumes from).")],
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
    shard_size: Annotated[int, typer.Option(help="Input rows per shard (reading INPUT): the unit of output files "
                                                 "and of resumption.")] = 1_000,
    resume: ResumeOption = True,
    force: ForceOption = False,
) -> None:
    """Produce training pairs for `refine train` from an expert, with the statistics of what was kept."""
    from refine.annotate.run import AnnotateError, AnnotateOptions, ShardsFailed, annotate as run_annotate
    from refine.io import is_disk_full

    check_positive("--n", n, allow_none=True)
    check_positive("--shard-size", shard_size)
    names = tuple(x.strip() for x in sources.split(",") if x.strip()) if sources else None
    opts = AnnotateOptions(expert=expert.value, input=input, output=str(output), n=n, seed=seed, split=split.value,
                           sources=names or None, label_field=label_field, min_content_words=min_content_words,
                           model=model, backend=backend.value, base_url=base_url, api_key=api_key,
                           edits=str(edits) if edits is not None else None, text_field=text_field, id_field=id_field,
                           cache=str(cache) if cache else None, shard_size=shard_size, resume=resume, force=force)
    started = time.perf_counter()
    try:
        with sigterm_as_interrupt():
            result = run_annotate(opts, note=note)
    except ShardsFailed as exc:
        die(str(exc), EXIT_FAILED_SHARDS)
    except AnnotateError as exc:
        die(str(exc))
    except Terminated:
        die("terminated (SIGTERM); rerun the same command to resume (finished shards are kept)", EXIT_TERMINATED)
    except KeyboardInterrupt:
        die("interrupted; rerun the same command to resume (finished shards are kept)", EXIT_INTERRUPTED)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        die(f"no space left on the device holding {output}: free space and rerun the same command to resume "
            "(finished shards are kept)", EXIT_FAILED_SHARDS)
    elapsed = time.perf_counter() - started
    d = result.stats.to_dict()
    rejected = sum(d["rejected"].values())
    console.print(f"{expert.value}: {d['kept'].get('doc', 0)} documents ({d['kept'].get('chunk', 0)} chunk rows), "
                  f"{rejected} rejected{' ' + str(dict(d['rejected'])) if rejected else ''} in {elapsed:.1f}s -> {output}",
                  highlight=False)
