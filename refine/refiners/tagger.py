"""The tagger refiner: one forward pass labels every line keep/remove and the document keep/drop.

No generation, so no invalid programs and no per-token cost: lines are embedded by a frozen
sentence encoder (cached per distinct line), a small GRU reads them in order, and the decisions
become `remove_lines` / `drop_doc` programs. `--mode tagger --model DIR` loads a directory written
by `refine train --kind tagger`. Options (`--set`): `threshold`, `doc_threshold` (probabilities
at or above them remove / drop), `encoder` (a local encoder directory), `threads` (threads of the
network's BLAS and of a torch encoder, default 1), `linefreq` (`auto`: a first pass counts how many
documents of the input, and of each host, carry each line; `off`; or a table saved by
`refine.linefreq.LineFrequency.save`).
Each audit row keeps every line's remove probability and the drop probability, so the corpus can be
cut again at other thresholds without running the model (`refine recut`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from refine.document import Document
from refine.linefreq import CountsLines, LineFrequency, LineFrequencyOption
from refine.options import RunOptions
from refine.refiners.base import OptionError, Refinement, Refiner
from refine.tagger.infer import Tagger
from refine.tagger.spans import KEEP_WORDS, cut, kept_words, to_programs


#: `--set` options of the tagger (and of the default refiner, which is one); others exit 2 listing these.
OPTIONS = {
    "threshold": "remove a line whose remove probability is at or above it, in [0, 1]; default the model's",
    "doc_threshold": "drop a document whose drop probability is at or above it, in [0, 1]; default the model's",
    "encoder": "a local sentence-encoder directory, default the packaged all-MiniLM-L6-v2",
    "threads": "threads of the network's BLAS (and of a torch encoder), default 1",
    "linefreq": "corpus line counts: auto (a first pass over the input), off, or a saved table PATH",
    "keep_words": f"never drop a document whose kept lines hold this many words, default {KEEP_WORDS}",
}


class TaggerRefiner(CountsLines, Refiner):
    name = "tagger"
    batch_size = 256  # many pages per call, so the tagger finds pages of similar length to score together

    def __init__(
        self,
        tagger: Tagger,
        line_threshold: float | None = None,
        doc_threshold: float | None = None,
        stages: Sequence[str] = ("doc", "chunk"),
        name: str = "tagger",
        linefreq: LineFrequency | str | None = "auto",
        keep_words: int = KEEP_WORDS,
    ):
        self.tagger = tagger
        self.line_threshold = tagger.line_threshold if line_threshold is None else line_threshold
        self.doc_threshold = tagger.doc_threshold if doc_threshold is None else doc_threshold
        self.stages = tuple(stages)
        self.name = name
        self.keep_words = keep_words
        # a model trained without the corpus columns has no use for the first pass
        self._linefreq = LineFrequencyOption(linefreq if tagger.model.config.corpus_signals else None)

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        scores = self.tagger.score(docs, self.linefreq)
        out = []
        for doc, s in zip(docs, scores):
            remove, drop = cut(doc.bodies, s.remove, s.drop, self.line_threshold, self.doc_threshold, self.keep_words)
            out.append(
                Refinement(
                    doc_id=doc.id,
                    programs=to_programs(remove, drop, self.stages),
                    audit={
                        "lines": len(remove),
                        "removed_lines": int(sum(remove)),
                        "mean_remove_prob": round(float(np.mean(s.remove)), 4) if len(s.remove) else 0.0,
                        "drop_prob": round(s.drop, 4),
                        "remove_probs": [round(float(p), 3) for p in s.remove],
                        "corpus_counts": self.linefreq is not None,
                        # what the drop rule weighs: a page whose kept lines hold keep_words words stays
                        "kept_words": kept_words(doc.bodies, remove),
                        "keep_words": self.keep_words,
                        **({"drop_reason": "unwanted page",
                            "drop_detail": f"drop probability {s.drop:.2f} >= {self.doc_threshold}"} if drop else {}),
                        **({"drop_overruled": f"drop probability {s.drop:.2f}, but the kept lines hold "
                                              f"{self.keep_words}+ words"} if not drop and s.drop >= self.doc_threshold else {}),
                    },
                )
            )
        return out


def _float_option(opts: RunOptions, key: str) -> float | None:
    value = opts.extra.get(key)
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"--set {key}= needs a probability in [0, 1], not {value!r}") from None
    if not 0.0 <= value <= 1.0:
        raise OptionError(f"--set {key}= needs a probability in [0, 1], not {value}")
    return value


def refiner_from_dir(model_dir: str, opts: RunOptions, name: str) -> TaggerRefiner:
    """A tagger refiner for a model directory, with the `--set` overrides of `opts` applied."""
    # One BLAS thread unless told otherwise: the network is small, and more threads than free cores
    # (a busy machine, several workers, the embedding thread) made it slower in our measurements.
    try:
        threads = int(opts.extra.get("threads", 1))
    except (TypeError, ValueError):
        threads = 0
    if threads < 1:
        raise OptionError(f"--set threads= needs a positive integer, not {opts.extra.get('threads')!r}")
    line_threshold, doc_threshold = _float_option(opts, "threshold"), _float_option(opts, "doc_threshold")
    tagger = Tagger.load(model_dir, encoder=opts.extra.get("encoder"), threads=threads)  # checked first: it is slow
    return TaggerRefiner(
        tagger,
        line_threshold=line_threshold,
        doc_threshold=doc_threshold,
        stages=opts.stages,
        name=name,
        linefreq=opts.extra.get("linefreq", "auto"),
        keep_words=_count_option(opts, "keep_words", KEEP_WORDS),
    )


def _count_option(opts: RunOptions, key: str, default: int) -> int:
    value = opts.extra.get(key, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise OptionError(f"--set {key}= needs a whole number of words, not {opts.extra.get(key)!r}")
    return value


def from_options(opts: RunOptions) -> TaggerRefiner:
    if not opts.model:
        raise ValueError("--mode tagger needs --model DIR (a directory written by `refine train --kind tagger`)")
    return refiner_from_dir(opts.model, opts, "tagger")
