"""Pipeline benchmarks: (1) peak memory vs corpus size, (2) pipeline overhead vs pure generation time.

Run: `.venv/bin/python bench/bench_pipeline.py [--small N] [--large N] [--overhead-docs N]`.
Both measure the real command (`refine run`, a fresh process each) with a refiner defined in this file
(`--mode bench_pipeline`): it writes one `remove_lines` program per page (cookie banner and footer),
so every document goes through parsing, the interpreter, the audit and the writers. For (2) it
stands in for a model: each batch sleeps `gen_ms` per document, as a backend would while generating,
and records that time, so overhead = (pipeline wall time - generation time) / pipeline wall time.
Results go to bench/results/pipeline.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from refine.refiners.base import Refiner

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


# --- the benchmark refiner (`--mode bench_pipeline`) ----------------------------------------------

class BenchRefiner(Refiner):
    """Removes each page's cookie banner and footer; optionally sleeps like a backend generating."""

    name = "bench"

    def __init__(self, gen_ms: float = 0.0, report: str | None = None):
        self.gen_ms, self.report, self.gen_s = gen_ms, report, 0.0

    def refine(self, docs):
        from refine.refiners.base import Refinement, ScopedProgram

        if self.gen_ms:
            t0 = time.perf_counter()
            time.sleep(self.gen_ms * len(docs) / 1000)
            self.gen_s += time.perf_counter() - t0
        out = []
        for doc in docs:
            last = len(doc.lines) - 1
            text = f"remove_lines(line_start=0, line_end=0)\nremove_lines(line_start={last}, line_end={last})"
            out.append(Refinement(doc.id, programs=[ScopedProgram(text, (0, last), "chunk")],
                                  prompt_tokens=len(doc.text) // 4, completion_tokens=24))
        return out

    def close(self):
        if self.report:
            Path(self.report).write_text(json.dumps({"gen_s": self.gen_s}))


def from_options(opts):
    return BenchRefiner(float(opts.extra.get("gen_ms", 0)), opts.extra.get("gen_report"))


# --- corpus and measurement -----------------------------------------------------------------------

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her she there been one all we their has would when if so no").split()


def write_corpus(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w") as f:
        for i in range(n):
            lines = ["We use cookies to improve your experience. Accept all"]
            lines += [" ".join(rng.choices(WORDS, k=rng.randint(8, 30))) + "." for _ in range(rng.randint(5, 25))]
            lines.append("© 2024 Example Media. All rights reserved.")
            f.write(json.dumps({"id": f"d{i}", "url": f"https://s{i % 50}.example/{i}", "text": "\n".join(lines)}) + "\n")


def refine_cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", "run", str(corpus), str(out), "--mode", "bench_pipeline",
            "--no-cache", *extra]


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of `cmd`, measured from a fresh parent process."""
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "rc = subprocess.run(json.loads(sys.argv[1]), stdout=subprocess.DEVNULL).returncode; "
             "print(json.dumps([rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(cmd)], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    rc, wall, maxrss_kb = json.loads(done.stdout.strip().splitlines()[-1])
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}")
    return wall, maxrss_kb * 1024


def memory_bench(tmp: Path, sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        corpus = tmp / f"mem-{n}.jsonl"
        write_corpus(corpus, n)
        wall, rss = run_measured(refine_cmd(corpus, tmp / f"mem-out-{n}", "--batch-size", "64"))
        stats = json.loads((tmp / f"mem-out-{n}" / "stats.json").read_text())
        rows.append({"docs": n, "input_mb": corpus.stat().st_size / 1e6, "peak_rss_mb": rss / 1e6,
                     "wall_s": wall, "docs_per_s": stats["docs_in"] / wall})
    return rows


def overhead_bench(tmp: Path, n: int, gen_ms: float, batch_size: int) -> dict:
    corpus = tmp / "overhead.jsonl"
    write_corpus(corpus, n, seed=1)
    report = tmp / "gen.json"
    out = tmp / "overhead-out"
    wall, _ = run_measured(refine_cmd(corpus, out, "--batch-size", str(batch_size), "--set", f"gen_ms={gen_ms}",
                                      "--set", f"gen_report={report}"))
    gen_s = json.loads(report.read_text())["gen_s"]
    pipeline_s = json.loads((out / "stats.json").read_text())["wall_s"]  # sum of shard times
    return {"docs": n, "gen_ms_per_doc": gen_ms, "batch_size": batch_size, "gen_s": gen_s,
            "pipeline_s": pipeline_s, "process_s": wall,
            "overhead_share": (pipeline_s - gen_s) / pipeline_s,
            "overhead_share_with_startup": (wall - gen_s) / wall}


def machine() -> str:
    from machine import cpu_name  # bench/machine.py; imported here, not when a refine worker imports this file

    return f"{cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_report(path: Path, args, mem: list[dict], over: dict) -> None:
    lines = [
        "# Pipeline benchmarks", "",
        f"- Command: `{' '.join(['.venv/bin/python', 'bench/bench_pipeline.py', *sys.argv[1:]])}`",
        f"- Machine: {machine()} (shared with other jobs while measuring)",
        f"- Date: {dt.date.today().isoformat()}",
        "- What runs: `refine run CORPUS OUT --mode bench_pipeline` in a fresh process; the refiner writes one "
        "two-operation program per document, so every document is parsed, applied, audited and written.", "",
        "## Peak memory vs corpus size", "",
        "| documents | input MB | peak RSS MB | wall s | docs/s |", "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['docs']:,} | {r['input_mb']:.1f} | {r['peak_rss_mb']:.1f} | {r['wall_s']:.1f} | "
              f"{r['docs_per_s']:,.0f} |" for r in mem]
    if len(mem) >= 2:
        a, b = mem[0], mem[-1]
        lines += ["", f"{b['docs'] // a['docs']}x the documents: peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f} "
                      "(flat: documents stream through shards; nothing is held per document)."]
    lines += [
        "", "## Pipeline overhead vs generation", "",
        f"A stand-in backend sleeps {over['gen_ms_per_doc']} ms per document (about 2x faster than the ~280 "
        "docs/s prefill ceiling in `../shared/research/feasibility.md`, so a stricter test), in batches of "
        f"{over['batch_size']}. Overhead = (pipeline time - generation time) / pipeline time.", "",
        "| documents | generation s | pipeline s (shards) | overhead | process s (with start-up) | overhead incl. start-up |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {over['docs']:,} | {over['gen_s']:.2f} | {over['pipeline_s']:.2f} | {100 * over['overhead_share']:.1f}% | "
        f"{over['process_s']:.2f} | {100 * over['overhead_share_with_startup']:.1f}% |",
        "", f"Target: overhead <= 10%: {'met' if over['overhead_share'] <= 0.10 else 'NOT met'}.", "",
        "Notes: the pipeline parses, applies and writes batch k in a writer thread while the refiner "
        "generates batch k+1, so most of its work hides behind generation; what remains is reading, "
        "batching and waiting for the last batch. 'Incl. start-up' adds the process's fixed start "
        "(imports, input scan), which a corpus of real size amortises. A CPU-bound refiner (rules) gains "
        "little from the overlap, since both threads need the interpreter lock.", "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--overhead-docs", type=int, default=4_000)
    parser.add_argument("--gen-ms", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default=str(HERE / "results" / "pipeline.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        mem = memory_bench(Path(tmp), [args.small, args.large])
        over = overhead_bench(Path(tmp), args.overhead_docs, args.gen_ms, args.batch_size)
    write_report(Path(args.out), args, mem, over)
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
