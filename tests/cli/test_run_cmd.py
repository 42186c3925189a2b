"""`refine run` and `refine show` through the command line: modes, clean errors, failures, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import FAKES, REPO, snapshot, write_jsonl
from fake_refiner import make_corpus

from cli.main import app
from cli.run import apply_settings, choose_mode
from refine.options import RunOptions

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_run_with_a_plugin_mode_writes_outputs_and_a_summary(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(12) + ["not json"])
    result = invoke("run", corpus, tmp_path / "out", "--mode", "fake_refiner", "--shard-size", "5")
    assert result.exit_code == 0, result.output
    assert "docs in" in result.output and "1 record(s) quarantined" in result.output
    run_json = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run_json["command"] == "run" and run_json["config"]["mode"] == "fake_refiner"
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["docs_in"] == 12

    again = invoke("run", corpus, tmp_path / "out", "--mode", "fake_refiner", "--shard-size", "5")
    assert again.exit_code == 0 and "resuming: 3 of 3 shards already done" in again.output

    other = invoke("run", corpus, tmp_path / "out", "--mode", "fake_refiner", "--shard-size", "4")
    assert other.exit_code == 2 and "shard_size" in other.output and "Traceback" not in other.output


def test_show_prints_programs_and_a_diff(tmp_path):
    records = make_corpus(6)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    assert invoke("run", corpus, tmp_path / "out", "--mode", "fake_refiner").exit_code == 0
    result = invoke("show", tmp_path / "out", "doc-0000", "--width", "200")
    assert result.exit_code == 0, result.output
    assert "remove_lines(line_start=" in result.output
    assert " - We use cookies. Accept all cookies?" in result.output
    assert invoke("show", tmp_path / "out", "nope").exit_code == 1


def test_failed_shard_exits_non_zero_and_says_how_to_resume(tmp_path):
    records = make_corpus(10)
    records[7]["text"] += "\nFAILME"
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    args = ["run", corpus, tmp_path / "out", "--mode", "fake_refiner", "--shard-size", "5", "--set", "fail_on=FAILME"]
    result = invoke(*args)
    assert result.exit_code == 1
    assert "1 of 2 shard(s) failed" in result.output and "Rerun the same command" in result.output
    assert "doc-0007" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["run", "{tmp}/missing.jsonl", "{tmp}/out"], "input not found"),
    (["run", "{tmp}/c.jsonl", "{tmp}/out", "--mode", "nonexistent"], "unknown mode 'nonexistent'"),
    (["run", "{tmp}/c.jsonl", "{tmp}/out", "--batch-size", "0"], "--batch-size must be a positive"),
    (["run", "{tmp}/c.jsonl", "{tmp}/out", "--stages", "doc,page"], "--stages"),
    (["run", "{tmp}/c.jsonl", "{tmp}/out", "--set", "novalue"], "key=value"),
    (["run", "{tmp}/c.jsonl", "{tmp}/mine"], "not a refine output directory"),
])
def test_bad_input_and_options_fail_cleanly(tmp_path, args, message):
    write_jsonl(tmp_path / "c.jsonl", make_corpus(3))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    result = invoke(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_mode_choice_and_settings():
    assert choose_mode("rules", "m")[0] == "rules"
    assert choose_mode(None, "org/model") == ("programs", choose_mode(None, "org/model")[1])
    mode, why = choose_mode(None, None)
    assert mode in ("default", "rules") and "--mode " + mode in why
    opts = apply_settings(RunOptions(), ["chunk_tokens=1000", "constrained=false", "stages=doc",
                                         "rules=c4", "threshold=0.5"])
    assert (opts.chunk_tokens, opts.constrained, opts.stages) == (1000, False, ("doc",))
    assert opts.extra == {"rules": "c4", "threshold": 0.5}


def _refine_cmd(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "cli.main", "run", str(corpus), str(out), "--mode", "fake_refiner",
            "--shard-size", "5", "--batch-size", "2", "--set", "delay=0.01"]


def test_kill_9_at_any_moment_then_rerun_gives_each_id_once_and_identical_output(tmp_path):
    records = make_corpus(60) + ["{torn", {"id": "x", "text": ""}]
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAKES), str(REPO), os.environ.get("PYTHONPATH", "")])}
    assert invoke("run", corpus, tmp_path / "ref", "--mode", "fake_refiner", "--shard-size", "5",
                  "--batch-size", "2", "--set", "delay=0.01").exit_code == 0

    out = tmp_path / "out"
    for markers_before_kill in (2, 6):  # kill twice, mid-shard, at different points
        proc = subprocess.Popen(_refine_cmd(corpus, out), cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "_done").glob("*.json"))) >= markers_before_kill:
                time.sleep(0.03)  # into the next shard
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(list((out / "_done").glob("*.json"))) < 13

    final = subprocess.run(_refine_cmd(corpus, out), cwd=REPO, env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    ids = [json.loads(line)["id"] for p in sorted((out / "programs").glob("*.jsonl"))
           for line in p.read_text().splitlines()]
    assert ids == [r["id"] for r in records[:60]]  # every valid id exactly once, in input order
    assert snapshot(out) == snapshot(tmp_path / "ref")
    assert json.loads((out / "stats.json").read_text())["docs_quarantined"] == 2


def test_corrupt_compressed_input_fails_cleanly(tmp_path):
    (tmp_path / "c.jsonl.gz").write_bytes(b"this is not gzip at all")
    result = invoke("run", tmp_path / "c.jsonl.gz", tmp_path / "out", "--mode", "fake_refiner")
    assert result.exit_code == 2 and "cannot read" in result.output and "Traceback" not in result.output


def test_rules_mode_on_the_shipped_sample(tmp_path):
    sample = REPO / "examples" / "sample.jsonl"
    result = invoke("run", sample, tmp_path / "out", "--mode", "rules")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in sample.read_text().splitlines()]
    audit = [json.loads(line) for p in sorted((tmp_path / "out" / "programs").glob("*.jsonl"))
             for line in p.read_text().splitlines()]
    assert [a["id"] for a in audit] == ids and len(ids) >= 40
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert 0 < stats["docs_dropped"] < stats["docs_kept"] and stats["chars_out"] < stats["chars_in"]
    changed = next(a["id"] for a in audit if a["outcome"] == "applied")
    assert invoke("show", tmp_path / "out", changed).exit_code == 0


def test_request_cache_is_local_even_for_a_remote_output(tmp_path):
    from cli.run import CACHE_FILE, default_cache

    assert default_cache(str(tmp_path / "out")) == f"{tmp_path / 'out'}/{CACHE_FILE}"
    remote = default_cache("s3://bucket/refined/")
    assert "://" not in remote and remote.endswith(".sqlite")
    assert remote == default_cache("s3://bucket/refined")  # found again when the run resumes


def test_prompt_budgets_can_be_set_back_to_the_models_own():
    from cli.run import apply_settings

    opts = apply_settings(RunOptions(chunk_tokens=10), ["chunk_tokens=none", "doc_tokens=64"])
    assert (opts.chunk_tokens, opts.doc_tokens) == (None, 64)
