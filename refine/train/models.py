"""Where a fine-tuned refiner starts: a pretrained causal LM, or a Llama of a named size built from a
config with a tokenizer trained on the training data (offline), optionally wrapped in LoRA adapters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Size:
    vocab: int
    hidden: int
    layers: int
    heads: int


#: tiny: tests (~0.2M parameters); small: CPU training (~5M); base: ProX's refiners' Llama shape (~0.3B).
SIZES = {
    "tiny": Size(vocab=512, hidden=64, layers=2, heads=4),
    "small": Size(vocab=4096, hidden=256, layers=4, heads=4),
    "base": Size(vocab=32000, hidden=1024, layers=16, heads=16),
}
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


def build_from_config(size: str, texts: Iterable[str], out_dir: str | Path, seed: int = 0) -> Path:
    """A freshly initialised model of `size` and a BPE tokenizer trained on `texts`, saved to `out_dir`."""
    from refine.tiny import build_tiny_causal_lm

    if size not in SIZES:
        raise ValueError(f"--from-config takes one of {', '.join(SIZES)}, not {size!r}")
    s = SIZES[size]
    return build_tiny_causal_lm(out_dir, texts, vocab_size=s.vocab, hidden=s.hidden, layers=s.layers,
                                heads=s.heads, seed=seed, init_std=0.02)


def load(model: str | Path):
    """(model, tokenizer) from a local directory or a hub name; the tokenizer gets a pad token if it
    has none (the EOS), since batches are padded."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from refine.model_source import local_model_problem
    from refine.named_models import resolve

    model = resolve(model)  # a named model (`smollm2-135m`) becomes its local directory
    problem = local_model_problem(str(model))
    if problem:
        raise ValueError(f"cannot load model {str(model)!r}: {problem}, or use --from-config")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model))
        lm = AutoModelForCausalLM.from_pretrained(str(model))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load model {str(model)!r}: {exc}\nPass --model a local directory with "
                         "config.json and tokenizer files, a reachable hub name, or use --from-config.") from exc
    if tokenizer.eos_token_id is None:
        raise ValueError(f"model {str(model)!r}: its tokenizer has no EOS token to end programs with")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError(f"model {str(model)!r}: its tokenizer has no chat template, and chunk prompts are "
                         "chat messages; use an instruct model or --from-config")
    return lm, tokenizer


def ensure_stops(lm, tokenizer) -> None:
    """Generation must stop at the EOS that training appends to every program."""
    config = lm.generation_config
    ids = config.eos_token_id
    ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
    if tokenizer.eos_token_id not in ids:
        config.eos_token_id = [*ids, tokenizer.eos_token_id]
    if config.pad_token_id is None:
        config.pad_token_id = tokenizer.pad_token_id


def add_lora(lm, r: int = 16, alpha: int = 32, targets: Sequence[str] = DEFAULT_LORA_TARGETS, dropout: float = 0.05):
    """`lm` with trainable LoRA adapters on `targets` and everything else frozen (peft)."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as exc:
        raise ValueError("--lora needs peft: pip install peft") from exc
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=list(targets), lora_dropout=dropout,
                        task_type="CAUSAL_LM")
    try:
        return get_peft_model(lm, config)
    except ValueError as exc:
        raise ValueError(f"--lora-targets {','.join(targets)}: {exc}") from exc


def count_parameters(lm) -> tuple[int, int]:
    """(all parameters, trainable parameters)."""
    total = sum(p.numel() for p in lm.parameters())
    return total, sum(p.numel() for p in lm.parameters() if p.requires_grad)
