"""A trained tagger ready to score documents: the network, its encoder and its thresholds.

`Tagger.score` is the one place where documents become per-line remove probabilities and a drop
probability; the refiner, the benchmark and training's validation all call it. A document is an
engine `Document`, a `TaggedDoc`, or a plain list of line bodies; with a corpus line-frequency table
(`refine.linefreq`, counted over the corpus being refined) the tagger also sees how often each line repeats.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from refine.tagger.data import pad_batch
from refine.tagger.encoder import LineCache, LineEncoder
from refine.linefreq import LineFrequency
from refine.blas import set_blas_threads
from refine.tagger.runtime import NumpyTagger, sigmoid
from refine.tagger.signals import Signals, page_host


@dataclass
class Scores:
    remove: np.ndarray  # float32, one probability per line
    drop: float


class Tagger:
    """`max_lines_per_batch`: documents are scored together up to this many padded lines (see
    `score`); at 8,192 the network's largest buffer (every step's input products, ~13 MB) stays below
    `refine.memory`'s mmap threshold, so it is reused rather than faulted in anew, and the GRU takes
    fewer steps than at 4,096 and pads less than at 16,384 (the fastest of the three on real pages).
    `cache_size`: distinct lines whose projected vectors are kept (64 floats each, where an embedding
    is 384), so repeated boilerplate is embedded and projected once."""

    def __init__(self, model, encoder: LineEncoder, max_lines_per_batch: int = 8_192,
                 cache_size: int = 100_000):
        # the network runs in numpy (`refine.tagger.runtime`); a torch `LineTagger` is copied into it
        self.model = model if isinstance(model, NumpyTagger) else NumpyTagger.of(model)
        self.encoder = encoder
        self.max_lines_per_batch = max_lines_per_batch
        self.signals = Signals(rules=model.config.rule_signals)
        self._lines = LineCache(cache_size, self._project)

    def _project(self, texts: list[str]) -> np.ndarray:
        return self.model.project(self.encoder.embed(texts))

    @classmethod
    def load(cls, model_dir: str | Path, encoder: str | None = None, threads: int | None = None) -> "Tagger":
        """Load a trained tagger; `encoder` overrides the encoder directory its config names; `threads`
        caps the threads of numpy's BLAS (`refine.blas`) and of a torch encoder, None leaves them."""
        model = NumpyTagger.load(model_dir)
        if threads:
            set_blas_threads(threads)
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
        """Scores for documents (see the module docstring).

        Documents of similar length are scored together, up to `max_lines_per_batch` padded lines
        (documents x the longest one): the GRU steps through the longest, and a page of 1,000 lines
        among pages of 50 would make the others pay for its steps and its memory. Lines are embedded
        in a second thread while this one computes the features: tokenizing and the tensor work
        release the GIL, so on two free cores the two overlap, and on one they take turns.
        """
        pages = [_Page.of(d) for d in docs]
        out: list[Scores | None] = [None if len(p) else Scores(np.zeros(0, np.float32), 0.0) for p in pages]
        batches = self._batches(pages)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagger-lines") as pool:
            embed = lambda b: pool.submit(self._lines.get, [line for i in b for line in pages[i].bodies])  # noqa: E731
            ahead = embed(batches[0]) if batches else None
            for k, batch in enumerate(batches):  # one batch embedded ahead: memory for two at most
                vecs, ahead = ahead, embed(batches[k + 1]) if k + 1 < len(batches) else None
                self._score_batch(pages, batch, vecs, out, linefreq)
        return out  # type: ignore[return-value]

    def _batches(self, pages: list["_Page"]) -> list[list[int]]:
        """Indices of the pages with lines, grouped by length (see `score`)."""
        order = sorted((i for i, p in enumerate(pages) if len(p)), key=lambda i: len(pages[i]))
        batches: list[list[int]] = []
        batch: list[int] = []
        for i in order:  # ascending: the page added is the longest of its batch
            if batch and (len(batch) + 1) * len(pages[i]) > self.max_lines_per_batch:
                batches.append(batch)
                batch = []
            batch.append(i)
        return batches + [batch] if batch else batches

    def _score_batch(self, pages: list["_Page"], idx: list[int], vectors: Future, out: list,
                     linefreq: LineFrequency | None) -> None:
        features = [self.signals.features(pages[i].bodies, pages[i].text, pages[i].host, linefreq) for i in idx]
        vecs = vectors.result()
        projected, start = [], 0
        for i in idx:
            projected.append(vecs[start : start + len(pages[i])])
            start += len(pages[i])
        batch = pad_batch(projected, features)
        line_logits, doc_logits = self.model.tag(batch.embeddings, batch.features, batch.mask)
        line_p, doc_p = sigmoid(line_logits), sigmoid(doc_logits)
        for row, i in enumerate(idx):
            out[i] = Scores(line_p[row, : len(pages[i])].copy(), float(doc_p[row]))


@dataclass
class _Page:
    bodies: Sequence[str]
    text: str
    host: str | None

    @classmethod
    def of(cls, doc) -> "_Page":
        if isinstance(doc, (list, tuple)):  # a text whose lines are these (a last "" is a blank last line)
            return cls(doc, "\n".join(doc) + ("\n" if doc and doc[-1] == "" else ""), None)
        return cls(doc.bodies, doc.text, page_host(doc))

    def __len__(self) -> int:
        return len(self.bodies)
