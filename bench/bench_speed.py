"""Speed of `refine run` end to end on 2 CPU cores: the shipped default, `rules` and a generative refiner.

    .venv/bin/python bench/bench_speed.py [--docs 400] [--prefix 20] [--repeats 3]
        [--generative-model DIR | --train-minutes 3 --size tiny] [--work /tmp/bench_speed]
        [--out bench/results/speed.md] [--render-only]

Every run is the real CLI in a subprocess (`.venv/bin/refine run IN OUT --mode M [--model DIR]
--no-resume`) with OMP/MKL/OpenBLAS/Rayon set to 2 threads, on the synthetic expert's held-out pages
(`generate_synthetic(n, 1, "heldout")`, their text only). Two document sets: the first `--prefix`
pages, on which all refiners run (the generative one is too slow for more), and all `--docs` pages,
for the default and rules only. Runs are interleaved (every variant once, then again) and each
number is the best of `--repeats`. Reported per run: the command's wall time (process start-up,
imports and model load included) and the pipeline's own `wall_s` from OUTPUT/stats.json (reading,
refining, applying and writing the shard; start-up and model load excluded), the child's CPU
seconds, and the input's documents, whitespace tokens and characters as stats.json counts them.

Without `--generative-model`, a generative refiner is trained first with `refine train --kind
generative --from-config SIZE --max-minutes M` on the synthetic train split: the point is its speed,
not its quality (see bench/results/generative.md for what 15 minutes of CPU training scores).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import cpu_name  # noqa: E402
REFINE = ROOT / ".venv/bin/refine"
THREADS = 2
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS",
               "NUMEXPR_NUM_THREADS")
SHIPPED = "default (as shipped: no --mode, 1 torch thread)"
TWO_THREADS = "default (--set threads=2)"


@dataclass(frozen=True)
class Variant:
    """One refiner configuration as `refine run` is told it."""

    name: str
    args: tuple[str, ...]
    full_set: bool  # also timed on all --docs pages (too slow for the generative refiner)


@dataclass
class Timing:
    """One `refine run`: what the clock, the kernel and stats.json say."""

    variant: str
    docs_set: str
    repeat: int
    wall_s: float  # the whole command
    pipeline_s: float  # stats.json wall_s
    cpu_s: float  # the child's user + system seconds
    load_before: float  # 1-minute load average when it started
    docs: int
    tokens: int
    chars: int
    prompt_tokens: int
    completion_tokens: int
    ops: dict  # program operations written, by name


def variants(generative_model: Path) -> list[Variant]:
    return [
        Variant(SHIPPED, (), True),
        Variant(TWO_THREADS, ("--mode", "default", "--set", f"threads={THREADS}"), True),
        Variant("rules", ("--mode", "rules"), True),
        Variant("generative (--mode programs)", ("--mode", "programs", "--model", str(generative_model),
                                                 "--device", "cpu"), False),
    ]


def write_corpus(path: Path, n: int) -> Path:
    """The first n held-out synthetic pages as `{"id", "text"}` JSONL."""
    from bench_tagger import heldout_docs

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for doc in heldout_docs(n):
            f.write(json.dumps({"id": doc.id, "text": doc.text}) + "\n")
    return path


def thread_env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.update({var: str(THREADS) for var in THREAD_VARS})
    return env


def time_run(variant: Variant, corpus: Path, out: Path, docs_set: str, repeat: int) -> Timing:
    """Run `refine run` once in a subprocess; raises with its output if it fails."""
    command = [str(REFINE), "run", str(corpus), str(out), *variant.args, "--no-resume"]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=thread_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    stats = json.loads((out / "stats.json").read_text())
    return Timing(variant.name, docs_set, repeat, wall, stats["wall_s"], usage.ru_utime + usage.ru_stime, load,
                  int(stats["docs_in"]), int(stats.get("words_in", stats.get("tokens_in", 0))), int(stats["chars_in"]),
                  int(stats.get("prompt_tokens", 0)), int(stats.get("completion_tokens", 0)), stats.get("ops", {}))


def train_generative(work: Path, size: str, minutes: float, train_docs: int) -> tuple[Path, float]:
    """A generative refiner from config, trained for at most `minutes`; returns its directory and minutes."""
    from bench_generative import write_annotations

    data = write_annotations(work / "train_data", train_docs, 0, "train")
    model = work / f"generative-{size}"
    started = time.perf_counter()
    subprocess.run([str(REFINE), "train", str(data), str(model), "--kind", "generative", "--from-config", size,
                    "--max-minutes", str(minutes), "--max-length", "320", "--chunk-tokens", "128",
                    "--doc-tokens", "96", "--lr", "2e-3", "--device", "cpu", "--eval-limit", "5"],
                   env=thread_env(), check=True)
    return model, (time.perf_counter() - started) / 60


def measure(variant_list: list[Variant], corpora: dict[str, Path], work: Path, repeats: int) -> list[Timing]:
    timings = []
    for repeat in range(repeats):
        for docs_set, corpus in corpora.items():
            for v in variant_list:
                if docs_set == "all" and not v.full_set:
                    continue
                t = time_run(v, corpus, work / "out", docs_set, repeat)
                print(json.dumps(asdict(t)), flush=True)
                timings.append(t)
    shutil.rmtree(work / "out", ignore_errors=True)
    return timings


def best(timings: list[dict]) -> list[dict]:
    """Per variant and set: the least wall, pipeline, start-up and CPU seconds over the repeats (each on
    its own), and the median and most pipeline seconds, to show how much the shared machine moved them."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for t in timings:
        groups.setdefault((t["docs_set"], t["variant"]), []).append(t)
    rows = []
    for runs in groups.values():
        pipeline = sorted(t["pipeline_s"] for t in runs)
        rows.append({**runs[0], **{k: min(t[k] for t in runs) for k in ("wall_s", "pipeline_s", "cpu_s")},
                     "startup_s": min(t["wall_s"] - t["pipeline_s"] for t in runs),
                     "pipeline_median_s": pipeline[len(pipeline) // 2], "pipeline_worst_s": pipeline[-1]})
    return rows


def machine() -> dict:
    return {"nproc": os.cpu_count(), "cpu": cpu_name(), "python": platform.python_version(),
            "date": datetime.datetime.now().isoformat(timespec="minutes")}


def generative_facts(model_dir: Path) -> dict:
    record = json.loads((model_dir / "train.json").read_text())
    return {"dir": str(model_dir), "parameters": record["parameters"], "from_config": record["start"]["from_config"],
            "minutes": record["minutes"], "steps": record["steps"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=400, help="held-out pages timed for default and rules")
    ap.add_argument("--prefix", type=int, default=20, help="first pages, timed for every refiner")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--generative-model", type=Path, default=None, help="a `refine train --kind generative` output")
    ap.add_argument("--size", default="tiny", help="--from-config size when training one")
    ap.add_argument("--train-minutes", type=float, default=3.0)
    ap.add_argument("--train-docs", type=int, default=200)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_speed"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/speed.md")
    ap.add_argument("--render-only", action="store_true", help="rewrite --out from WORK/results.json")
    args = ap.parse_args()
    results_file = args.work / "results.json"
    if args.render_only:
        args.out.write_text(render_markdown(json.loads(results_file.read_text())))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    trained_minutes = None
    model = args.generative_model
    if model is None:
        model, trained_minutes = train_generative(args.work, args.size, args.train_minutes, args.train_docs)
    corpora = {"prefix": write_corpus(args.work / f"heldout-{args.prefix}.jsonl", args.prefix),
               "all": write_corpus(args.work / f"heldout-{args.docs}.jsonl", args.docs)}
    variant_list = variants(model)
    started_load = os.getloadavg()
    timings = measure(variant_list, corpora, args.work, args.repeats)
    results = {"machine": machine(), "load_start": started_load, "load_end": os.getloadavg(),
               "generative": {**generative_facts(model), "trained_here_minutes": trained_minutes},
               "commands": {v.name: " ".join(["refine run IN OUT", *v.args, "--no-resume"]).replace(str(model), "DIR")
                            for v in variant_list},
               "threads": THREADS, "repeats": args.repeats,
               "timings": [asdict(t) for t in timings]}
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_markdown(results))
    print(f"wrote {args.out}")


def _rate(n: float, seconds: float) -> str:
    r = n / seconds
    return f"{r:,.2f}" if r < 10 else f"{r:,.0f}"


def table(rows: list[dict]) -> list[str]:
    out = ["| refiner | docs | tokens in | docs/s | tokens/s | chars/s | docs/s (pipeline) | tokens/s (pipeline) | "
           "chars/s (pipeline) | wall s | pipeline s: best / median / worst | start-up s | CPU s | model tokens (prompt / gen.) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        model_tokens = f"{r['prompt_tokens']:,} / {r['completion_tokens']:,}" if r["prompt_tokens"] else "–"
        out.append(
            f"| {r['variant']} | {r['docs']} | {r['tokens']:,} | **{_rate(r['docs'], r['wall_s'])}** | "
            f"{_rate(r['tokens'], r['wall_s'])} | {_rate(r['chars'], r['wall_s'])} | "
            f"**{_rate(r['docs'], r['pipeline_s'])}** | {_rate(r['tokens'], r['pipeline_s'])} | "
            f"{_rate(r['chars'], r['pipeline_s'])} | {r['wall_s']:.2f} | {r['pipeline_s']:.2f} / {r['pipeline_median_s']:.2f} / "
            f"{r['pipeline_worst_s']:.2f} | {r['startup_s']:.2f} | {r['cpu_s']:.2f} | {model_tokens} |")
    return out


def render_markdown(r: dict) -> str:
    m, g = r["machine"], r["generative"]
    rows = best(r["timings"])
    prefix = [x for x in rows if x["docs_set"] == "prefix"]
    full = [x for x in rows if x["docs_set"] == "all"]
    loads = [t["load_before"] for t in r["timings"]]
    trained = (f"trained here for {g['trained_here_minutes']:.1f} minutes" if g["trained_here_minutes"]
               else f"trained for {g['minutes']} minutes by bench/bench_generative.py")
    lines = [
        "# Speed of `refine run` end to end on 2 CPU cores",
        "",
        f"`bench/bench_speed.py`, {m['date']}: {m['nproc']} CPU cores ({m['cpu']}), python {m['python']}; "
        f"OMP/MKL/OpenBLAS/Rayon threads = {r['threads']}. The machine is shared with other jobs: 1-minute load "
        f"average {min(loads):.2f}–{max(loads):.2f} at the start of the runs (load average "
        f"{r['load_start'][0]:.2f} before, {r['load_end'][0]:.2f} after).",
        "",
        "Each row is `refine run IN OUT … --no-resume` in a subprocess (the real CLI), best of "
        f"{r['repeats']} interleaved runs. Documents: the synthetic expert's held-out pages (seed 1, text only).",
        "",
        "- **docs/s, tokens/s, chars/s**: over the wall time of the whole command (Python start-up, imports, "
        "model load, reading, refining, applying, writing the output and the audit).",
        "- **(pipeline)**: over `wall_s` of OUTPUT/stats.json, the shard's own time (read, refine, apply, write); "
        "start-up and model load excluded. Start-up s = wall − pipeline of the same run.",
        "- Every column is its own best over the repeats (start-up, wall, pipeline and CPU seconds may come from "
        "different runs); the median and worst pipeline seconds show how much the shared machine moved them.",
        "- Tokens are whitespace tokens of the input and chars its characters, as stats.json counts them; CPU s is "
        "the child's user + system time (less sensitive to the shared machine's load than wall time).",
        "",
        "Commands (IN: a JSONL of the pages; DIR: the generative model):",
        "",
        *[f"- {name}: `{cmd}`" for name, cmd in r["commands"].items()],
        "",
        f"The generative refiner: a `--from-config {g['from_config']}` Llama of **{g['parameters']:,} parameters** "
        f"({trained}, {g['steps']} steps), transformers backend on CPU, greedy, grammar-constrained, `refine run`'s "
        "defaults otherwise (batch 16 documents, prompt budgets from the model's train.json).",
        "",
        f"## The same {prefix[0]['docs'] if prefix else '?'} documents, all refiners",
        "",
        *table(prefix),
        "",
        f"## {full[0]['docs'] if full else '?'} documents, default and rules",
        "",
        *table(full),
        "",
        *reading(prefix, full, g),
        "",
        "Reproduce: `.venv/bin/python bench/bench_speed.py --generative-model DIR` (or without it, to train a "
        "`--size tiny` model for `--train-minutes 3` first).",
        "",
    ]
    return "\n".join(lines)


def reading(prefix: list[dict], full: list[dict], generative: dict) -> list[str]:
    """What the numbers say, computed from them so that a rerun cannot leave a stale sentence."""
    by = {x["variant"]: x for x in full}
    pre = {x["variant"]: x for x in prefix}
    default, two = by.get(SHIPPED), by.get(TWO_THREADS)
    rules = by.get("rules")
    gen = next((x for name, x in pre.items() if name.startswith("generative")), None)
    pre_default = pre.get(SHIPPED)
    out = ["## Reading", ""]
    if default and rules:
        out.append(
            f"- On {default['docs']} pages the default refiner runs at {_rate(default['docs'], default['pipeline_s'])} "
            f"docs/s ({_rate(default['tokens'], default['pipeline_s'])} tokens/s) inside the pipeline and "
            f"{_rate(default['docs'], default['wall_s'])} docs/s for the whole command; rules at "
            f"{_rate(rules['docs'], rules['pipeline_s'])} and {_rate(rules['docs'], rules['wall_s'])} docs/s: rules are "
            f"{default['pipeline_s'] / rules['pipeline_s']:.1f}x faster in the pipeline, "
            f"{default['wall_s'] / rules['wall_s']:.1f}x for the whole command, where start-up "
            f"({default['wall_s'] - default['pipeline_s']:.1f} s for the default: imports and model load; {rules['wall_s'] - rules['pipeline_s']:.1f} s for rules) weighs on both.")
    if default and two:
        faster = "faster" if two["pipeline_s"] < default["pipeline_s"] else "slower"
        out.append(
            f"- `--set threads=2` (two torch threads for the tagger) is {faster} than the shipped single thread here: "
            f"{two['pipeline_s']:.2f} s vs {default['pipeline_s']:.2f} s of pipeline time on {default['docs']} pages "
            f"({two['cpu_s']:.1f} vs {default['cpu_s']:.1f} CPU s for the whole command), on a machine busy with "
            "other jobs; the pipeline's writer thread also needs a core.")
    if gen and pre_default and rules:
        pre_rules = pre["rules"]
        programs = sum(gen["ops"].values()) or 1
        removes = sum(n for op, n in gen["ops"].items() if not op.startswith("keep_"))
        out.append(
            f"- On the same {gen['docs']} pages the generative refiner takes {gen['pipeline_s']:.1f} s of pipeline time "
            f"at best ({_rate(gen['docs'], gen['pipeline_s'])} docs/s; median {gen['pipeline_median_s']:.1f} s, worst "
            f"{gen['pipeline_worst_s']:.1f} s), {gen['pipeline_s'] / pre_default['pipeline_s']:,.0f}x the default's "
            f"{pre_default['pipeline_s']:.2f} s and {gen['pipeline_s'] / pre_rules['pipeline_s']:,.0f}x rules' "
            f"{pre_rules['pipeline_s']:.2f} s, with a model of only {generative['parameters'] / 1e6:.1f}M parameters. "
            f"It pays a prefill for every prompt ({gen['prompt_tokens']:,} prompt tokens for {gen['tokens']:,} input "
            f"tokens) and a decoding step per generated token ({gen['completion_tokens']:,}, "
            f"{gen['completion_tokens'] / programs:.1f} per program over {programs} programs, {removes} of them edits "
            "or drops). That makes it a floor of the generative cost: a model that writes real `remove_lines` programs "
            f"generates more tokens, and a ProX-sized refiner (0.3B) costs ~{3e8 / generative['parameters']:.0f}x more per "
            "token.")
    spread = [x for x in prefix + full if x["pipeline_worst_s"] > 3 * x["pipeline_s"] and x["pipeline_s"] > 0.1]
    if spread:
        out.append(
            "- The shared machine's load (see above) hits processes running two torch threads hardest: " + "; ".join(
                f"{x['variant']} on {x['docs']} pages ranged {x['pipeline_s']:.1f}–{x['pipeline_worst_s']:.1f} s"
                for x in spread) + ". Best-of figures are the least disturbed runs; the documents/s in generative.md is a "
            "single run under such load.")
    out.append(
        f"- On {pre_default['docs'] if pre_default else '?'} pages the default's time is mostly start-up (Python, "
        "torch, the model); its docs/s on the full set is the fairer figure for it.")
    out.append(
        "- Speed is not quality: rules are faster than the default but score a much lower line-F1 on the same "
        "held-out pages (see [tagger.md](tagger.md) for both refiners' line and doc scores); the generative refiner "
        "is the slowest, and a model trained for minutes on this CPU learns the program format, not the task "
        "(see [generative.md](generative.md)).")
    return out


if __name__ == "__main__":
    main()
