"""`refine run --executor ray` on a local 2-CPU Ray instance: the local executor's outputs byte for byte,
retried shards when a worker process dies (CPU tasks and replicas), exactly-once output after the driver
is killed, and clean errors when Ray is missing or the cluster cannot hold what was asked for."""

from __future__ import annotations

import json
import logging
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

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["run", *map(str, args)])


def audit_ids(out: Path) -> list[str]:
    return [json.loads(line)["id"] for p in sorted((out / "programs").glob("*.jsonl"))
            for line in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def cluster():
    """One local Ray instance for the module (start-up takes seconds); its address, for other drivers."""
    ray = pytest.importorskip("ray")
    saved = os.environ.get("PYTHONPATH")
    # Workers are started by this instance's raylet and inherit its environment: the fake refiners import.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FAKES), str(REPO), saved]))
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "c.jsonl"
    return write_jsonl(path, make_corpus(40) + ["{torn", {"id": "empty", "text": ""}])


def test_without_ray_the_command_says_how_to_install(tmp_path, corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = invoke(corpus, tmp_path / "out", "--mode", "rules", "--executor", "ray")
    assert result.exit_code == 2 and "pip install 'refine[ray]'" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()  # refused before the output directory was touched
    local = invoke(corpus, tmp_path / "out", "--mode", "rules", "--replicas", "2")
    assert local.exit_code == 2 and "need --executor ray" in local.output


@pytest.mark.parametrize("settings", [[], ["--set", "linefreq=auto"]], ids=["rules", "rules+linefreq"])
def test_rules_on_ray_match_the_local_executor_byte_for_byte(tmp_path, cluster, settings):
    sample = REPO / "examples" / "sample.jsonl"
    corpus = write_jsonl(tmp_path / "c.jsonl", sample.read_text().splitlines() + ["not json"])
    common = ["--mode", "rules", "--shard-size", "7", *settings]
    local = invoke(corpus, tmp_path / "local", *common)
    on_ray = invoke(corpus, tmp_path / "ray", *common, "--executor", "ray")
    assert local.exit_code == 0 and on_ray.exit_code == 0, on_ray.output
    assert snapshot(tmp_path / "ray") == snapshot(tmp_path / "local")
    assert sorted(p.name for p in (tmp_path / "ray" / "_done").iterdir()) == \
        sorted(p.name for p in (tmp_path / "local" / "_done").iterdir())
    stats = {name: json.loads((tmp_path / name / "stats.json").read_text()) for name in ("local", "ray")}
    for key in ("docs_in", "docs_kept", "docs_dropped", "docs_quarantined", "chars_out", "ops"):
        assert stats["ray"][key] == stats["local"][key]
    assert stats["ray"]["docs_quarantined"] == 1 and stats["ray"]["shards"]["done"] == 6

    again = invoke(corpus, tmp_path / "ray", *common, "--executor", "ray")
    assert again.exit_code == 0 and "resuming: 6 of 6 shards already done" in again.output


def check_a_killed_worker_is_retried(tmp_path: Path, corpus: Path, workers: list[str]) -> None:
    common = ["--shard-size", "5", "--batch-size", "2"]
    assert invoke(corpus, tmp_path / "ref", "--mode", "fake_refiner", *common).exit_code == 0
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    # doc-0017 is the third document of shard 3: its first batch is already half-written when the worker dies.
    result = invoke(corpus, tmp_path / "out", "--mode", "crash_refiner", *common, "--executor", "ray", *workers,
                    "--set", "crash_on=doc-0017", "--set", f"crash_dir={crashes}")
    assert result.exit_code == 0, result.output
    assert (crashes / "doc-0017").exists()  # the first attempt did die
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "ref")
    assert audit_ids(tmp_path / "out") == [f"doc-{i:04d}" for i in range(40)]
    assert not list((tmp_path / "out").rglob(".*.tmp")) and not (tmp_path / "out" / "_failed").exists()


def test_a_cpu_task_killed_mid_shard_is_retried_and_nothing_is_lost(tmp_path, cluster, corpus):
    check_a_killed_worker_is_retried(tmp_path, corpus, [])


def test_a_failing_shard_is_recorded_and_the_others_finish(tmp_path, cluster, corpus):
    result = invoke(corpus, tmp_path / "out", "--mode", "fake_refiner", "--shard-size", "10", "--executor", "ray",
                    "--set", "fail_on=BUY NOW")
    assert result.exit_code == 1 and "Rerun the same command" in result.output
    failed = sorted(p.stem for p in (tmp_path / "out" / "_failed").iterdir())
    done = sorted(p.stem for p in (tmp_path / "out" / "_done").glob("*.json"))
    assert failed and done and not set(failed) & set(done) and len(failed) + len(done) == 5
    assert "HTTP 503" in (tmp_path / "out" / "_failed" / f"{failed[0]}.txt").read_text()


def test_gpu_replicas_on_a_cluster_without_gpus_fail_cleanly(tmp_path, cluster, corpus):
    result = invoke(corpus, tmp_path / "out", "--mode", "fake_refiner", "--executor", "ray",
                    "--gpus-per-replica", "1")
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and "0 GPU(s)" in message and "Traceback" not in message


def test_a_killed_driver_rerun_gives_every_id_exactly_once(tmp_path, cluster, corpus):
    common = ["--mode", "fake_refiner", "--shard-size", "4", "--batch-size", "2", "--set", "delay=0.03"]
    assert invoke(corpus, tmp_path / "ref", *common[:-2]).exit_code == 0  # the delay changes no output
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cli.main", "run", str(corpus), str(out), *common,
               "--executor", "ray", "--address", cluster]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "_done").glob("*.json"))) >= 2:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert len(list((out / "_done").glob("*.json"))) < 11  # 42 rows in shards of 4

    result = invoke(corpus, out, *common, "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert "resuming:" in result.output
    assert audit_ids(out) == [f"doc-{i:04d}" for i in range(40)]
    assert snapshot(out) == snapshot(tmp_path / "ref")
    assert json.loads((out / "stats.json").read_text())["docs_in"] == 40


def test_a_replica_killed_mid_shard_is_restarted_and_nothing_is_lost(tmp_path, cluster, corpus):
    # Last in the module: replicas hold the CPUs as actors, so tests after them would wait for new workers.
    check_a_killed_worker_is_retried(tmp_path, corpus, ["--replicas", "2"])
