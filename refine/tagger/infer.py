"""A trained tagger ready to score documents: the network, its encoder and its thresholds.

`Tagger.score` is the one place where documents become per-line remove probabilities and a drop
probability; the refiner, the benchmark and training's validation all call it. A document is an
engine `Document`, a `TaggedDoc`, or a plain list of line bodies; with a corpus line-frequency table
(`refine.linefreq`, counted over the corpus being refined) the tagger also sees how often each line repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from refine.tagger.data import pad_batch
from refine.tagger.encoder import LineCache, LineEncoder
from refine.linefreq import LineFrequency
from refine.tagger.model import LineTagger
from refine.tagger.signals import Signals, page_host


@dataclass
class Scores:
    remove: np.ndarray  # float32, one probability per line
    drop: float


class Tagger:
    """`max_lines_per_batch`: documents are scored together up to this many lines (the GRU steps
    through the longest, so many short documents share its steps). `cache_size`: distinct lines whose
    projected vectors are kept (64 floats each, where an embedding is 384), so repeated boilerplate
    is embedded and projected once."""

    def __init__(self, model: LineTagger, encoder: LineEncoder, max_lines_per_batch: int = 16_384,
                 cache_size: int = 100_000):
        self.model = model.eval()
        self.encoder = encoder
        self.max_lines_per_batch = max_lines_per_batch
        self.signals = Signals(rules=model.config.rule_signals)
        self._lines = LineCache(cache_size, self._project)

    def _project(self, texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            return self.model.project(torch.from_numpy(self.encoder.embed(texts))).numpy()

    @classmethod
    def load(cls, model_dir: str | Path, encoder: str | None = None, threads: int | None = None) -> "Tagger":
        """Load a trained tagger; `encoder` overrides the encoder directory its config names."""
        model = LineTagger.load(model_dir)
        c = model.config
        enc = LineEncoder(encoder or c.encoder, layers=c.encoder_layers, max_tokens=c.max_tokens, threads=threads,
                          cache_size=0)  # the tagger caches projected vectors instead
        if enc.dim != c.embed_dim:
            raise ValueError(f"encoder {enc.name!r} gives {enc.dim}-d embeddings; {model_dir} expects {c.embed_dim}")
        return cls(model, enc)

    @property
    def line_threshold(self) -> float:
        return self.model.config.line_threshold

    @property
    def doc_threshold(self) -> float:
        return self.model.config.doc_threshold

    def score(self, docs: Sequence, linefreq: LineFrequency | None = None) -> list[Scores]:
        """Scores for documents (see the module docstring); batches are filled up to a line budget
        so one encoder call embeds the lines of many short documents at once."""
        docs = [_Page.of(d) for d in docs]
        order = sorted(range(len(docs)), key=lambda i: len(docs[i]))
        out: list[Scores | None] = [None] * len(docs)
        batch: list[int] = []
        lines = 0
        for i in order:
            if batch and lines + len(docs[i]) > self.max_lines_per_batch:
                self._score_batch(docs, batch, out, linefreq)
                batch, lines = [], 0
            batch.append(i)
            lines += len(docs[i])
        if batch:
            self._score_batch(docs, batch, out, linefreq)
        return out  # type: ignore[return-value]

    def _score_batch(self, docs: list["_Page"], idx: list[int], out: list, linefreq: LineFrequency | None) -> None:
        nonempty = [i for i in idx if len(docs[i])]
        for i in idx:
            if not len(docs[i]):
                out[i] = Scores(np.zeros(0, np.float32), 0.0)
        if not nonempty:
            return
        flat = [line for i in nonempty for line in docs[i].bodies]
        vecs = self._lines.get(flat)
        projected, start = [], 0
        for i in nonempty:
            projected.append(vecs[start : start + len(docs[i])])
            start += len(docs[i])
        features = [self.signals.features(docs[i].bodies, docs[i].text, docs[i].host, linefreq) for i in nonempty]
        batch = pad_batch(projected, features)
        with torch.inference_mode():
            line_logits, doc_logits = self.model.tag(
                torch.from_numpy(batch.embeddings), torch.from_numpy(batch.features), torch.from_numpy(batch.mask)
            )
        line_p = torch.sigmoid(line_logits).numpy()
        doc_p = torch.sigmoid(doc_logits).numpy()
        for row, i in enumerate(nonempty):
            out[i] = Scores(line_p[row, : len(docs[i])].copy(), float(doc_p[row]))


@dataclass
class _Page:
    bodies: Sequence[str]
    text: str
    host: str | None

    @classmethod
    def of(cls, doc) -> "_Page":
        if isinstance(doc, (list, tuple)):
            return cls(doc, "\n".join(doc), None)
        return cls(doc.bodies, doc.text, page_host(doc))

    def __len__(self) -> int:
        return len(self.bodies)
