"""Did refining help a model? Train the same small LM on raw and on refined data and compare.

Both corpora get the same tokenizer (trained on the union of their training parts), the same model,
the same token budget and number of steps, and the same seeds (a seed fixes the initial weights and
the batch-order generator, so raw and refined runs are paired). A shared held-out split (chosen by id
hash, so a document held out of one corpus is held out of the other) is scored at every checkpoint,
with an optional clean reference set; multiple-choice tasks are scored at the end. Numbers are
reported as mean ± sd over seeds with the refined − raw difference and its 95% paired-t interval.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from evals import lm
from evals.corpus import read_raw, read_refined
from evals.lm_eval_tasks import SHIPPED_TASKS, McTask, chance, resolve_tasks, run_lm_eval, score_task
from evals.stats_ci import paired_difference, summarize
from refine.io import COMPRESSION_EXTENSIONS, JSONL_EXTENSIONS, PARQUET_EXTENSIONS, InputError

CORPORA = ("raw", "refined")


@dataclass
class TrainCompareConfig:
    tokens: int  # training tokens per run (the budget); a shorter corpus is repeated
    seeds: int = 3
    model_size: str = "small"
    seq_len: int = 128
    batch_size: int = 16
    eval_every: int = 0  # steps between checkpoints; 0: about 8 checkpoints
    lr: float = 2e-3
    vocab_size: int = 4096
    heldout: float = 0.05  # share of documents (by id hash) held out of training
    tasks: tuple[str, ...] = (str(SHIPPED_TASKS),)  # task dirs, task YAMLs, or lm-eval task names
    task_limit: int | None = None  # items per task
    reference: str | None = None  # a clean corpus (any format refine reads) or a .txt file
    max_eval_tokens: int = 16_384  # per held-out set and checkpoint
    tokenizer_chars: int = 4_000_000  # text the tokenizer is trained on, at most
    threads: int = 1
    text_field: str = "text"
    id_field: str = "id"

    def check(self) -> None:
        if self.tokens < self.seq_len * self.batch_size:
            raise ValueError(f"--tokens must be at least one batch ({self.seq_len * self.batch_size}), got {self.tokens}")
        for name in ("seeds", "seq_len", "batch_size", "vocab_size", "threads", "max_eval_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {getattr(self, name)}")
        if self.eval_every < 0:
            raise ValueError(f"--eval-every must be >= 0, got {self.eval_every}")
        if not 0.0 < self.heldout < 1.0:
            raise ValueError(f"--heldout must be in (0, 1), got {self.heldout}")
        if self.model_size not in lm.MODEL_SIZES:
            raise ValueError(f"--model-size must be one of {', '.join(lm.MODEL_SIZES)}, got {self.model_size!r}")

    @property
    def steps(self) -> int:
        return math.ceil(self.tokens / (self.seq_len * self.batch_size))

    @property
    def checkpoint_every(self) -> int:
        return self.eval_every or max(1, self.steps // 8)


# --------------------------------------------------------------------------------------------------
# Data


def is_heldout(doc_id: str, fraction: float) -> bool:
    """Stable across corpora and machines: the same id is held out of raw and of refined."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2 ** 64 < fraction


def split_heldout(texts: dict[str, str], fraction: float) -> tuple[list[str], list[str]]:
    """(training texts, held-out texts) in reading order; empty texts (emptied documents) are left out."""
    train, heldout = [], []
    for doc_id, text in texts.items():
        if text.strip():
            (heldout if is_heldout(doc_id, fraction) else train).append(text)
    return train, heldout


def read_reference(spec: str, text_field: str, id_field: str) -> list[str]:
    """A corpus in any format `refine run` reads, or a plain text file (one document per paragraph)."""
    path = Path(spec)
    corpus_suffixes = JSONL_EXTENSIONS + PARQUET_EXTENSIONS + COMPRESSION_EXTENSIONS
    if path.is_file() and not path.name.lower().endswith(corpus_suffixes):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"--reference {spec!r}: cannot read it as UTF-8 text: {e}") from e
        return [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [t for t in read_raw(spec, text_field, id_field).texts.values() if t.strip()]


def _sample_for_tokenizer(parts: list[list[str]], max_chars: int) -> list[str]:
    """Documents taken in turn from each corpus, so that both shape the tokenizer, up to `max_chars`."""
    out, used = [], 0
    for group in itertools.zip_longest(*parts):
        for text in group:
            if text is None:
                continue
            if used >= max_chars:
                return out
            out.append(text)
            used += len(text)
    return out


@dataclass
class Prepared:
    tokenizer: object
    train_blocks: dict[str, torch.Tensor]
    eval_blocks: dict[str, torch.Tensor]
    info: dict = field(default_factory=dict)


def prepare(raw_spec: str, refined_spec: str, cfg: TrainCompareConfig, log: Callable[[str], None]) -> Prepared:
    raw = read_raw(raw_spec, cfg.text_field, cfg.id_field)
    refined = read_refined(refined_spec, cfg.text_field, cfg.id_field)
    if not any(t.strip() for t in refined.texts.values()):
        raise InputError(f"{refined_spec!r} holds no non-empty documents")
    splits = {"raw": split_heldout(raw.texts, cfg.heldout), "refined": split_heldout(refined.texts, cfg.heldout)}
    for name, (train, heldout) in splits.items():
        if not train or not heldout:
            raise InputError(f"the {name} corpus has {len(train)} training and {len(heldout)} held-out documents "
                             f"at --heldout {cfg.heldout}; give more documents or a larger --heldout")
    reference = read_reference(cfg.reference, cfg.text_field, cfg.id_field) if cfg.reference else None

    log(f"training the tokenizer (vocabulary {cfg.vocab_size}) on both training splits")
    tokenizer = lm.build_tokenizer(_sample_for_tokenizer([splits["raw"][0], splits["refined"][0]],
                                                         cfg.tokenizer_chars), cfg.vocab_size)
    train_blocks, eval_blocks, info = {}, {}, {"corpora": {}}
    for name, (train, heldout) in splits.items():
        stream = lm.encode_stream(tokenizer, train)
        train_blocks[name] = lm.to_blocks(stream, cfg.seq_len)
        if train_blocks[name].shape[0] == 0:
            raise InputError(f"the {name} training split has {stream.numel()} tokens, less than one "
                             f"--seq-len {cfg.seq_len} sequence")
        eval_blocks[f"{name}_heldout"] = lm.to_blocks(
            lm.encode_stream(tokenizer, heldout, cfg.max_eval_tokens), cfg.seq_len)
        available = train_blocks[name].numel()
        info["corpora"][name] = {
            "path": raw_spec if name == "raw" else refined_spec,
            "documents": len(raw.texts if name == "raw" else refined.texts),
            "train_documents": len(train), "heldout_documents": len(heldout),
            "train_tokens": available, "heldout_tokens_scored": eval_blocks[f"{name}_heldout"].numel(),
            "epochs": cfg.steps * cfg.seq_len * cfg.batch_size / available,
        }
    if reference is not None:
        eval_blocks["reference"] = lm.to_blocks(lm.encode_stream(tokenizer, reference, cfg.max_eval_tokens),
                                                cfg.seq_len)
        info["reference"] = {"path": cfg.reference, "documents": len(reference),
                             "tokens_scored": eval_blocks["reference"].numel()}
    for name, blocks in eval_blocks.items():
        if blocks.shape[0] == 0:
            raise InputError(f"the {name} set is shorter than one --seq-len {cfg.seq_len} sequence")
    info["tokenizer"] = {"vocab_size": len(tokenizer), "kind": "byte-level BPE, trained on both training splits"}
    return Prepared(tokenizer, train_blocks, eval_blocks, info)


# --------------------------------------------------------------------------------------------------
# Runs


def run_one(prep: Prepared, corpus: str, seed: int, cfg: TrainCompareConfig, tasks: list[McTask],
            named_tasks: list[str]) -> dict:
    """One model trained on `corpus` with `seed`: its learning curve and its final scores."""
    started = time.perf_counter()
    model = lm.new_model(prep.tokenizer, cfg.model_size, seed, max_positions=max(cfg.seq_len, 256))
    settings = lm.TrainSettings(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                                eval_every=cfg.checkpoint_every)

    def on_eval(step: int) -> dict:
        return {f"ppl/{name}": lm.perplexity(model, blocks)["ppl"] for name, blocks in prep.eval_blocks.items()}

    curve = lm.train(model, prep.train_blocks[corpus], settings, seed, on_eval)
    final = {k: v for k, v in curve[-1].items() if k.startswith("ppl/")}
    for task in tasks:
        scores = score_task(model, prep.tokenizer, task, max_len=cfg.seq_len)
        final[f"tasks/{task.name}/acc"] = scores["acc"]
        final[f"tasks/{task.name}/acc_norm"] = scores["acc_norm"]
    if named_tasks:
        # the shipped suite is on lm-eval's include path too: `--tasks refine_local` scores it through lm-eval
        for task, metrics in run_lm_eval(model, prep.tokenizer, named_tasks, cfg.seq_len, cfg.task_limit,
                                         include_path=str(SHIPPED_TASKS)).items():
            for metric, value in metrics.items():
                final[f"lm_eval/{task}/{metric}"] = value
    return {"corpus": corpus, "seed": seed, "curve": curve, "final": final,
            "seconds": round(time.perf_counter() - started, 1)}


def better_direction(metric: str) -> str:
    return "lower" if metric.startswith("ppl/") else "higher"


def aggregate(runs: list[dict], seeds: list[int]) -> tuple[list[dict], dict]:
    """Per final metric: mean ± sd per corpus and refined − raw (paired by seed); mean curves per corpus."""
    by = {(r["corpus"], r["seed"]): r for r in runs}
    names = sorted({k for r in runs for k in r["final"]}, key=lambda k: (not k.startswith("ppl/"), k))
    metrics = []
    for name in names:
        values = {c: [by[c, s]["final"].get(name) for s in seeds] for c in CORPORA}
        if any(v is None for vs in values.values() for v in vs):
            continue
        metrics.append({"metric": name, "better": better_direction(name),
                        **{c: summarize(values[c]).to_dict() for c in CORPORA},
                        "per_seed": values,
                        "difference": paired_difference(values["raw"], values["refined"]).to_dict()})
    curves: dict[str, dict[str, list[dict]]] = {}
    keys = [k for k in runs[0]["curve"][0] if k.startswith("ppl/") or k == "train_loss"]
    for key in keys:
        curves[key] = {}
        for c in CORPORA:
            points = []
            for i, row in enumerate(by[c, seeds[0]]["curve"]):
                vals = [by[c, s]["curve"][i][key] for s in seeds]
                if any(v is None for v in vals):
                    continue
                s = summarize(vals)
                points.append({"step": row["step"], "tokens": row["tokens"], "mean": s.mean, "sd": s.sd})
            curves[key][c] = points
    return metrics, curves


def compare(raw_spec: str, refined_spec: str, cfg: TrainCompareConfig,
            log: Callable[[str], None] = lambda message: None) -> dict:
    """Train and score every (corpus, seed) run; every number of the report, as a dict."""
    cfg.check()
    tasks, named = resolve_tasks(cfg.tasks)
    tasks = [t.limited(cfg.task_limit) for t in tasks]
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    try:
        prep = prepare(raw_spec, refined_spec, cfg, log)
        params = lm.parameter_count(lm.new_model(prep.tokenizer, cfg.model_size, 0))
        log(f"{cfg.seeds} seed(s) × 2 corpora, {cfg.steps} steps of {cfg.batch_size}×{cfg.seq_len} tokens, "
            f"{params:,}-parameter model")
        runs = []
        for seed in range(cfg.seeds):
            for corpus in CORPORA:
                run = run_one(prep, corpus, seed, cfg, tasks, named)
                runs.append(run)
                shown = ", ".join(f"{k} {v:.4g}" for k, v in run["final"].items() if k.startswith("ppl/"))
                log(f"seed {seed} {corpus}: {shown} ({run['seconds']} s)")
    finally:
        torch.set_num_threads(previous_threads)
    metrics, curves = aggregate(runs, list(range(cfg.seeds)))
    size = lm.MODEL_SIZES[cfg.model_size]
    notes = [f"the {name} training split ({info['train_tokens']:,} tokens) was repeated "
             f"{info['epochs']:.2f} times to reach the budget of {cfg.steps * cfg.batch_size * cfg.seq_len:,} tokens"
             for name, info in prep.info["corpora"].items() if info["epochs"] > 1.0]
    return {
        "kind": "refine eval train",
        "raw": raw_spec, "refined": refined_spec,
        "config": asdict(cfg),
        "steps": cfg.steps, "tokens_per_step": cfg.batch_size * cfg.seq_len,
        "tokens_trained": cfg.steps * cfg.batch_size * cfg.seq_len,
        "model": {"size": cfg.model_size, "parameters": params, "hidden": size.hidden, "layers": size.layers,
                  "heads": size.heads, "arch": "llama"},
        **prep.info,
        "tasks": [{"name": t.name, "items": len(t.items), "chance": chance(t), "source": t.source} for t in tasks]
                 + [{"name": n, "lm_eval": True} for n in named],
        "metrics": metrics,
        "curves": curves,
        "runs": runs,
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
        "threads": cfg.threads,
    }
