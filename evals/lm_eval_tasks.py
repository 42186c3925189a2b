"""Multiple-choice tasks scored by log-likelihood, as lm-eval scores them, without needing lm-eval.

A task is an lm-eval YAML config (`output_type: multiple_choice`, `dataset_path: json` + `data_files`,
`doc_to_text` / `doc_to_choice` / `doc_to_target` naming fields); the shipped suite is `evals/tasks/`.
Each choice is scored as the summed log-probability of `target_delimiter + choice` after the context,
encoded like lm-eval (context and whole string encoded, the continuation is the difference); `acc`
takes the best sum, `acc_norm` the best sum per character of the choice. Named lm-eval tasks (which
need a hub or a cache) go through lm-eval itself: `run_lm_eval`, an optional dependency.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

SHIPPED_TASKS = Path(__file__).resolve().parent / "tasks"
_TEMPLATE_FIELD = re.compile(r"^\{\{\s*(\w+)\s*\}\}$")


class TaskError(ValueError):
    """A task config this loader cannot use; the message names the file and what to change."""


@dataclass(frozen=True)
class McItem:
    query: str
    choices: tuple[str, ...]
    gold: int


@dataclass(frozen=True)
class McTask:
    name: str
    items: tuple[McItem, ...]
    delimiter: str = " "
    source: str = ""

    def limited(self, limit: int | None) -> "McTask":
        return self if limit is None else McTask(self.name, self.items[:limit], self.delimiter, self.source)


# --------------------------------------------------------------------------------------------------
# Loading


def _field(config: dict, key: str, path: Path) -> str:
    value = config.get(key)
    if not isinstance(value, str):
        raise TaskError(f"{path}: {key} must name a field of the data (e.g. `{key}: query`), got {value!r}")
    match = _TEMPLATE_FIELD.match(value.strip())
    return match.group(1) if match else value.strip()


def _data_file(config: dict, path: Path) -> Path:
    split = config.get("test_split") or config.get("validation_split")
    files = (config.get("dataset_kwargs") or {}).get("data_files")
    if isinstance(files, dict):
        name = files.get(split)
    elif isinstance(files, (str, list)):
        name = files if isinstance(files, str) else files[0]
    else:
        name = None
    if not isinstance(name, str):
        raise TaskError(f"{path}: dataset_kwargs.data_files must give the {split!r} split's file")
    candidate = Path(name)
    if candidate.is_absolute():
        return candidate
    # lm-eval resolves data_files against the working directory; so do we, then against every folder
    # above the YAML (the shipped configs name paths from the repository root).
    for base in (Path.cwd(), *path.resolve().parents):
        if (base / candidate).is_file():
            return base / candidate
    raise TaskError(f"{path}: data file {name!r} not found from the working directory or above the config")


def load_task(path: str | Path) -> McTask:
    """One multiple-choice task from its lm-eval YAML config (local JSON/JSONL data only)."""
    import yaml

    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise TaskError(f"{path}: cannot read the task config: {e}") from e
    if not isinstance(config, dict) or "task" not in config:
        raise TaskError(f"{path}: not an lm-eval task config (no `task:` key)")
    if config.get("output_type") != "multiple_choice":
        raise TaskError(f"{path}: only output_type: multiple_choice runs without lm-eval "
                        "(pip install lm-eval and name the task instead)")
    if config.get("dataset_path") not in ("json", "jsonl"):
        raise TaskError(f"{path}: only dataset_path: json with local data_files runs without lm-eval")
    text, choice, target = (_field(config, k, path) for k in ("doc_to_text", "doc_to_choice", "doc_to_target"))
    data = _data_file(config, path)
    items = []
    with data.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            doc = json.loads(line)
            try:
                choices = tuple(str(c) for c in doc[choice])
                gold = doc[target]
                gold = choices.index(gold) if isinstance(gold, str) else int(gold)
                items.append(McItem(str(doc[text]), choices, gold))
            except (KeyError, ValueError, TypeError) as e:
                raise TaskError(f"{data}:{n}: cannot read an item ({e!r})") from e
    return McTask(str(config["task"]), tuple(items), str(config.get("target_delimiter", " ")), str(path))


def load_task_dir(directory: str | Path) -> list[McTask]:
    """Every task config (*.yaml) in a directory, by file name."""
    directory = Path(directory)
    paths = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not paths:
        raise TaskError(f"{directory}: no task configs (*.yaml)")
    return [load_task(p) for p in paths]


def resolve_tasks(specs: Sequence[str]) -> tuple[list[McTask], list[str]]:
    """Local tasks (a directory of configs, or one config file) and the names left for lm-eval."""
    local: list[McTask] = []
    named: list[str] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            local.extend(load_task_dir(path))
        elif path.suffix in (".yaml", ".yml") and path.is_file():
            local.append(load_task(path))
        else:
            named.append(spec)
    return local, named


# --------------------------------------------------------------------------------------------------
# Scoring


def encode_pair(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """lm-eval's split: trailing spaces of the context move to the continuation, then the continuation's
    tokens are what encoding the whole adds after the context's tokens."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        continuation = context[-spaces:] + continuation
        context = context[:-spaces]
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"]
    return ctx, whole[len(ctx):]


@torch.no_grad()
def loglikelihoods(model, requests: Sequence[tuple[list[int], list[int]]], max_len: int, pad_id: int,
                   batch_size: int = 32) -> list[float]:
    """Summed log-probability of each continuation given its context, truncated on the left to `max_len`."""
    model.eval()
    rows = [(ctx + cont)[-(max_len + 1):] for ctx, cont in requests]  # inputs are rows[i][:-1]
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    out = [0.0] * len(rows)
    for lo in range(0, len(order), batch_size):
        idx = order[lo:lo + batch_size]
        inputs = torch.full((len(idx), len(rows[idx[0]]) - 1), pad_id, dtype=torch.long)
        for r, i in enumerate(idx):
            inputs[r, :len(rows[i]) - 1] = torch.tensor(rows[i][:-1])
        logprobs = torch.log_softmax(model(input_ids=inputs).logits.float(), dim=-1)
        for r, i in enumerate(idx):
            n_cont = min(len(requests[i][1]), len(rows[i]) - 1)
            if n_cont == 0:
                continue
            # logits at position p predict token p + 1: the continuation's are the last n_cont inputs'
            positions = torch.arange(len(rows[i]) - 1 - n_cont, len(rows[i]) - 1)
            out[i] = logprobs[r, positions, torch.tensor(rows[i][-n_cont:])].sum().item()
    return out


def score_task(model, tokenizer, task: McTask, max_len: int, batch_size: int = 32) -> dict:
    """acc and acc_norm of `model` on `task` (each in [0, 1]) and the item count."""
    if not task.items:
        return {"acc": None, "acc_norm": None, "n": 0}
    requests, spans = [], []
    for item in task.items:
        start = len(requests)
        for choice in item.choices:
            requests.append(encode_pair(tokenizer, item.query, task.delimiter + choice))
        spans.append((start, len(requests)))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    lls = loglikelihoods(model, requests, max_len, pad_id, batch_size)
    hits = hits_norm = 0
    for item, (lo, hi) in zip(task.items, spans):
        scores = lls[lo:hi]
        normed = [s / max(1, len(c)) for s, c in zip(scores, item.choices)]
        hits += max(range(len(scores)), key=scores.__getitem__) == item.gold
        hits_norm += max(range(len(normed)), key=normed.__getitem__) == item.gold
    n = len(task.items)
    return {"acc": hits / n, "acc_norm": hits_norm / n, "n": n}


def chance(task: McTask) -> float:
    """Expected accuracy of a uniform guess."""
    return sum(1.0 / len(item.choices) for item in task.items) / max(1, len(task.items))


# --------------------------------------------------------------------------------------------------
# Named tasks through lm-eval (optional)


def run_lm_eval(model, tokenizer, tasks: Sequence[str], max_len: int, limit: int | None = None,
                batch_size: int = 16, include_path: str | None = None) -> dict[str, dict]:
    """Score an in-memory model on lm-eval tasks by name: {task: {metric: value}}."""
    try:
        from lm_eval import simple_evaluate
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError as e:
        raise ImportError("named lm-eval tasks need lm-eval: pip install 'lm-eval>=0.4.13' "
                          "(or pass a task directory such as evals/tasks, which runs without it)") from e
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, max_length=max_len, device="cpu")
    results = simple_evaluate(model=lm, tasks=list(tasks), limit=limit, log_samples=False,
                              task_manager=TaskManager(include_path=include_path), verbosity="ERROR")
    out: dict[str, dict] = {}
    for task, metrics in (results or {}).get("results", {}).items():
        out[task] = {key.split(",")[0]: value for key, value in metrics.items()
                     if isinstance(value, (int, float)) and "stderr" not in key and key != "sample_len"}
    return out
