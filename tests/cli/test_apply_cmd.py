"""`refine apply`: programs carried by the records, quarantine of bad ones, and replaying a run's audit."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from helpers import write_jsonl
from fake_refiner import make_corpus

from cli.main import app

runner = CliRunner()
TEXT = "Home | News | Contact\nThe actual article text is here.\nShare on Facebook\nA second real sentence.\n"


def rows(directory: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(directory.glob("*.jsonl")) for line in p.read_text().splitlines()]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_apply_string_and_scoped_programs_with_quarantine(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "text": TEXT, "program": "remove_lines(line_start=0, line_end=0)\nremove_lines(line_start=2, line_end=2)"},
        {"id": "b", "text": TEXT, "program": [
            {"program": "keep_doc()", "lines": None, "stage": "doc"},
            {"program": "remove_lines(line_start=0, line_end=0)", "lines": [0, 1], "stage": "chunk"},
            {"program": "remove_lines(line_start=9, line_end=9)", "lines": [2, 3], "stage": "chunk"}]},
        {"id": "c", "text": TEXT, "program": "drop_doc()", "lang": "en"},
        {"id": "d", "text": TEXT, "program": 42},
        {"id": "e", "program": "keep_doc()"},
        "not json at all",
        {"id": "f", "text": TEXT},
        {"id": "g", "text": TEXT, "program": [{"program": "keep_doc()", "lines": [3, 1]}]},
    ])
    result = invoke("apply", corpus, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "5 record(s) quarantined" in result.output

    data = {d["id"]: d for d in rows(tmp_path / "out" / "data")}
    assert data["a"]["text"] == "The actual article text is here.\nA second real sentence.\n"
    assert data["a"]["program"].startswith("remove_lines")  # input fields are kept
    assert data["b"]["text"] == TEXT.split("\n", 1)[1] and data["b"]["refine"]["n_errors"] == 1
    assert set(data) == {"a", "b"}

    audit = {a["id"]: a for a in rows(tmp_path / "out" / "programs")}
    assert audit["c"]["outcome"] == "dropped" and audit["c"]["drop_reason"] == "drop_doc"
    assert audit["b"]["errors"][0]["code"] == "out_of_range" and audit["b"]["programs"][1]["lines"] == [0, 1]

    reasons = {(q["id"], q["reason"]) for q in rows(tmp_path / "out" / "quarantine")}
    assert reasons == {("d", "program_not_string"), ("e", "missing_text"), ("in:5", "not_json"),
                       ("f", "missing_program"), ("g", "bad_lines")}
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["docs_in"] == 3 and stats["docs_quarantined"] == 5 and stats["errors"] == {"out_of_range": 1}


def test_apply_reads_another_program_field_and_on_error_policy(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "body": TEXT, "edits": 'remove_str(line=2, del_str="nope")\nremove_lines(line_start=0, line_end=0)'}])
    result = invoke("apply", corpus, tmp_path / "out", "--text-field", "body", "--program-field", "edits",
                    "--on-error", "keep_original", "--max-errors", "1")
    assert result.exit_code == 0, result.output
    (row,) = rows(tmp_path / "out" / "data")
    assert row["body"] == TEXT and row["refine"]["outcome"] == "reverted"
    assert invoke("apply", corpus, tmp_path / "o2", "--on-error", "explode").exit_code == 2


def test_replaying_a_runs_audit_reproduces_its_data(tmp_path):
    records = make_corpus(25)
    corpus = write_jsonl(tmp_path / "raw.jsonl", records)
    first = invoke("run", corpus, tmp_path / "run", "--mode", "fake_refiner", "--shard-size", "10")
    assert first.exit_code == 0, first.output
    replay = invoke("apply", corpus, tmp_path / "replay", "--programs", tmp_path / "run" / "programs",
                    "--shard-size", "10")
    assert replay.exit_code == 0, replay.output
    assert "0 records quarantined" in replay.output
    strip = lambda rs: [(r["id"], r["text"], r["url"]) for r in rs]  # noqa: E731
    assert strip(rows(tmp_path / "replay" / "data")) == strip(rows(tmp_path / "run" / "data"))

    partial = write_jsonl(tmp_path / "more.jsonl", records[:3] + [{"id": "new", "text": "unseen"}])
    joined = invoke("apply", partial, tmp_path / "p", "--programs", tmp_path / "run" / "programs")
    assert joined.exit_code == 0 and "1 record(s) quarantined" in joined.output
    assert rows(tmp_path / "p" / "quarantine")[0]["reason"] == "not_in_audit"
    missing = invoke("apply", partial, tmp_path / "p2", "--programs", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "audit directory not found" in missing.output
