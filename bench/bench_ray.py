"""Ray executor benchmark: documents/s of `--mode rules` on the local executor and on 1 and 2 Ray workers
(scaling efficiency), and what the Ray executor costs per document on top of the local one.

Run: `.venv/bin/python bench/bench_ray.py [--docs N] [--shard-size N] [--repeats K]`.
Runs in this process through the same API as `refine run` (`Pipeline.prepare` + an executor), so Ray's
start-up (`ray.init`, timed apart) is not mixed into the run's time. Each Ray measurement starts its own
local instance with `num_cpus` = the worker count; every run must give byte-identical data/ and programs/
(checked). The corpus comes from bench_pipeline.py (cookie banner, random prose, footer). Results go to
bench/results/ray.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE)]

from bench_pipeline import machine, write_corpus  # noqa: E402

from refine.executors import LocalExecutor  # noqa: E402
from refine.executors.ray_executor import RayExecutor, RaySettings  # noqa: E402
from refine.options import RunOptions  # noqa: E402
from refine.outdir import run_info  # noqa: E402
from refine.pipeline import Pipeline, PipelineConfig  # noqa: E402
from refine.refiners import build_refiner  # noqa: E402

OPTS = RunOptions(mode="rules")


def digest(out: Path) -> str:
    """One hash over every data/ and programs/ file: equal digests mean byte-identical outputs."""
    h = hashlib.sha256()
    for sub in ("data", "programs"):
        for path in sorted((out / sub).glob("*")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class CpuMeter:
    """CPU time (user + system) used by this process and all its descendants while it runs: with a local
    Ray instance, the driver, Ray's daemons and every worker. Unlike wall time, load from other jobs
    barely moves it. The tree is sampled every `every` s, so a process that exits (Ray retires idle
    workers) keeps what it used up to its last sample."""

    def __init__(self, every: float = 0.1):
        import psutil

        self.psutil, self.every = psutil, every
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        root = self.psutil.Process()
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except self.psutil.Error:
                continue
            used = times.user + times.system
            self.first.setdefault(proc.pid, used if self._started else 0.0)
            self.last[proc.pid] = used

    def __enter__(self) -> "CpuMeter":
        self._started = True
        self._sample()  # what each process had used before: not counted
        self._started = False  # processes first seen from now on count in full
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(used - self.first[pid] for pid, used in self.last.items())


def run_once(corpus: Path, out: Path, shard_size: int, executor, limit: int | None = None) -> tuple[float, dict]:
    config = PipelineConfig(shard_size=shard_size, resume=False, limit=limit)
    pipeline = Pipeline(config)
    with CpuMeter() as cpu:
        t0 = time.perf_counter()
        plan = pipeline.prepare(str(corpus), str(out), run_info("run", str(corpus), {"mode": "rules"}))
        result = executor.execute(pipeline, plan, lambda: build_refiner(OPTS))
        wall = time.perf_counter() - t0
    assert result.ok, result.failed
    return wall, {"docs": int(result.stats["docs_in"]), "shard_s": float(result.stats["wall_s"]), "cpu_s": cpu.seconds,
                  "digest": digest(out)}


def measure_all(corpus: Path, tmp: Path, shard_size: int, repeats: int) -> tuple[list[dict], float]:
    """Each executor `repeats` times, interleaved round by round so that load from other jobs on the
    machine falls on all of them alike; the best run of each counts (the least disturbed)."""
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    init_s = time.perf_counter() - t0
    # One Ray instance for both: a task that asks for both CPUs runs alone, so there is one worker at a time.
    executors = {"local": (LocalExecutor(), 1),
                 "ray x1": (RayExecutor(OPTS, RaySettings(cpus_per_worker=2.0)), 1),
                 "ray x2": (RayExecutor(OPTS, RaySettings(cpus_per_worker=1.0)), 2)}
    runs: dict[str, list[tuple[float, dict]]] = {name: [] for name in executors}
    try:
        for name, (executor, workers) in executors.items():  # start worker processes, load code: not timed
            run_once(corpus, tmp / f"warm-{name}", shard_size, executor, limit=2 * shard_size)
        for k in range(repeats):
            for name, (executor, workers) in executors.items():
                wall, info = run_once(corpus, tmp / f"{name}-{k}".replace(" ", ""), shard_size, executor)
                runs[name].append((wall, info))
                print(f"round {k}: {name}: {wall:.2f} s", flush=True)
    finally:
        ray.shutdown()
    rows = []
    for name, (executor, workers) in executors.items():
        walls = sorted(w for w, _ in runs[name])
        wall, info = min(runs[name], key=lambda r: r[0])
        rows.append({"name": name, "workers": workers, "wall_s": wall, "median_s": walls[len(walls) // 2],
                     **info, "cpu_s": min(i["cpu_s"] for _, i in runs[name]), "docs_per_s": info["docs"] / wall})
    return rows, init_s


def read_cost(corpus: Path, shard_size: int) -> tuple[float, float]:
    """Seconds to read every shard's rows: each shard opening the file anew (a Ray worker's way), and
    one stream through the file (the local executor's way)."""
    from refine.io import SourceReader, resolve_inputs

    source = resolve_inputs(str(corpus))[0]
    count = SourceReader(source).count()
    t0 = time.perf_counter()
    for start in range(0, count, shard_size):
        reader = SourceReader(source)
        for _ in reader.rows(start, start + shard_size):
            pass
        reader.close()
    fresh = time.perf_counter() - t0
    t0 = time.perf_counter()
    reader = SourceReader(source)
    for start in range(0, count, shard_size):
        for _ in reader.rows(start, start + shard_size):
            pass
    reader.close()
    return fresh, time.perf_counter() - t0


def write_report(path: Path, args, rows: list[dict], init_s: float, load: tuple,
                 reads: tuple[float, float]) -> None:
    local, ray1, ray2 = rows
    n = local["docs"]
    speedup = ray1["wall_s"] / ray2["wall_s"]
    per_doc_ms = (ray1["wall_s"] - local["wall_s"]) / n * 1000
    same = len({r["digest"] for r in rows}) == 1
    lines = [
        "# Ray executor benchmark", "",
        f"- Command: `.venv/bin/python bench/bench_ray.py --docs {args.docs} --shard-size {args.shard_size} "
        f"--repeats {args.repeats}`",
        f"- Machine: {machine()}, Ray {__import__('ray').__version__}. **Shared**: up to 8 other jobs ran on "
        f"these 2 cores while measuring (load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}), "
        "so the 2-worker numbers in particular are a lower bound on what 2 free cores give.",
        f"- Date: {dt.date.today().isoformat()}",
        f"- What runs: `refine run CORPUS OUT --mode rules --shard-size {args.shard_size}` through the Python API "
        f"on {n:,} synthetic pages ({args.docs // args.shard_size} shards). Each executor ran {args.repeats} "
        "times, interleaved round by round; the table shows the best run (and the median). Ray runs are CPU "
        "tasks (one shard per task, the refiner shipped once through the object store) on one local Ray "
        "instance with 2 CPUs; \"x1\" tasks ask for both CPUs, so one runs at a time.",
        "",
        "| executor | workers | wall s (best) | wall s (median) | docs/s (best) | sum of shard times s | CPU s (all processes) | output digest |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['workers']} | {r['wall_s']:.2f} | {r['median_s']:.2f} | {r['docs_per_s']:,.0f} | "
                     f"{r['shard_s']:.2f} | {r['cpu_s']:.2f} | `{r['digest']}` |")
    lines += [
        "",
        f"- Scaling, 1 → 2 Ray workers: speed-up x{speedup:.2f}, efficiency {100 * speedup / 2:.0f}%.",
        f"- Ray (1 worker) against the local executor: {ray1['docs_per_s'] / local['docs_per_s']:.2f}x the "
        f"throughput; overhead {per_doc_ms:+.3f} ms per document "
        f"({100 * (ray1['wall_s'] - local['wall_s']) / local['wall_s']:+.1f}% of the local run).",
        f"- In CPU time, which other jobs' load barely moves: local {1000 * local['cpu_s'] / n:.3f} ms per "
        f"document, Ray x1 {1000 * ray1['cpu_s'] / n:.3f}, Ray x2 {1000 * ray2['cpu_s'] / n:.3f}: the Ray executor "
        f"costs {1000 * (ray1['cpu_s'] - local['cpu_s']) / n:+.3f} CPU ms per document (driver, Ray's daemons "
        "and workers together).",
        f"- Fixed cost, not in the table: starting the local Ray instance took {init_s:.1f} s, and each run's "
        "first tasks start worker processes (a warm-up run, untimed, did that here); joining a running "
        "cluster (`--address`) skips the first.",
        f"- Outputs identical across the three executors: {'yes' if same else 'NO'} (digest of data/ and programs/).",
        "",
        f"- Reading: each shard opening the input anew (a Ray worker's way) took {reads[0]:.2f} s for the "
        f"whole file, one stream through it (the local executor's way) {reads[1]:.2f} s: shards of one JSONL "
        "file skip to their first row. Corpora split into many files (one or a few shards each, as web "
        "corpora are) do not pay this.",
        "",
        f"Reading the numbers: wall times here are bounded by the machine, not by Ray. With a load average "
        f"near {load[0]:.0f} on 2 cores, a second worker process gets no second core to itself: 2 workers "
        f"{'were slower than 1' if speedup < 1 else 'gained little over 1'} (x{speedup:.2f}), and the same "
        f"work took {ray2['cpu_s']:.1f} CPU s instead of {ray1['cpu_s']:.1f} (contention: caches, context "
        "switches). On a cluster each worker has cores of its own. CPU time is the load-independent "
        f"view: of the Ray executor's {1000 * (ray1['cpu_s'] - local['cpu_s']) / n:+.3f} CPU ms per document, "
        f"re-reading the file's skipped rows accounts for about {1000 * (reads[0] - reads[1]) / n:.3f}; the "
        "rest is task dispatch and Ray's daemons. A model refiner (milliseconds to seconds per document) "
        "does not notice either. The GPU replica path was not measured here (no GPU on this machine).",
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--shard-size", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--report", type=Path, default=HERE / "results" / "ray.md")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus.jsonl"
        write_corpus(corpus, args.docs)
        rows, init_s = measure_all(corpus, tmp, args.shard_size, args.repeats)
        reads = read_cost(corpus, args.shard_size)
    write_report(args.report, args, rows, init_s, load, reads)
    print(args.report.read_text())


if __name__ == "__main__":
    main()
