"""Training the tagger: embed every distinct line once, then fit the small network on top.

The encoder is frozen, so its embeddings are computed once per distinct line (boilerplate repeats,
which makes this much cheaper than one per line) and may be cached on disk; epochs then cost only
the GRU. Features are computed once per document too, with corpus line counts taken over each
document's own corpus (`corpus_of`: the pages that would be refined together), as a run would.
Deterministic for a seed: fixed shuffles, fixed windows, deterministic torch kernels.
Thresholds are tuned on the validation documents, never on held-out ones.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from refine.tagger.data import TaggedDoc, pad_batch
from refine.tagger.encoder import LineEncoder
from refine.tagger.infer import Scores
from refine.tagger.metrics import PRF
from refine.tagger.model import LineTagger, TaggerConfig


@dataclass
class TrainSettings:
    epochs: int = 30
    batch_docs: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    window: int = 256  # long documents train as consecutive windows of this many lines
    patience: int = 5  # epochs without a better validation score before stopping
    doc_loss_weight: float = 0.5
    seed: int = 0
    threads: int = 1  # the network is small: one thread is fastest, and many are far slower on a busy machine
    max_steps: int | None = None  # stop after this many optimiser steps (tests, smoke runs)
    # The corpus of a validation document: the line threshold maximises the mean F1 over corpora
    # (None: the document does not count for the line threshold).
    group_of: Callable[[TaggedDoc], str | None] | None = None


@dataclass
class TrainReport:
    train_docs: int
    val_docs: int
    train_lines: int
    distinct_lines: int
    params: int
    epochs_run: int
    best_epoch: int
    steps: int
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    val: dict = field(default_factory=dict)
    line_threshold: float = 0.5
    doc_threshold: float = 0.5
    embed_seconds: float = 0.0
    train_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def embed_docs(
    docs: Sequence[TaggedDoc], encoder: LineEncoder, cache_dir: str | Path | None = None
) -> list[np.ndarray]:
    """Each document's line embeddings. Distinct lines are embedded once; with `cache_dir` the
    table of distinct lines is stored there under a key of the encoder and the lines."""
    bodies = [d.bodies for d in docs]
    distinct = sorted({line for b in bodies for line in b})
    table = None
    cache = None
    if cache_dir is not None:
        key = hashlib.sha256(
            json.dumps([encoder.name, encoder.layers, encoder.max_tokens, distinct]).encode()
        ).hexdigest()[:20]
        cache = Path(cache_dir) / f"embeddings-{key}.npy"
        if cache.is_file():
            table = np.load(cache)
    if table is None:
        table = encoder.encode(distinct)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, table)
    index = {line: i for i, line in enumerate(distinct)}
    return [table[[index[line] for line in b]] if b else np.zeros((0, table.shape[1]), np.float32) for b in bodies]


def doc_features(docs: Sequence[TaggedDoc], config: TaggerConfig,
                 corpus_of: Callable[[TaggedDoc], str] | None = None) -> list[np.ndarray]:
    """Each document's line features (`refine.tagger.signals`). Documents with the same
    `corpus_of(doc)` (default: their `source`) are counted as one corpus for the line-frequency
    columns; `corpus_of` returning None leaves a document without counts."""
    from refine.tagger.signals import Signals, count_corpus, page_host

    corpus_of = corpus_of or (lambda d: d.source)
    groups: dict[str, list[TaggedDoc]] = {}
    for doc in docs:
        key = corpus_of(doc)
        if key is not None:
            groups.setdefault(key, []).append(doc)
    tables = {key: count_corpus(group) for key, group in groups.items()} if config.corpus_signals else {}
    signals = Signals(rules=config.rule_signals)
    return [signals.features(d.bodies, d.text, page_host(d), tables.get(corpus_of(d))) for d in docs]


def _windows(docs: Sequence[TaggedDoc], embeddings: Sequence[np.ndarray], features: Sequence[np.ndarray],
             window: int) -> list[tuple]:
    """(embeddings, features, labels, drop) per training example; features see the whole document."""
    out = []
    for doc, emb, feats in zip(docs, embeddings, features):
        if not len(emb):
            continue
        labels = np.asarray(doc.labels, np.float32)
        for start in range(0, len(emb), window):
            end = start + window
            out.append((emb[start:end], feats[start:end], labels[start:end], float(doc.drop)))
    return out


def _length_buckets(examples: list[tuple], batch_docs: int, rng: np.random.Generator, pool: int = 50) -> list:
    """Batches of similar lengths, in random order: a shuffled pool of `pool` batches' worth of
    examples is sorted by length and cut, so a batch pads to its own longest window, not to the
    longest of the corpus (several times less GRU work on pages of mixed length)."""
    order = rng.permutation(len(examples))
    batches = []
    for start in range(0, len(order), batch_docs * pool):
        chunk = sorted(order[start:start + batch_docs * pool], key=lambda i: len(examples[i][0]))
        batches += [chunk[i:i + batch_docs] for i in range(0, len(chunk), batch_docs)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _to_tensors(examples: list[tuple]):
    b = pad_batch([e[0] for e in examples], [e[1] for e in examples], [e[2] for e in examples], [e[3] for e in examples])
    return (
        torch.from_numpy(b.embeddings),
        torch.from_numpy(b.features),
        torch.from_numpy(b.mask),
        torch.from_numpy(b.labels),
        torch.from_numpy(b.drop),
    )


def _loss(model: LineTagger, batch, settings: TrainSettings) -> torch.Tensor:
    emb, feats, mask, labels, drop = batch
    line_logits, doc_logits = model(emb, feats, mask)
    per_line = nn.functional.binary_cross_entropy_with_logits(line_logits, labels, reduction="none")
    line_loss = (per_line * mask).sum() / mask.sum().clamp(min=1)
    doc_loss = nn.functional.binary_cross_entropy_with_logits(doc_logits, drop)
    return line_loss + settings.doc_loss_weight * doc_loss


def _score_embedded(model: LineTagger, examples: list[tuple], batch_docs: int) -> list[Scores]:
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(examples), batch_docs):
            chunk = examples[start : start + batch_docs]
            emb, feats, mask, _, _ = _to_tensors(chunk)
            line_logits, doc_logits = model(emb, feats, mask)
            lp, dp = torch.sigmoid(line_logits).numpy(), torch.sigmoid(doc_logits).numpy()
            out += [Scores(lp[i, : len(e[0])].copy(), float(dp[i])) for i, e in enumerate(chunk)]
    return out


def evaluate_scores(
    scores: Sequence[Scores], gold: Sequence[tuple[Sequence[int], bool]], line_t: float, doc_t: float
) -> dict:
    """Line and doc P/R/F1. Lines of documents the gold drops are left out of the line score (their
    fate is the doc decision's); a predicted drop removes every line of a kept document."""
    lines, docs = PRF(), PRF()
    for s, (labels, drop) in zip(scores, gold):
        pred_drop = s.drop >= doc_t
        docs.add([pred_drop], [drop])
        if drop:
            continue
        pred = [True] * len(labels) if pred_drop else (s.remove >= line_t).tolist()
        lines.add(pred, labels)
    return {"line": lines.summary(), "doc": docs.summary()}


def tune_thresholds(scores: Sequence[Scores], gold: Sequence[tuple[Sequence[int], bool]],
                    groups: Sequence[str | None] | None = None, max_false_drops: float = 0.01) -> tuple[float, float]:
    """The doc threshold with the best doc-F1 among those that drop at most `max_false_drops` of the
    pages the gold keeps (a wrongly dropped page loses all its text: precision first), then the line
    threshold with the best line-F1 — the mean of each group's when `groups` names every document's
    corpus (None: not used for the line threshold), so a corpus of short pages weighs as much as one
    of long ones."""
    grid = [round(t, 2) for t in np.arange(0.1, 0.91, 0.05)]
    kept = [s.drop for s, (_, drop) in zip(scores, gold) if not drop]

    def false_drops(t: float) -> float:
        return sum(p >= t for p in kept) / len(kept) if kept else 0.0

    allowed = [t for t in grid if false_drops(t) <= max_false_drops] or grid[-1:]
    doc_t = max(allowed, key=lambda t: (evaluate_scores(scores, gold, 0.5, t)["doc"]["f1"], -abs(t - 0.5)))
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups or [""] * len(scores)):
        if g is not None and not gold[i][1]:  # a page the gold drops has no line score
            members.setdefault(g, []).append(i)

    def line_f1(t: float) -> float:
        f1s = [evaluate_scores([scores[i] for i in idx], [gold[i] for i in idx], t, doc_t)["line"]["f1"]
               for idx in members.values()]
        return float(np.mean(f1s)) if f1s else evaluate_scores(scores, gold, t, doc_t)["line"]["f1"]

    line_t = max(grid, key=lambda t: (line_f1(t), -abs(t - 0.5)))
    return line_t, doc_t


def train_tagger(
    train_docs: Sequence[TaggedDoc],
    val_docs: Sequence[TaggedDoc],
    out_dir: str | Path,
    config: TaggerConfig | None = None,
    settings: TrainSettings | None = None,
    encoder: LineEncoder | None = None,
    cache_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    corpus_of: Callable[[TaggedDoc], str] | None = None,
) -> TrainReport:
    """Embed the documents' lines, compute their features, fit a tagger (`fit`), save it and its
    report to `out_dir`."""
    config = config or TaggerConfig()
    if not train_docs or not val_docs:
        raise ValueError("training needs both training and validation documents")
    if encoder is None:
        encoder = LineEncoder(config.encoder, layers=config.encoder_layers, max_tokens=config.max_tokens)
    config.embed_dim = encoder.dim
    t0 = time.perf_counter()
    train_emb = embed_docs(train_docs, encoder, cache_dir)
    val_emb = embed_docs(val_docs, encoder, cache_dir)
    embed_s = time.perf_counter() - t0
    log(f"embedded the lines of {len(train_docs) + len(val_docs)} documents in {embed_s:.0f}s")
    train_feats = doc_features(train_docs, config, corpus_of)
    val_feats = doc_features(val_docs, config, corpus_of)
    model, report = fit(train_docs, train_emb, train_feats, val_docs, val_emb, val_feats, config, settings, log)
    report.embed_seconds = round(embed_s, 1)
    model.save(out_dir)
    (Path(out_dir) / "train_report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return report


def fit(
    train_docs: Sequence[TaggedDoc],
    train_emb: Sequence[np.ndarray],
    train_feats: Sequence[np.ndarray],
    val_docs: Sequence[TaggedDoc],
    val_emb: Sequence[np.ndarray],
    val_feats: Sequence[np.ndarray],
    config: TaggerConfig,
    settings: TrainSettings | None = None,
    log: Callable[[str], None] = print,
) -> tuple[LineTagger, TrainReport]:
    """Fit on embedded documents, stop early on validation line-F1 (+ half doc-F1), tune thresholds."""
    settings = settings or TrainSettings()
    with _torch_threads(settings.threads):
        return _fit(train_docs, train_emb, train_feats, val_docs, val_emb, val_feats, config, settings, log)


@contextmanager
def _torch_threads(threads: int):
    """torch's thread count set to `threads` for a block, then put back."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit(train_docs, train_emb, train_feats, val_docs, val_emb, val_feats, config: TaggerConfig,
         settings: TrainSettings, log):
    torch.manual_seed(settings.seed)
    torch.use_deterministic_algorithms(True)
    config.embed_dim = int(train_emb[0].shape[1])
    train_ex = _windows(train_docs, train_emb, train_feats, settings.window)
    val_ex = _windows(val_docs, val_emb, val_feats, 10**9)
    val_gold = [(d.labels, d.drop) for d, e in zip(val_docs, val_emb) if len(e)]
    model = LineTagger(config)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    rng = np.random.default_rng(settings.seed)
    report = TrainReport(
        train_docs=len(train_docs), val_docs=len(val_docs), train_lines=sum(len(e[0]) for e in train_ex),
        distinct_lines=len({line for d in train_docs for line in d.bodies}), params=model.n_params(),
        epochs_run=0, best_epoch=0, steps=0,
    )
    best, best_state, stale = -1.0, None, 0
    t1 = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        model.train()
        total, batches = 0.0, 0
        for idx in _length_buckets(train_ex, settings.batch_docs, rng):
            batch = _to_tensors([train_ex[i] for i in idx])
            loss = _loss(model, batch, settings)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total, batches = total + loss.item(), batches + 1
            report.steps += 1
            if settings.max_steps and report.steps >= settings.max_steps:
                break
        report.losses.append(round(total / max(batches, 1), 5))
        report.epochs_run = epoch
        val = evaluate_scores(_score_embedded(model, val_ex, settings.batch_docs), val_gold, 0.5, 0.5)
        score = val["line"]["f1"] + 0.5 * val["doc"]["f1"]
        log(f"epoch {epoch}: loss {report.losses[-1]:.4f}  val line-F1 {val['line']['f1']:.4f}  doc-F1 {val['doc']['f1']:.4f}")
        if score > best:
            best, stale, report.best_epoch = score, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if stale >= settings.patience or (settings.max_steps and report.steps >= settings.max_steps):
            break
    model.load_state_dict(best_state)
    model.eval()
    report.train_seconds = round(time.perf_counter() - t1, 1)
    val_scores = _choose_thresholds(model, val_docs, val_emb, val_ex, settings)
    report.line_threshold, report.doc_threshold = config.line_threshold, config.doc_threshold
    report.val = evaluate_scores(val_scores, val_gold, config.line_threshold, config.doc_threshold)
    model.config = config
    return model, report


def retune(model_dir: str | Path, val_docs: Sequence[TaggedDoc], settings: TrainSettings,
           corpus_of: Callable[[TaggedDoc], str] | None = None) -> tuple[float, float]:
    """Choose a trained tagger's thresholds again on validation documents (as `fit` does after
    training), and save them in its config: a new threshold rule without retraining the network."""
    model = LineTagger.load(model_dir)
    config = model.config
    encoder = LineEncoder(config.encoder, layers=config.encoder_layers, max_tokens=config.max_tokens)
    val_emb = embed_docs(val_docs, encoder)
    val_ex = _windows(val_docs, val_emb, doc_features(val_docs, config, corpus_of), 10**9)
    with _torch_threads(settings.threads):
        _choose_thresholds(model, val_docs, val_emb, val_ex, settings)
    model.save_config(model_dir)
    return config.line_threshold, config.doc_threshold


def _choose_thresholds(model: LineTagger, val_docs, val_emb, val_ex: list[tuple], settings: TrainSettings) -> list[Scores]:
    """Set `model.config`'s thresholds from the validation documents (`tune_thresholds`, grouped by
    `settings.group_of`); returns the validation scores."""
    scored = [d for d, e in zip(val_docs, val_emb) if len(e)]  # `_windows` leaves out documents without lines
    gold = [(d.labels, d.drop) for d in scored]
    groups = [settings.group_of(d) for d in scored] if settings.group_of else None
    scores = _score_embedded(model, val_ex, settings.batch_docs)
    model.config.line_threshold, model.config.doc_threshold = tune_thresholds(scores, gold, groups)
    return scores


def split_validation(docs: Sequence[TaggedDoc], fraction: float, seed: int) -> tuple[list, list]:
    """A seeded shuffle cut into (training, validation); validation gets at least one document."""
    order = np.random.default_rng(seed).permutation(len(docs))
    n_val = min(max(1, round(len(docs) * fraction)), len(docs) - 1)
    return [docs[i] for i in order[n_val:]], [docs[i] for i in order[:n_val]]
