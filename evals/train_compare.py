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
from evals.paths import shown_path
from evals.stats_ci import minimum_detectable_effect, paired_difference, summarize
from refine.io import COMPRESSION_EXTENSIONS, JSONL_EXTENSIONS, PARQUET_EXTENSIONS, InputError

BASELINE = "raw"
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


def name_corpora(specs: list[str]) -> dict[str, str]:
    """REFINED arguments as {name: path}: `NAME=PATH`, or a bare path (named `refined` when it is the only
    one, else after its file or directory name). Names key the metrics (`loss/NAME_heldout`)."""
    named: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not NAME_RE.fullmatch(name) or Path(spec).exists():
            name, path = ("refined" if len(specs) == 1 else Path(spec.rstrip("/")).name.split(".")[0]), spec
        if not NAME_RE.fullmatch(name):
            raise InputError(f"cannot name the corpus {spec!r}: give it as NAME=PATH (NAME: letters, digits, _ or -)")
        if name in named or name == BASELINE:
            raise InputError(f"two corpora are named {name!r} ({'RAW' if name == BASELINE else named[name]!r} and "
                             f"{spec!r}): give them distinct names as NAME=PATH")
        named[name] = path
    if not named:
        raise InputError("give at least one refined corpus to compare with RAW")
    return named


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
    ceiling: str | None = None  # the corpus that stands for ideal refinement (e.g. gold main text)

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


def prepare(raw_spec: str, refined_specs: dict[str, str], cfg: TrainCompareConfig,
            log: Callable[[str], None]) -> Prepared:
    corpora = {BASELINE: read_raw(raw_spec, cfg.text_field, cfg.id_field)}
    paths = {BASELINE: raw_spec, **refined_specs}
    for name, spec in refined_specs.items():
        corpora[name] = read_refined(spec, cfg.text_field, cfg.id_field)
        if not any(t.strip() for t in corpora[name].texts.values()):
            raise InputError(f"{spec!r} holds no non-empty documents")
    splits = {name: split_heldout(c.texts, cfg.heldout) for name, c in corpora.items()}
    for name, (train, heldout) in splits.items():
        if not train or not heldout:
            raise InputError(f"the {name} corpus has {len(train)} training and {len(heldout)} held-out documents "
                             f"at --heldout {cfg.heldout}; give more documents or a larger --heldout")
    reference = read_reference(cfg.reference, cfg.text_field, cfg.id_field) if cfg.reference else None

    log(f"training the tokenizer (vocabulary {cfg.vocab_size}) on the {len(splits)} training splits")
    tokenizer = lm.build_tokenizer(_sample_for_tokenizer([train for train, _ in splits.values()],
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
            "path": shown_path(paths[name]),
            "documents": len(corpora[name].texts),
            "train_documents": len(train), "heldout_documents": len(heldout),
            "train_tokens": available, "heldout_tokens_scored": eval_blocks[f"{name}_heldout"].numel(),
            "epochs": cfg.steps * cfg.seq_len * cfg.batch_size / available,
        }
    if reference is not None:
        eval_blocks["reference"] = lm.to_blocks(lm.encode_stream(tokenizer, reference, cfg.max_eval_tokens),
                                                cfg.seq_len)
        info["reference"] = {"path": shown_path(cfg.reference), "documents": len(reference),
                             "tokens_scored": eval_blocks["reference"].numel()}
    for name, blocks in eval_blocks.items():
        if blocks.shape[0] == 0:
            raise InputError(f"the {name} set is shorter than one --seq-len {cfg.seq_len} sequence")
    info["tokenizer"] = {"vocab_size": len(tokenizer),
                         "kind": f"byte-level BPE, trained on the {len(splits)} training splits"}
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
        row = {}
        for name, blocks in prep.eval_blocks.items():
            scored = lm.perplexity(model, blocks)
            row[f"loss/{name}"], row[f"ppl/{name}"] = scored["loss"], scored["ppl"]
        return row

    curve = lm.train(model, prep.train_blocks[corpus], settings, seed, on_eval)
    final = {k: v for k, v in curve[-1].items() if k.startswith(("loss/", "ppl/"))}
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
    return "lower" if metric.startswith(("loss/", "ppl/")) else "higher"


def gap_closed(metric: str, raw: list[float], variant: list[float], ceiling: list[float]) -> dict | None:
    """The variant's share of the raw → ceiling gap, per seed (0: no better than raw, 1: as good as the
    ceiling), with a paired t interval over seeds; None where the gap is zero for some seed."""
    gaps = [c - r for r, c in zip(raw, ceiling)]
    if any(g == 0 for g in gaps):
        return None
    shares = [(v - r) / g for r, v, g in zip(raw, variant, gaps)]
    d = paired_difference([0.0] * len(shares), shares).to_dict()
    return {"share": d["diff"], "low": d["low"], "high": d["high"], "per_seed": shares}


def aggregate(runs: list[dict], seeds: list[int], names: list[str], ceiling: str | None = None
              ) -> tuple[list[dict], dict]:
    """Per final metric: mean ± sd per corpus, each variant − raw (paired by seed) with its minimum
    detectable effect, and the share of the gap to `ceiling`; mean curves per corpus."""
    by = {(r["corpus"], r["seed"]): r for r in runs}
    keys = sorted({k for r in runs for k in r["final"]},
                  key=lambda k: (not k.startswith("loss/"), not k.startswith("ppl/"), k))
    variants = [n for n in names if n != BASELINE]
    metrics = []
    for key in keys:
        values = {c: [by[c, s]["final"].get(key) for s in seeds] for c in names}
        if any(v is None for vs in values.values() for v in vs):
            continue
        metric = {"metric": key, "better": better_direction(key),
                  **{c: summarize(values[c]).to_dict() for c in names},
                  "per_seed": values, "differences": {}}
        for c in variants:
            diff = paired_difference(values[BASELINE], values[c]).to_dict()
            sd = summarize([b - a for a, b in zip(values[BASELINE], values[c])]).sd
            diff["sd"] = sd
            diff["mde"] = minimum_detectable_effect(sd, len(seeds)) if len(seeds) > 1 else None
            metric["differences"][c] = diff
        if ceiling and ceiling in names and not key.startswith("ppl/"):
            metric["gap_closed"] = {c: gap_closed(key, values[BASELINE], values[c], values[ceiling])
                                    for c in variants if c != ceiling}
        metrics.append(metric)
    curves: dict[str, dict[str, list[dict]]] = {}
    curve_keys = [k for k in runs[0]["curve"][0] if k.startswith(("loss/", "ppl/")) or k == "train_loss"]
    for key in curve_keys:
        curves[key] = {}
        for c in names:
            points = []
            for i, row in enumerate(by[c, seeds[0]]["curve"]):
                vals = [by[c, s]["curve"][i][key] for s in seeds]
                if any(v is None for v in vals):
                    continue
                s = summarize(vals)
                points.append({"step": row["step"], "tokens": row["tokens"], "mean": s.mean, "sd": s.sd})
            curves[key][c] = points
    return metrics, curves


def compare(raw_spec: str, refined: str | dict[str, str], cfg: TrainCompareConfig,
            log: Callable[[str], None] = lambda message: None) -> dict:
    """Train and score every (corpus, seed) run; every number of the report, as a dict. `refined` is one
    corpus (named `refined`) or {name: corpus}."""
    cfg.check()
    refined_specs = {"refined": refined} if isinstance(refined, str) else dict(refined)
    names = [BASELINE, *refined_specs]
    if cfg.ceiling is not None and cfg.ceiling not in refined_specs:
        raise ValueError(f"--ceiling {cfg.ceiling!r} names no refined corpus; the corpora are "
                         f"{', '.join(refined_specs)}")
    tasks, named = resolve_tasks(cfg.tasks)
    tasks = [t.limited(cfg.task_limit) for t in tasks]
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    try:
        prep = prepare(raw_spec, refined_specs, cfg, log)
        params = lm.parameter_count(lm.new_model(prep.tokenizer, cfg.model_size, 0))
        log(f"{cfg.seeds} seed(s) × {len(names)} corpora, {cfg.steps} steps of {cfg.batch_size}×{cfg.seq_len} "
            f"tokens, {params:,}-parameter model")
        runs = []
        for seed in range(cfg.seeds):
            for corpus in names:
                run = run_one(prep, corpus, seed, cfg, tasks, named)
                runs.append(run)
                shown = ", ".join(f"{k} {v:.4g}" for k, v in run["final"].items() if k.startswith("loss/"))
                log(f"seed {seed} {corpus}: {shown} ({run['seconds']} s)")
    finally:
        torch.set_num_threads(previous_threads)
    metrics, curves = aggregate(runs, list(range(cfg.seeds)), names, cfg.ceiling)
    size = lm.MODEL_SIZES[cfg.model_size]
    notes = [f"the {name} training split ({info['train_tokens']:,} tokens) was repeated "
             f"{info['epochs']:.2f} times to reach the budget of {cfg.steps * cfg.batch_size * cfg.seq_len:,} tokens"
             for name, info in prep.info["corpora"].items() if info["epochs"] > 1.0]
    config = asdict(cfg)
    config["tasks"] = [shown_path(t) for t in cfg.tasks]
    config["reference"] = shown_path(cfg.reference) if cfg.reference else None
    return {
        "kind": "refine eval train",
        "raw": shown_path(raw_spec),
        "refined": {name: shown_path(spec) for name, spec in refined_specs.items()},
        "corpus_names": names,
        "config": config,
        "steps": cfg.steps, "tokens_per_step": cfg.batch_size * cfg.seq_len,
        "tokens_trained": cfg.steps * cfg.batch_size * cfg.seq_len,
        "model": {"size": cfg.model_size, "parameters": params, "hidden": size.hidden, "layers": size.layers,
                  "heads": size.heads, "arch": "llama"},
        **prep.info,
        "tasks": [{"name": t.name, "items": len(t.items), "chance": chance(t), "source": shown_path(t.source)}
                  for t in tasks] + [{"name": n, "lm_eval": True} for n in named],
        "metrics": metrics,
        "curves": curves,
        "runs": runs,
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
        "threads": cfg.threads,
    }
