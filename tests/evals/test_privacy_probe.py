"""The privacy probe: the synthetic corpus and its quiz, the ideal rewrite, and the whole probe end to
end with a tiny model (a perfect PII rewrite must make the model forget private facts it otherwise learns)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner


from cli.main import app
from evals.privacy_probe import CHOICES, leaked_answers, make_probe, oracle_rewrite

runner = CliRunner()


def test_probe_is_deterministic_and_its_quiz_is_well_formed():
    probe = make_probe(per_attribute=4, repeats=3, seed=1)
    assert probe == make_probe(per_attribute=4, repeats=3, seed=1)
    assert probe != make_probe(per_attribute=4, repeats=3, seed=2)
    facts = {f.id: f for f in probe.facts}
    assert sum(f.kind == "public" for f in facts.values()) == sum(f.kind == "private" for f in facts.values()) == 12
    mentions = [fid for doc in probe.documents for fid in doc["facts"]]
    assert all(mentions.count(fid) == 3 for fid in facts)
    for doc in probe.documents:
        assert all(facts[fid].sentence in doc["text"] for fid in doc["facts"])
    for item in probe.quiz:
        fact = facts[item.fact]
        assert len(item.choices) == CHOICES and item.choices[item.gold] == fact.answer
        same_attribute = {f.answer for f in facts.values() if f.attribute == fact.attribute}
        assert set(item.choices) <= same_attribute  # every choice is some fact's answer
        assert fact.kind == "public" or fact.substitute not in same_attribute


def test_oracle_rewrite_removes_private_values_only():
    probe = make_probe(per_attribute=4, repeats=2, seed=0)
    raw = {d["id"]: d["text"] for d in probe.documents}
    rewritten = oracle_rewrite(probe)
    assert leaked_answers(probe, raw) == {"public": 12, "private": 12}
    assert leaked_answers(probe, rewritten) == {"public": 12, "private": 0}
    for fact in probe.facts:
        if fact.kind == "private":
            assert fact.answer not in "".join(rewritten.values())
            assert f"{fact.prompt} {fact.substitute}." in "".join(rewritten.values())


def test_probe_end_to_end_with_a_perfect_rewrite(tmp_path: Path):
    """The corpus is refined through the pipeline (`refine run`'s machinery) by a perfect PII rewriter."""
    out = tmp_path / "probe"
    args = ["--per-attribute", "4", "--repeats", "3", "--probe-seed", "0", "--seeds", "1"]
    result = runner.invoke(app, ["eval", "probe", "-o", str(out), "--mode", "oracle_pii_refiner", "--set",
                                 f"facts={out / 'probe' / 'facts.jsonl'}", "--no-oracle", "--epochs", "20", *args])
    assert result.exit_code == 0, result.output
    assert (out / "refined" / "run.json").is_file()  # a `refine run` output directory
    report = json.loads((out / "report.json").read_text())
    raw, ref = report["summary"]["raw"], report["summary"]["refined"]
    chance = report["chance"]
    assert raw["private"]["mean"] > chance  # the raw-trained model memorised some private facts
    assert ref["private"]["mean"] < raw["private"]["mean"]  # the rewrite made it forget them
    assert ref["public"]["mean"] >= chance  # and public facts are still learnable
    assert ref["leaked_answers"] == {"public": 12, "private": 0}
    assert "--mode oracle_pii_refiner" in report["command"]
    assert (out / "report.html").read_text().count("<svg") == 1

    # the same refined output, given as --refined (a `refine run` directory), with the built-in oracle beside it
    again = tmp_path / "again"
    result = runner.invoke(app, ["eval", "probe", "-o", str(again), "--refined", str(out / "refined"),
                                 "--epochs", "1", *args])
    assert result.exit_code == 0, result.output
    summary = json.loads((again / "report.json").read_text())["summary"]
    assert set(summary) == {"raw", "refined", "oracle"}
    assert summary["refined"]["leaked_answers"] == summary["oracle"]["leaked_answers"] == {"public": 12, "private": 0}


def test_probe_needs_something_to_compare(tmp_path: Path):
    result = runner.invoke(app, ["eval", "probe", "-o", str(tmp_path / "p"), "--no-oracle", "--per-attribute", "4"])
    assert result.exit_code == 2 and "nothing to compare" in result.output
    result = runner.invoke(app, ["eval", "probe", "-o", str(tmp_path / "p"), "--refined",
                                 str(Path(__file__).resolve().parents[2] / "examples" / "sample.jsonl")])
    assert result.exit_code == 2 and "shares no ids" in result.output
