"""Tiny causal LMs built from a config with a locally trained tokenizer: no hub, no download.

Tests of every part and `refine train --from-config` use them. The weights are random (seeded) unless
trained afterwards; the tokenizer is a byte-level BPE, so any text round-trips, and it carries a
ChatML-style chat template so chat requests work like with a real instruct model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
PAD, BOS, EOS = "<pad>", "<s>", "</s>"
CHAT_TOKENS = ("<|im_start|>", "<|im_end|>")
SPECIAL_TOKENS = (PAD, BOS, EOS, *CHAT_TOKENS)
# Architectures whose configs share Llama's field names (hidden_size, num_attention_heads, ...).
LLAMA_LIKE = ("llama", "qwen2", "mistral")


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512):
    """A byte-level BPE tokenizer trained on `texts`, wrapped for transformers, with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        additional_special_tokens=list(CHAT_TOKENS),
        padding_side="left",  # decoder-only generation pads on the left
        chat_template=CHAT_TEMPLATE,
    )
    return tokenizer


def build_tiny_causal_lm(
    out_dir: str | Path,
    texts: Iterable[str],
    vocab_size: int = 512,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    arch: str = "llama",
    seed: int = 0,
    init_std: float = 0.2,
) -> Path:
    """Train a tokenizer on `texts`, build a randomly initialised `arch` model, save both to `out_dir`.

    Deterministic for a given seed and texts. `out_dir` then loads with `AutoModelForCausalLM` and
    `AutoTokenizer` like any hub checkpoint. The default `init_std` is ten times the usual 0.02 so that
    an untrained model's greedy output varies from token to token (tests compare such outputs); pass
    0.02 before training one.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    if arch not in LLAMA_LIKE:
        raise ValueError(f"arch must be one of {', '.join(LLAMA_LIKE)}, not {arch!r}")
    out = Path(out_dir)
    tokenizer = train_tokenizer(list(texts), vocab_size=vocab_size)
    ids = {tok: tokenizer.convert_tokens_to_ids(tok) for tok in SPECIAL_TOKENS}
    stop_ids = [ids[EOS], ids["<|im_end|>"]]
    config = AutoConfig.for_model(
        arch,
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 4,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=4096,
        pad_token_id=ids[PAD],
        bos_token_id=ids[BOS],
        eos_token_id=stop_ids,
        tie_word_embeddings=True,
        initializer_range=init_std,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config = GenerationConfig(
        pad_token_id=ids[PAD], bos_token_id=ids[BOS], eos_token_id=stop_ids, do_sample=False
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
