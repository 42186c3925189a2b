"""Documents/s of the program interpreter (parse + apply) on one core, against plain list deletion.

    .venv/bin/python bench/bench_programs.py [--docs 5000] [--rounds 3] [--out bench/results/programs.md]

Synthetic, seeded web pages of 50-300 lines (prose between navigation, share buttons and footers)
with one refining program each, as a chunk refiner would write for the whole page: 25% are
`keep_chunk()`, the rest 1-8 operations (`remove_lines` of the boilerplate blocks, `remove_str` of a
share suffix, `normalize` of "&nbsp;"), rendered as canonical text. Configurations, same documents,
same process, pinned to one CPU, interleaved block by block over `--rounds` rounds (for each block of
250 documents the best round counts):

- parse (cache warm) + apply: every program text was parsed before, as in a corpus where the same
  programs recur (`keep_chunk()` on most chunks).
- parse (no cache) + apply: `parse(..., cache=False)`, every text parsed from scratch (canonical text
  takes the parser's regex path).
- parse (no cache, model quirks) + apply: the same programs written as models sometimes do (single
  quotes, spaces, positional arguments, in a code fence), which the regex path leaves to libcst.
- apply only: programs parsed beforehand.
- baseline: `str.splitlines(keepends=True)` and `del lines[a:b+1]` of the same line ranges, joined
  (no validation, no `remove_str`/`normalize`, no accounting): the floor any interpreter pays.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import cpu_name, pin_one_core  # noqa: E402

from programs.apply import apply  # noqa: E402
from programs.ops import KeepChunk, Normalize, Program, RemoveLines, RemoveStr  # noqa: E402
from programs.parse import clear_cache, parse  # noqa: E402
from programs.render import render  # noqa: E402

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but "
    "have an they you were her she there been one all we their has would when if so no will more about "
    "can said up what out them some time could into only other new these two may first then do any "
    "like my now over such our man me even most made after also did many before must through back "
    "years where much your way well down should because each just those people how too little state "
    "good very make world still own see men work long get here between both life being under never "
    "day same another know while last might us great old year off come since against go came right "
    "used take three water history science river garden market theory engine village summer"
).split()
NAV = ["Home", "About us", "Contact", "Blog", "Products", "Login", "Register", "Search", "Menu", "Cart"]
SHARE = " Share on Facebook | Tweet | Email"
FOOTER = ["Copyright 2024 Example Media. All rights reserved.", "Privacy policy | Terms of use",
          "Follow us on Twitter", "Subscribe to our newsletter", "Cookie settings"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 22))]
    return " ".join(words).capitalize() + "."


def make_case(rng: random.Random) -> tuple[str, Program]:
    """One page and the program that cleans it."""
    n = rng.randint(50, 300)
    head = rng.randint(2, 6)
    foot = rng.randint(2, 5)
    lines = [rng.choice(NAV) for _ in range(head)]
    shared: list[int] = []
    spaced: list[int] = []
    for _ in range(n - head - foot):
        line = " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.03:
            line += SHARE
            shared.append(len(lines))
        if rng.random() < 0.05:
            line = line.replace(" ", "&nbsp;", 1)
            spaced.append(len(lines))
        lines.append(line)
    lines += [rng.choice(FOOTER) for _ in range(foot)]
    text = "\n".join(lines) + "\n"

    if rng.random() < 0.25:
        return text, Program((KeepChunk(),))
    ops: list = [RemoveLines(0, head - 1)]
    if rng.random() < 0.8:
        ops.append(RemoveLines(n - foot, n - 1))
    ops += [RemoveStr(i, SHARE) for i in shared[:3]]
    if spaced and rng.random() < 0.5:
        ops.append(Normalize("&nbsp;", " "))
    while len(ops) < rng.randint(1, 8):
        a = rng.randint(head, n - foot - 1)
        ops.append(RemoveLines(a, min(a + rng.randint(0, 3), n - foot - 1)))
    rng.shuffle(ops)
    return text, Program(tuple(ops[:8]))


def quirky(text: str) -> str:
    """The same program as a model might write it: single quotes, spaces, positional args, a fence."""
    out = []
    for line in text.splitlines():
        line = line.replace('"', "'").replace("line_start=", "").replace("line_end=", "").replace("(", "( ")
        out.append(line + "  ")
    return "```python\n" + "\n".join(out) + "\n```"


def baseline(text: str, program: Program) -> str:
    """Split, merge the ranges, delete them from the end, join."""
    lines = text.splitlines(keepends=True)
    spans: list[list[int]] = []
    for a, b in sorted((op.line_start, op.line_end) for op in program.ops if type(op) is RemoveLines):
        if spans and a <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    for a, b in reversed(spans):
        del lines[a:b + 1]
    return "".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench/results/programs.md"))
    args = ap.parse_args()

    pinned = pin_one_core()
    rng = random.Random(args.seed)
    cases = [make_case(rng) for _ in range(args.docs)]
    texts = [text for text, _ in cases]
    programs = [program for _, program in cases]
    sources = [render(program) for program in programs]
    quirky_sources = [quirky(source) for source in sources]
    for program, source, odd in zip(programs, sources, quirky_sources):  # the bench measures what it claims
        assert parse(source, cache=False) == program and parse(odd, cache=False) == program, source

    def warm(block: range) -> None:
        for k in block:
            apply(texts[k], parse(sources[k]))

    def cold(block: range) -> None:
        for k in block:
            apply(texts[k], parse(sources[k], cache=False))

    def cold_quirky(block: range) -> None:
        for k in block:
            apply(texts[k], parse(quirky_sources[k], cache=False))

    def apply_only(block: range) -> None:
        for k in block:
            apply(texts[k], programs[k])

    def plain(block: range) -> None:
        for k in block:
            baseline(texts[k], programs[k])

    configs = {
        "parse (cache warm) + apply": warm,
        "parse (no cache) + apply": cold,
        "parse (no cache, model quirks) + apply": cold_quirky,
        "apply only (pre-parsed)": apply_only,
        "baseline: splitlines + del": plain,
    }
    clear_cache()
    warm(range(args.docs))  # fills the cache (and the regex/dialect tables)
    # Blocks of documents, every configuration in turn on each: a burst of load from other jobs
    # then spoils one block of one round, and the best of the rounds per block is kept.
    blocks = [range(k, min(k + 250, args.docs)) for k in range(0, args.docs, 250)]
    per_block: dict[str, list[float]] = {name: [float("inf")] * len(blocks) for name in configs}
    for _ in range(args.rounds):
        for b, block in enumerate(blocks):
            for name, run in configs.items():
                t0 = time.perf_counter()
                run(block)
                per_block[name][b] = min(per_block[name][b], time.perf_counter() - t0)
    best = {name: sum(times) for name, times in per_block.items()}
    for name, seconds in best.items():
        print(f"{name:40s} {args.docs / seconds:10,.0f} docs/s", file=sys.stderr)

    # Sanity: the interpreter and the baseline agree where the program only removes lines.
    for text, program in zip(texts, programs):
        if all(type(op) in (RemoveLines, KeepChunk) for op in program.ops):
            assert apply(text, program).text == baseline(text, program)

    base = best["baseline: splitlines + del"]
    rows = [f"| {name} | {args.docs / s:,.0f} | {1e6 * s / args.docs:,.1f} | {s / base:.1f}x |"
            for name, s in best.items()]
    n_ops = [len(p.ops) for p in programs]
    n_lines = [t.count("\n") for t in texts]
    target = args.docs / best["parse (no cache) + apply"]
    cmd = "python bench/bench_programs.py " + " ".join(sys.argv[1:])
    report = f"""# Program interpreter: parse + apply, documents/s on one core

- Date: {datetime.date.today().isoformat()}; machine: {cpu_name()}, {os.cpu_count()} CPUs visible, {pinned};
  Python {platform.python_version()}, {platform.system()}. Other jobs shared the machine, so absolute
  numbers are noisy; the configurations ran interleaved, 250 documents at a time, over {args.rounds} rounds,
  and the best round of each block counts.
- Command: `{cmd.strip()}`
- Corpus: {args.docs:,} synthetic pages (seed {args.seed}), {min(n_lines)}-{max(n_lines)} lines (mean {sum(n_lines) / len(n_lines):.0f}),
  {sum(map(len, texts)) / len(texts) / 1000:.1f} k characters on average; one program per page, {sum(n_ops) / len(n_ops):.1f}
  operations on average (25% `keep_chunk()`, others 1-8 of `remove_lines`, `remove_str`, `normalize`).

| configuration | docs/s | µs/doc | time vs baseline |
|---|---:|---:|---:|
{chr(10).join(rows)}

Target (issue 2): >= 5,000 documents/s per core including parsing. Without the cache:
{target:,.0f} docs/s ({"met" if target >= 5000 else "missed"}); with it: {args.docs / best["parse (cache warm) + apply"]:,.0f} docs/s.

The baseline only deletes line ranges; the interpreter also validates every operation against the
document and its scope, applies `remove_str` and `normalize`, records an effect or error per
operation and judges the result by the policy. "Model quirks" is the cost of text the parser's
regex path does not read (libcst); models trained on canonical programs rarely emit it, and the
cache absorbs repeats of it.
"""
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
