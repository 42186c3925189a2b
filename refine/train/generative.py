"""`refine train --kind generative`: annotation rows in, a refiner model directory out.

Ties the parts together: documents and their held-out split (`data`), the starting model (`models`),
the samples the refiner would send at the chunk and doc budgets chosen here, the loop (`sft`), and
`train.json`, which records those budgets so `refine eval refiner` sends the prompts the model saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from refine.refiners.budgets import PROX_DOC_TOKENS
from refine.train import data, models, sft
from refine.train.record import write_record

CHUNK_RESERVE = 192  # tokens a chunk prompt leaves for the chat template and the program
DOC_RESERVE = 16  # tokens a doc prompt leaves for `keep_doc()` / `drop_doc()` and EOS
ADAPTER_DIR = "adapter"  # with --lora: the peft adapter beside the merged model (ship it as a named adapter)


@dataclass
class GenerativeSettings:
    model: str | None = None  # a pretrained model (directory or hub name) ...
    from_config: str | None = None  # ... or a size in models.SIZES, with a tokenizer trained on the data
    sft: sft.SFTConfig = field(default_factory=sft.SFTConfig)
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_targets: tuple[str, ...] = models.DEFAULT_LORA_TARGETS
    eval_fraction: float = 0.1
    eval_data: str | None = None  # a separate annotation directory to hold out (else DATA's split)
    chunk_tokens: int | None = None  # None: max_length - CHUNK_RESERVE
    doc_tokens: int | None = None  # None: max_length - DOC_RESERVE (at most ProX's 2,000)
    max_new_tokens: int = 256
    stages: tuple[str, ...] = ("doc", "chunk")
    dialect: str = "prox"
    device: str | None = None
    resume: bool = False

    def budgets(self) -> tuple[int, int]:
        """(chunk_tokens, doc_tokens) the samples are built with."""
        max_length = self.sft.max_length
        chunk = self.chunk_tokens or max(32, max_length - CHUNK_RESERVE)
        doc = self.doc_tokens or max(32, min(PROX_DOC_TOKENS, max_length - DOC_RESERVE))
        return chunk, doc


@dataclass
class Trained:
    model_dir: Path
    heldout: list[data.GoldDoc]
    record: dict


def load_documents(path: str | Path, dialect: str = "prox") -> list[data.GoldDoc]:
    from refine.annotate.dataset import iter_annotations

    return data.gold_documents(iter_annotations(path), dialect)


def tokenizer_texts(docs: Sequence[data.GoldDoc], dialect: str = "prox") -> list[str]:
    """Text like what the model reads and writes: numbered documents and the gold programs."""
    from programs.lines import line_body, split_lines
    from programs.render import render
    from refine.prompts import PROX

    texts = ["keep_doc()\ndrop_doc()\nkeep_chunk()", PROX.system]
    for doc in docs:
        texts.append("\n".join(PROX.number_line(i, line_body(line)) for i, line in enumerate(split_lines(doc.text))))
        texts.extend(render(p, dialect) for p in doc.programs)
    return texts


def train_generative(data_path: str | Path, output_dir: str | Path, settings: GenerativeSettings,
                     log: Callable[[str], None] = lambda _: None,
                     on_step: Callable[[int, int, float], None] | None = None) -> Trained:
    """Train, save the model to `output_dir`, write `train.json`; returns the held-out documents too."""
    import torch

    if (settings.model is None) == (settings.from_config is None):
        raise ValueError("give exactly one of --model (a pretrained model) and --from-config (tiny|small|base)")
    out = Path(output_dir)
    docs = load_documents(data_path, settings.dialect)
    if settings.eval_data:
        train_docs, heldout = docs, load_documents(settings.eval_data, settings.dialect)
    else:
        train_docs, heldout = data.split_heldout(docs, settings.eval_fraction, settings.sft.seed)
    if not train_docs:
        raise ValueError(f"no training documents in {str(data_path)!r} (all {len(docs)} are held out)")
    log(f"{len(train_docs)} training documents, {len(heldout)} held out")

    if settings.from_config:
        start = out / sft.CHECKPOINTS / sft.START
        if not (settings.resume and (start / "config.json").is_file()):
            models.build_from_config(settings.from_config, tokenizer_texts(train_docs, settings.dialect), start,
                                     seed=settings.sft.seed)
        source = str(start)
    else:
        source = str(settings.model)
    lm, tokenizer = models.load(source)
    device = settings.device or ("cuda" if torch.cuda.is_available() else "cpu")
    lm.to(device)
    if settings.lora:
        lm = models.add_lora(lm, settings.lora_r, settings.lora_alpha, settings.lora_targets)
    n_params, n_trainable = models.count_parameters(lm)

    chunk_tokens, doc_tokens = settings.budgets()
    builder = data.request_builder(tokenizer, chunk_tokens, doc_tokens, settings.max_new_tokens, settings.dialect)
    samples, skipped = data.make_samples(train_docs, builder, settings.stages, settings.dialect)
    examples, too_long = data.encode_all(samples, tokenizer, settings.sft.max_length)
    skipped.update(too_long)
    heldout_samples, _ = data.make_samples(heldout, builder, settings.stages, settings.dialect)
    heldout_examples, _ = data.encode_all(heldout_samples, tokenizer, settings.sft.max_length)
    log(f"{len(examples)} training examples ({_by_stage(samples)}), {dict(skipped) or 'none'} left out; "
        f"model: {n_params:,} parameters, {n_trainable:,} trainable")

    result = sft.train(lm, tokenizer, examples, settings.sft, out, resume=settings.resume, on_log=on_step)
    heldout_loss = sft.mean_loss(lm, tokenizer, heldout_examples, settings.sft.batch_size)
    started = time.perf_counter()
    if settings.lora:  # the adapter alone (a few MB), loadable over its base; then the merged model
        lm.peft_config["default"].base_model_name_or_path = source if settings.from_config else str(settings.model)
        lm.save_pretrained(out / ADAPTER_DIR)
    sft.save_model(lm, tokenizer, out)
    record = {
        "kind": "generative",
        "data": str(data_path),
        "start": {"model": settings.model, "from_config": settings.from_config},
        "lora": {"r": settings.lora_r, "alpha": settings.lora_alpha, "targets": list(settings.lora_targets)}
        if settings.lora else None,
        "parameters": n_params,
        "trainable_parameters": n_trainable,
        "documents": {"train": len(train_docs), "heldout": len(heldout)},
        "examples": {"train": len(examples), "heldout": len(heldout_examples), "left_out": dict(skipped)},
        "sft": sft.config_dict(settings.sft),
        "steps": result.steps,
        "resumed_from_step": result.start_step,
        "epochs_done": result.epochs_done,
        "stopped": result.stopped,
        "train_tokens": result.train_tokens,
        "loss_tokens": result.loss_tokens,
        "minutes": round((result.seconds + time.perf_counter() - started) / 60, 2),
        "losses": result.losses,
        "heldout_loss": heldout_loss,
        # what `refine run --mode programs` must be told to send the prompts this model was trained on
        "inference": {"chunk_tokens": chunk_tokens, "doc_tokens": doc_tokens,
                      "max_new_tokens": settings.max_new_tokens, "dialect": settings.dialect,
                      "stages": list(settings.stages)},
    }
    write_record(out, record)
    return Trained(out, heldout, record)


def _by_stage(samples: Sequence[data.Sample]) -> str:
    doc = sum(s.stage == "doc" for s in samples)
    return f"{doc} doc, {len(samples) - doc} chunk samples"
