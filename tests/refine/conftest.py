"""Shared fixtures for engine tests: one tiny random causal LM per session, built locally."""

from __future__ import annotations

import pytest
import torch

from refine.tiny import build_tiny_causal_lm

# Tiny models on a shared CPU run 10-50x faster on one thread than on an oversubscribed pool.
torch.set_num_threads(1)

# The tokenizer is trained on text like what the engine sends and receives, so prompts and programs
# tokenize into a few dozen tokens, not hundreds of single bytes.
TINY_TEXTS = [
    "The quick brown fox jumps over the lazy dog. Share on Facebook | Home | About us | Contact",
    "[doc]\n[000]Welcome to our website\n[001]Copyright 2024 All rights reserved\n[/doc]",
    "keep_doc()\ndrop_doc()\nkeep_chunk()\nremove_lines(line_start=0, line_end=4)\n"
    'remove_str(line=12, del_str="Share on Facebook")\nnormalize(source_str="&nbsp;", target_str=" ")',
    "Researchers refine pre-training corpora by removing boilerplate, navigation menus and spam.",
] * 8


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A saved tiny Llama (random weights, seed 0) with a ChatML template; loads with Auto* classes."""
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm"), TINY_TEXTS)
