"""What a user trips on: help texts as written, one-line errors with exit 2 for unusable input or options,
and a summary that says why when nothing got through."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from refine.model_source import local_model_problem

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def flat(text: str) -> str:
    """Console output without line wrapping or box drawing, for phrase checks."""
    return re.sub(r"[\s│]+", " ", text)


def corpus(tmp_path: Path, n: int = 4, field: str = "text") -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", field: f"Line one of {i}.\nA second line here.\n"}) + "\n"
                            for i in range(n)))
    return path


def test_help_shows_brackets_and_argument_names():
    run_help = invoke("run", "--help", env=WIDE)
    assert run_help.exit_code == 0
    assert "pip install 'refine[ray]'" in run_help.output  # not eaten as rich markup
    assert "{INPUT} {OUTPUT}" in run_help.output
    apply_help = invoke("apply", "--help", env=WIDE)
    assert '"lines": [start, end]' in apply_help.output


def test_empty_input_is_bad_input(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    result = invoke("run", tmp_path / "empty.jsonl", tmp_path / "out", "--mode", "rules")
    assert result.exit_code == 2, result.output
    assert "no records in" in result.output and "Traceback" not in result.output


def test_every_record_quarantined_names_the_reason_and_exits_2(tmp_path):
    result = invoke("run", corpus(tmp_path), tmp_path / "out", "--mode", "rules", "--text-field", "body")
    assert result.exit_code == 2, result.output
    out = flat(result.output)
    assert "every record" in out and "quarantined" in out
    assert "no 'body' field" in out and "--text-field" in out

    applied = invoke("apply", corpus(tmp_path), tmp_path / "applied")
    assert applied.exit_code == 2 and "--program-field" in flat(applied.output)


def test_some_records_quarantined_is_still_a_success(tmp_path):
    path = corpus(tmp_path)
    path.write_text(path.read_text() + "not json\n")
    result = invoke("run", path, tmp_path / "out", "--mode", "rules")
    assert result.exit_code == 0, result.output
    assert "1 record(s) quarantined" in result.output


def test_missing_input_fails_before_the_default_refiner_loads(tmp_path):
    result = invoke("run", tmp_path / "nope.jsonl", tmp_path / "out")
    assert result.exit_code == 2
    assert "input not found" in flat(result.output) and "default refiner" not in result.output
    assert not (tmp_path / "out").exists()


def test_backend_options_without_a_model_are_refused(tmp_path):
    result = invoke("run", corpus(tmp_path), tmp_path / "out", "--backend", "openai", "--base-url",
                    "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "--backend openai and --base-url need --model" in flat(result.output)


def test_output_that_is_a_file_or_a_foreign_directory(tmp_path):
    path = corpus(tmp_path)
    as_file = invoke("run", path, path, "--mode", "rules")
    assert as_file.exit_code == 2 and "is a file" in flat(as_file.output)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    foreign = invoke("run", path, tmp_path / "mine", "--mode", "rules")
    assert foreign.exit_code == 2 and "not a refine output directory" in flat(foreign.output)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_run_that_finished_no_shard_does_not_block_new_options(tmp_path):
    path = corpus(tmp_path)
    failed = invoke("run", path, tmp_path / "out", "--mode", "tagger")  # no --model: fails after run.json
    assert failed.exit_code == 2 and (tmp_path / "out" / "run.json").exists()
    fixed = invoke("run", path, tmp_path / "out", "--mode", "rules")
    assert fixed.exit_code == 0, fixed.output
    changed = invoke("run", path, tmp_path / "out", "--mode", "tagger")  # now a finished run is protected
    assert changed.exit_code == 2 and "different configuration" in flat(changed.output)


def test_a_mistyped_model_path_is_named_as_such(tmp_path):
    (tmp_path / "model.bin").write_text("x")
    assert "no such directory" in local_model_problem(str(tmp_path / "nomodel"))
    assert "no such directory" in local_model_problem("./nomodel")
    assert "is a file" in local_model_problem(str(tmp_path / "model.bin"))
    assert local_model_problem(str(tmp_path)) is None
    assert local_model_problem("gair-prox/web-chunk-refining-lm") is None
    assert local_model_problem("gpt2") is None

    result = invoke("run", corpus(tmp_path), tmp_path / "out", "--model", tmp_path / "nomodel")
    assert result.exit_code == 2 and "nomodel': no such directory" in flat(result.output)
    assert "Traceback" not in result.output and "Repo id" not in result.output


def test_train_refuses_options_of_the_other_kind(tmp_path):
    result = invoke("train", tmp_path, tmp_path / "t", "--lora", "--lr", "0.1")
    assert result.exit_code == 2
    assert "--lr, --lora: generative option(s)" in flat(result.output)
    generative = invoke("train", tmp_path, tmp_path / "g", "--kind", "generative", "--encoder", "x")
    assert generative.exit_code == 2 and "--encoder: tagger option(s)" in flat(generative.output)


def test_show_names_a_missing_output_directory(tmp_path):
    result = invoke("show", tmp_path / "missing", "d0")
    assert result.exit_code == 2 and "output directory not found" in flat(result.output)


def test_annotate_counts_unreadable_rows_instead_of_listing_them_all(tmp_path):
    path = corpus(tmp_path, n=6)
    edits = tmp_path / "edits.jsonl"
    edits.write_text(json.dumps({"id": "d0", "edited": "x"}) + "\n")
    result = invoke("annotate", path, tmp_path / "ann", "--expert", "edits", "--edits", edits,
                    "--text-field", "body")
    assert result.exit_code == 2
    out = flat(result.output)
    assert out.count("skipping row") == 3 and "skipped 6 rows in all (3 more not shown)" in out
    assert "no documents to annotate" in out
