"""Supervised fine-tuning of a causal LM to write programs: loss on the program tokens only.

A plain torch loop (AdamW, warmup then cosine decay, gradient accumulation) that checkpoints every
`save_steps` optimizer steps and resumes from the newest checkpoint: the batch order of an epoch is a
function of (seed, epoch), so a resumed run sees the batches the interrupted one would have seen. The
output directory is a plain `save_pretrained` model + tokenizer (LoRA adapters merged in), loadable by
every backend of `refine run`, with `train.json` recording what was trained, on what, and how long.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch

from refine.train.data import IGNORE
from refine.train.record import read_record  # noqa: F401 (callers import it from here too)

CHECKPOINTS = "checkpoints"
START = "start"  # the model a --from-config run starts from, kept for resuming


@dataclass
class SFTConfig:
    epochs: float = 3.0
    lr: float = 1e-4
    batch_size: int = 8
    grad_accum: int = 1
    max_length: int = 1024
    seed: int = 0
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    save_steps: int = 200
    keep_checkpoints: int = 2
    max_steps: int | None = None  # overrides epochs
    max_minutes: float | None = None  # stop (and save) when the wall time of this run passes it
    log_steps: int = 10


@dataclass
class SFTResult:
    steps: int
    start_step: int  # > 0 when resumed
    epochs_done: float
    losses: list[tuple[int, float]]  # (step, mean training loss over the steps since the last entry)
    train_tokens: int  # tokens (prompt + program) seen in this run and before it, when resumed
    loss_tokens: int  # program tokens seen (those that carry loss)
    seconds: float
    stopped: str  # "done" | "max_minutes"
    extra: dict = field(default_factory=dict)


def batches_for_epoch(examples: Sequence[dict], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Indices of each batch of `epoch`: shuffled, then sorted by length inside windows of 32 batches
    so a batch pads little, then the batches shuffled. Deterministic in (seed, epoch)."""
    rng = random.Random(seed * 100_003 + epoch)
    order = list(range(len(examples)))
    rng.shuffle(order)
    window = batch_size * 32
    batches = []
    for at in range(0, len(order), window):
        part = sorted(order[at:at + window], key=lambda i: len(examples[i]["input_ids"]))
        batches.extend(part[j:j + batch_size] for j in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def train(lm, tokenizer, examples: Sequence[dict], config: SFTConfig, output_dir: str | Path,
          resume: bool = False, on_log: Callable[[int, int, float], None] | None = None) -> SFTResult:
    """Fine-tune `lm` in place on encoded `examples` (see `refine.train.data.encode`), checkpointing
    under `output_dir/checkpoints/`. With `resume`, continues from the newest checkpoint there."""
    if not examples:
        raise ValueError("no training examples: every sample was longer than --max-length, or the data is empty")
    torch.manual_seed(config.seed)
    out = Path(output_dir)
    device = next(lm.parameters()).device
    per_epoch = math.ceil(math.ceil(len(examples) / config.batch_size) / config.grad_accum)
    total = config.max_steps or max(1, math.ceil(per_epoch * config.epochs))
    params = [p for p in lm.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _schedule(optimizer, warmup=int(total * config.warmup_ratio), total=total)
    state = {"step": 0, "train_tokens": 0, "loss_tokens": 0, "losses": []}
    if resume and (last := latest_checkpoint(out)) is not None:
        state = _load_checkpoint(last, lm, optimizer, scheduler)
    start_step, step = state["step"], state["step"]
    losses: list = [tuple(x) for x in state["losses"]]
    started = time.perf_counter()
    stopped = "done"
    pad = tokenizer.pad_token_id
    window_loss, window_steps = 0.0, 0
    lm.train()
    while step < total:
        epoch, into = divmod(step, per_epoch)
        batches = batches_for_epoch(examples, config.batch_size, config.seed, epoch)
        groups = [batches[i:i + config.grad_accum] for i in range(0, len(batches), config.grad_accum)]
        for group in groups[into:]:
            loss_value = 0.0
            for indices in group:
                batch = {k: v.to(device) for k, v in collate([examples[i] for i in indices], pad).items()}
                loss = lm(**batch).loss / len(group)
                loss.backward()
                loss_value += loss.item()
                state["train_tokens"] += int(batch["attention_mask"].sum())
                state["loss_tokens"] += int((batch["labels"] != -100).sum())
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            window_loss, window_steps = window_loss + loss_value, window_steps + 1
            if step == start_step + 1 or step % config.log_steps == 0 or step == total:
                losses.append((step, window_loss / window_steps))
                if on_log:
                    on_log(step, total, losses[-1][1])
                window_loss, window_steps = 0.0, 0
            over_time = config.max_minutes is not None and time.perf_counter() - started > config.max_minutes * 60
            if step % config.save_steps == 0 or step == total or over_time:
                state.update(step=step, losses=losses)
                _save_checkpoint(out, lm, optimizer, scheduler, state, config.keep_checkpoints)
            if over_time and step < total:
                stopped = "max_minutes"
            if step >= total or stopped != "done":
                break
        if stopped != "done":
            break
    lm.eval()
    return SFTResult(step, start_step, round(step / per_epoch, 3), losses, state["train_tokens"],
                     state["loss_tokens"], time.perf_counter() - started, stopped)


@torch.inference_mode()
def mean_loss(lm, tokenizer, examples: Sequence[dict], batch_size: int = 8) -> float | None:
    """Mean loss per program token over `examples` (teacher forcing), or None when there are none."""
    if not examples:
        return None
    device = next(lm.parameters()).device
    lm.eval()
    total, count = 0.0, 0
    for at in range(0, len(examples), batch_size):
        batch = {k: v.to(device) for k, v in collate(examples[at:at + batch_size], tokenizer.pad_token_id).items()}
        n = int((batch["labels"][:, 1:] != -100).sum())
        total += lm(**batch).loss.item() * n
        count += n
    return total / count if count else None


def save_model(lm, tokenizer, output_dir: str | Path) -> Path:
    """The plain model directory (LoRA merged in) with its tokenizer and chat template."""
    from refine.train.models import ensure_stops

    if hasattr(lm, "merge_and_unload"):  # a peft model
        lm = lm.merge_and_unload()
    ensure_stops(lm, tokenizer)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    lm.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def collate(examples: Sequence[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors for training: padding is masked out of attention and loss."""
    width = max(len(e["input_ids"]) for e in examples)
    ids = [e["input_ids"] + [pad_id] * (width - len(e["input_ids"])) for e in examples]
    labels = [e["labels"] + [IGNORE] * (width - len(e["labels"])) for e in examples]
    mask = [[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"])) for e in examples]
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


# -- checkpoints ---------------------------------------------------------------------------------


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete checkpoint (`state.json` is written last, so its presence marks one)."""
    root = Path(output_dir) / CHECKPOINTS
    done = [p for p in root.glob("step-*") if (p / "state.json").is_file()] if root.is_dir() else []
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def _save_checkpoint(out: Path, lm, optimizer, scheduler, state: dict, keep: int) -> Path:
    root = out / CHECKPOINTS
    final = root / f"step-{state['step']}"
    tmp = root / f".tmp-step-{state['step']}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    trainable = {n: p.detach().cpu() for n, p in lm.named_parameters() if p.requires_grad}
    torch.save(trainable, tmp / "trainable.pt")
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state) + "\n", encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    steps = sorted((p for p in root.glob("step-*") if p.is_dir()), key=lambda p: int(p.name.split("-")[1]))
    for old in steps[:-max(1, keep)]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _load_checkpoint(path: Path, lm, optimizer, scheduler) -> dict:
    trainable = torch.load(path / "trainable.pt", map_location="cpu")
    expected = {n for n, p in lm.named_parameters() if p.requires_grad}
    if set(trainable) != expected:
        raise ValueError(f"checkpoint {path} holds other parameters than this model trains "
                         "(another model, size or --lora setting?); use a fresh OUTPUT_DIR or drop --resume")
    lm.load_state_dict(trainable, strict=False)
    other = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=False)
    optimizer.load_state_dict(other["optimizer"])
    scheduler.load_state_dict(other["scheduler"])
    torch.set_rng_state(other["rng"])
    return json.loads((path / "state.json").read_text(encoding="utf-8"))


def _schedule(optimizer, warmup: int, total: int):
    """Linear warmup to the peak rate, then cosine decay to a tenth of it."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def config_dict(config: SFTConfig) -> dict:
    return asdict(config)
