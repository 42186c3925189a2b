"""Small causal LMs trained from scratch on CPU: packing, a deterministic training loop, perplexity.

What `refine eval train` and the privacy probe need and nothing more: a Llama built from a config (no
hub), text packed into fixed-length blocks with EOS between documents, AdamW with warmup and cosine
decay, a callback every few steps for learning curves, and held-out perplexity. Everything random is
drawn from the seed, so a run repeats exactly on the same machine and thread count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import torch

from refine.tiny import EOS, PAD, train_tokenizer


@dataclass(frozen=True)
class ModelSize:
    hidden: int
    layers: int
    heads: int
    tied: bool = True  # input and output embeddings shared


#: Parameters at a 4,096-token vocabulary: tiny ~0.4M (tests, the privacy probe), mini ~1.6M (the
#: realweb comparison: ~0.2 s per 2,048-token step on one CPU core), small ~3.1M (the synthetic
#: comparison: ~1.6 s per step on one busy core), base ~5.2M. mini's output embedding is its own: tied
#: to the input one, a model this small learns bigram statistics slowly (a long plateau near the unigram
#: loss, ended at a seed-dependent step), which swamps differences between corpora.
MODEL_SIZES = {
    "tiny": ModelSize(hidden=64, layers=2, heads=4),
    "mini": ModelSize(hidden=128, layers=2, heads=4, tied=False),
    "small": ModelSize(hidden=192, layers=4, heads=4),
    "base": ModelSize(hidden=256, layers=4, heads=4),
}


def build_tokenizer(texts: Iterable[str], vocab_size: int):
    """The shared byte-level BPE tokenizer (refine.tiny's), trained on `texts`."""
    return train_tokenizer(texts, vocab_size=vocab_size)


def new_model(tokenizer, size: ModelSize | str, seed: int, max_positions: int = 1024):
    """A randomly initialised Llama for `tokenizer`; the same seed gives the same initial weights."""
    from transformers import AutoConfig, AutoModelForCausalLM

    if isinstance(size, str):
        if size not in MODEL_SIZES:
            raise ValueError(f"model size must be one of {', '.join(MODEL_SIZES)}, not {size!r}")
        size = MODEL_SIZES[size]
    config = AutoConfig.for_model(
        "llama",
        vocab_size=len(tokenizer),
        hidden_size=size.hidden,
        intermediate_size=size.hidden * 4,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
        eos_token_id=tokenizer.convert_tokens_to_ids(EOS),
        tie_word_embeddings=size.tied,
        initializer_range=0.02,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------------
# Packing


def encode_stream(tokenizer, texts: Iterable[str], max_tokens: int | None = None) -> torch.Tensor:
    """All texts' tokens in one stream, EOS after each document; stops once `max_tokens` are reached."""
    eos = tokenizer.convert_tokens_to_ids(EOS)
    ids: list[int] = []
    batch: list[str] = []

    def flush() -> bool:
        for row in tokenizer(batch, add_special_tokens=False)["input_ids"]:
            ids.extend(row)
            ids.append(eos)
        batch.clear()
        return max_tokens is not None and len(ids) >= max_tokens

    for text in texts:
        batch.append(text)
        if len(batch) == 256 and flush():
            break
    else:
        if batch:
            flush()
    if max_tokens is not None:
        del ids[max_tokens:]
    return torch.tensor(ids, dtype=torch.long)


def to_blocks(stream: torch.Tensor, seq_len: int) -> torch.Tensor:
    """The stream cut into rows of `seq_len` tokens; the incomplete tail is dropped."""
    n = stream.numel() // seq_len
    return stream[: n * seq_len].view(n, seq_len)


def batches(blocks: torch.Tensor, batch_size: int, steps: int, seed: int) -> Iterator[torch.Tensor]:
    """`steps` batches of rows, each epoch in a fresh seeded order: a short corpus is repeated."""
    if blocks.shape[0] == 0:
        raise ValueError("no training blocks: the corpus is shorter than one sequence")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(blocks.shape[0], generator=generator)
    pos = 0
    for _ in range(steps):
        parts, count = [], 0
        while count < batch_size:
            if pos == len(order):
                order, pos = torch.randperm(blocks.shape[0], generator=generator), 0
            take = min(batch_size - count, len(order) - pos)
            parts.append(order[pos:pos + take])
            pos, count = pos + take, count + take
        yield blocks[torch.cat(parts)]


# --------------------------------------------------------------------------------------------------
# Training and scoring


@dataclass
class TrainSettings:
    steps: int
    batch_size: int = 16
    lr: float = 2e-3
    warmup: float = 0.05  # share of steps spent warming up
    min_lr_ratio: float = 0.1  # cosine decay ends at lr * this
    weight_decay: float = 0.1
    clip: float = 1.0
    eval_every: int = 0  # 0: evaluate only at the end


def _lr_factor(step: int, settings: TrainSettings) -> float:
    warm = max(1, int(settings.steps * settings.warmup))
    if step < warm:
        return (step + 1) / warm
    progress = (step - warm) / max(1, settings.steps - warm)
    return settings.min_lr_ratio + (1 - settings.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def train(model, blocks: torch.Tensor, settings: TrainSettings, seed: int,
          on_eval: Callable[[int], dict] | None = None) -> list[dict]:
    """Train on `blocks` for `settings.steps` steps; call `on_eval(step)` every `eval_every` steps and at
    the end. Returns the learning curve: one row per evaluation, with the mean training loss since the
    previous one and whatever `on_eval` returned."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=settings.lr, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _lr_factor(s, settings))
    curve: list[dict] = []
    losses: list[float] = []
    tokens_per_step = settings.batch_size * blocks.shape[1]

    def evaluate(step: int) -> None:
        model.eval()
        row = {"step": step, "tokens": step * tokens_per_step,
               "train_loss": sum(losses) / len(losses) if losses else None}
        if on_eval is not None:
            with torch.no_grad():
                row.update(on_eval(step))
        curve.append(row)
        losses.clear()
        model.train()

    model.train()
    for step, batch in enumerate(batches(blocks, settings.batch_size, settings.steps, seed), start=1):
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if settings.eval_every and step % settings.eval_every == 0 and step != settings.steps:
            evaluate(step)
    evaluate(settings.steps)
    model.eval()
    return curve


@torch.no_grad()
def perplexity(model, blocks: torch.Tensor, batch_size: int = 32) -> dict:
    """Mean next-token loss over `blocks` and its exponential; every block is scored whole."""
    model.eval()
    total, count = 0.0, 0
    for lo in range(0, blocks.shape[0], batch_size):
        batch = blocks[lo:lo + batch_size]
        logits = model(input_ids=batch).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1),
                                                reduction="sum")
        total += nll.item()
        count += batch[:, 1:].numel()
    if count == 0:
        return {"loss": None, "ppl": None, "tokens": 0}
    loss = total / count
    return {"loss": loss, "ppl": math.exp(loss), "tokens": count}
