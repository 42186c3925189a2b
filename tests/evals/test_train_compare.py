"""`refine eval train`: the shipped task suite, log-likelihood scoring, the held-out split, and a micro
comparison end to end through the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from evals import lm
from evals.lm_eval_tasks import (SHIPPED_TASKS, McItem, McTask, TaskError, encode_pair, load_task, load_task_dir,
                                 loglikelihoods, score_task)
from evals.train_compare import is_heldout, split_heldout

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny():
    texts = [json.loads(line)["text"] for line in SAMPLE.read_text().splitlines()]
    tokenizer = lm.build_tokenizer(texts, vocab_size=300)
    return lm.new_model(tokenizer, "tiny", seed=0, max_positions=256), tokenizer


def test_shipped_tasks_load_and_are_small():
    tasks = load_task_dir(SHIPPED_TASKS)
    assert [t.name for t in tasks] == ["refine_cloze", "refine_next_sentence"]
    for task in tasks:
        assert len(task.items) == 400 and task.delimiter == " "
        assert all(len(item.choices) == 4 and 0 <= item.gold < 4 for item in task.items)
        assert all(len(set(item.choices)) == 4 for item in task.items)
    assert sum(p.stat().st_size for p in SHIPPED_TASKS.glob("*.jsonl")) < 1_000_000


def test_loader_rejects_what_it_cannot_score(tmp_path):
    config = tmp_path / "gen.yaml"
    config.write_text("task: gen\noutput_type: generate_until\ndataset_path: json\n")
    with pytest.raises(TaskError, match="multiple_choice"):
        load_task(config)
    missing = tmp_path / "mc.yaml"
    missing.write_text("task: mc\noutput_type: multiple_choice\ndataset_path: json\ntest_split: test\n"
                       "dataset_kwargs:\n  data_files:\n    test: nowhere.jsonl\n"
                       "doc_to_text: q\ndoc_to_choice: c\ndoc_to_target: g\n")
    with pytest.raises(TaskError, match="not found"):
        load_task(missing)


def test_encode_pair_moves_trailing_space_to_the_continuation(tiny):
    _, tokenizer = tiny
    ctx, cont = encode_pair(tokenizer, "The cat sat on the ", "mat")
    assert tokenizer.decode(ctx) == "The cat sat on the"
    assert tokenizer.decode(cont) == " mat"


def test_loglikelihood_equals_the_direct_sum(tiny):
    model, tokenizer = tiny
    ctx, cont = encode_pair(tokenizer, "Cookies help us deliver", " our services")
    (batched,) = loglikelihoods(model, [(ctx, cont)], max_len=64, pad_id=0)
    ids = torch.tensor([ctx + cont])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(input_ids=ids).logits[0], dim=-1)
    direct = sum(logprobs[len(ctx) - 1 + i, tok].item() for i, tok in enumerate(cont))
    assert batched == pytest.approx(direct, abs=1e-4)
    # padding other rows of a batch does not change a row's score
    longer = encode_pair(tokenizer, "A much longer context that pads the shorter one in its batch", " here")
    assert loglikelihoods(model, [longer, (ctx, cont)], max_len=64, pad_id=0)[1] == pytest.approx(batched, abs=1e-4)


def test_scoring_is_bounded_and_deterministic(tiny):
    model, tokenizer = tiny
    for task in load_task_dir(SHIPPED_TASKS):
        task = task.limited(12)
        first = score_task(model, tokenizer, task, max_len=64)
        assert first == score_task(model, tokenizer, task, max_len=64)
        assert first["n"] == 12 and 0.0 <= first["acc"] <= 1.0 and 0.0 <= first["acc_norm"] <= 1.0
    # a choice that repeats the context verbatim wins for a model that copies nothing: the score is real
    sure = McTask("sure", (McItem("abc abc abc abc", ("abc", "zq#", "x7@", "~~~"), 0),))
    assert score_task(model, tokenizer, sure, max_len=64)["n"] == 1


def test_batches_have_the_batch_size_and_repeat_by_whole_epochs():
    blocks = torch.arange(10 * 4).view(10, 4)  # 10 rows, row i starts with 4 * i
    got = list(lm.batches(blocks, batch_size=4, steps=5, seed=0))  # 20 rows: two epochs
    assert [b.shape for b in got] == [torch.Size([4, 4])] * 5
    rows = [int(r[0]) // 4 for b in got for r in b]
    assert sorted(rows[:10]) == sorted(rows[10:]) == list(range(10))  # each epoch sees every row once
    assert rows[:10] != rows[10:]  # in a fresh order
    assert [b.tolist() for b in lm.batches(blocks, 4, 5, seed=0)] == [b.tolist() for b in got]


def test_heldout_split_is_shared_by_id():
    ids = [f"doc-{i}" for i in range(400)]
    held = [i for i in ids if is_heldout(i, 0.1)]
    assert 20 < len(held) < 60  # about 10%
    raw = {i: f"raw {i}" for i in ids}
    refined = {i: f"refined {i}" for i in ids if i != ids[0]}
    refined[ids[1]] = "   "  # emptied by the refiner: neither trained on nor scored
    _, raw_held = split_heldout(raw, 0.1)
    _, refined_held = split_heldout(refined, 0.1)
    assert {t.split()[1] for t in refined_held} <= {t.split()[1] for t in raw_held}


def _corpora(tmp_path: Path) -> tuple[Path, Path]:
    """Raw: the sample pages; refined: the same ids with short lines (menus, buttons) removed."""
    raw_rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in raw_rows))
    refined = tmp_path / "refined.jsonl"
    with refined.open("w") as f:
        for r in raw_rows:
            text = "\n".join(line for line in r["text"].splitlines() if len(line.split()) >= 6)
            f.write(json.dumps({"id": r["id"], "text": text}) + "\n")
    return raw, refined


def test_micro_eval_train_end_to_end(tmp_path):
    raw, refined = _corpora(tmp_path)
    reference = tmp_path / "reference.txt"
    reference.write_text("\n\n".join(json.loads(line)["text"] for line in SAMPLE.read_text().splitlines()[:6]))
    out = tmp_path / "report"
    result = runner.invoke(app, ["eval", "train", str(raw), str(refined), "-o", str(out), "--tokens", "2048",
                                 "--seeds", "2", "--model-size", "tiny", "--seq-len", "32", "--batch-size", "8",
                                 "--vocab-size", "300", "--heldout", "0.2", "--eval-every", "4",
                                 "--task-limit", "6", "--reference", str(reference)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 8 and report["config"]["seeds"] == 2
    assert report["command"].startswith("refine eval train")
    names = {m["metric"] for m in report["metrics"]}
    assert {"ppl/raw_heldout", "ppl/refined_heldout", "ppl/reference", "tasks/refine_cloze/acc",
            "tasks/refine_next_sentence/acc_norm"} <= names
    for m in report["metrics"]:
        assert m["raw"]["n"] == m["refined"]["n"] == 2
        d = m["differences"]["refined"]
        assert d["method"] == "paired-t" and d["low"] <= d["diff"] <= d["high"]
        assert d["diff"] == pytest.approx(m["refined"]["mean"] - m["raw"]["mean"])
    curve = report["curves"]["ppl/reference"]["raw"]
    assert [p["step"] for p in curve] == [4, 8] and all(math.isfinite(p["mean"]) for p in curve)
    assert len(report["runs"]) == 4 and {r["corpus"] for r in report["runs"]} == {"raw", "refined"}
    assert report["corpora"]["refined"]["train_tokens"] < report["corpora"]["raw"]["train_tokens"]
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 4 and "− raw" in (out / "report.md").read_text()
    # no machine path in what a report records: the corpora by name, shipped tasks relative to the checkout
    for text in ((out / "report.json").read_text(), (out / "report.md").read_text(), html):
        assert str(tmp_path) not in text and str(REPO) not in text
    assert report["raw"] == "raw.jsonl" and report["config"]["tasks"] == ["evals/tasks"]


def test_eval_train_rejects_bad_input(tmp_path):
    raw, refined = _corpora(tmp_path)
    result = runner.invoke(app, ["eval", "train", str(raw), str(refined), "-o", str(tmp_path / "r"),
                                 "--tokens", "10", "--model-size", "tiny"])
    assert result.exit_code == 2 and "--tokens" in result.output
    result = runner.invoke(app, ["eval", "train", str(raw), str(tmp_path / "missing.jsonl"), "-o",
                                 str(tmp_path / "r"), "--tokens", "4096"])
    assert result.exit_code == 2 and "missing.jsonl" in result.output


def test_refined_corpora_are_named_and_names_are_checked(tmp_path):
    from evals.train_compare import name_corpora
    from refine.io import InputError

    assert name_corpora(["out/rules"]) == {"refined": "out/rules"}
    assert name_corpora(["rules=out/r", "gold=g.jsonl"]) == {"rules": "out/r", "gold": "g.jsonl"}
    assert name_corpora(["out/rules/", "data/gold.jsonl"]) == {"rules": "out/rules/", "gold": "data/gold.jsonl"}
    odd = tmp_path / "a=b.jsonl"  # an existing path with "=" in it is a path, and needs a name
    odd.write_text("")
    with pytest.raises(InputError, match="NAME=PATH"):
        name_corpora([str(odd), "x=y"])
    assert name_corpora([f"odd={odd}", "x=y"]) == {"odd": str(odd), "x": "y"}
    with pytest.raises(InputError, match="distinct names"):
        name_corpora(["a=x", "a=y"])
    with pytest.raises(InputError, match="distinct names"):
        name_corpora(["raw=x", "b=y"])


def test_paths_shown_in_reports_are_relative_or_named(tmp_path, monkeypatch):
    from evals.paths import shown_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    assert shown_path(str(tmp_path / "data" / "raw.jsonl")) == "data/raw.jsonl"
    assert shown_path(str(SHIPPED_TASKS)) == "evals/tasks"
    assert shown_path("/somewhere/else/refined/") == "refined"
    assert shown_path("rel/path.jsonl") == "rel/path.jsonl" and shown_path("s3://b/k.jsonl") == "s3://b/k.jsonl"


def test_several_variants_against_raw_with_a_ceiling(tmp_path):
    """Raw vs two variants and a ceiling: every variant paired with raw, MDEs, gap shares, one report."""
    raw, refined = _corpora(tmp_path)
    gold = tmp_path / "gold.jsonl"
    with gold.open("w") as f:
        for line in refined.read_text().splitlines():
            r = json.loads(line)
            f.write(json.dumps({"id": r["id"], "text": "\n".join(r["text"].splitlines()[1:])}) + "\n")
    out = tmp_path / "report"
    result = runner.invoke(app, ["eval", "train", str(raw), f"short={refined}", f"gold={gold}", "-o", str(out),
                                 "--ceiling", "gold", "--tokens", "1024", "--seeds", "3", "--model-size", "tiny",
                                 "--seq-len", "32", "--batch-size", "8", "--vocab-size", "300", "--heldout", "0.2",
                                 "--task-limit", "4"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["corpus_names"] == ["raw", "short", "gold"] and len(report["runs"]) == 9
    by = {m["metric"]: m for m in report["metrics"]}
    m = by["loss/gold_heldout"]
    assert set(m["differences"]) == {"short", "gold"}
    for name, d in m["differences"].items():
        diffs = [b - a for a, b in zip(m["per_seed"]["raw"], m["per_seed"][name])]
        assert d["diff"] == pytest.approx(sum(diffs) / 3) and d["mde"] > 0 and d["low"] <= d["diff"] <= d["high"]
    gap = m["gap_closed"]["short"]
    expected = [(r - s) / (r - g) for r, s, g in zip(m["per_seed"]["raw"], m["per_seed"]["short"],
                                                      m["per_seed"]["gold"])]
    assert gap["per_seed"] == pytest.approx(expected)
    assert "gap_closed" not in by["ppl/gold_heldout"]
    md = (out / "report.md").read_text()
    assert "## Headline" in md and "gap closed" in md and "MDE" in md
    bad = runner.invoke(app, ["eval", "train", str(raw), f"short={refined}", "-o", str(out), "--ceiling", "gold",
                              "--tokens", "4096", "--model-size", "tiny"])
    assert bad.exit_code == 2 and "--ceiling" in bad.output
