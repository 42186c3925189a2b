"""PII rewriting on the benchmark's held-out documents: regex baselines, the untuned base model (few-shot)
and the fine-tuned rewriter, each scored by `evals.pii_score` with the same documents.

For the models, two outputs are scored: the model's first answer as it came (no guards), and what
`--mode rewrite` keeps after its guards, one retry, the stand-in program and the `keep` fallback. The
guards' firing rates are over first attempts; `done` counts the step of the chain each document ended on.

    /tmp/heavy .venv/bin/python bench/bench_rewrite.py --docs 40 --systems regex,base,tuned

Writes bench/results/rewrite.json (merged with earlier systems' entries, so systems can run apart).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from pathlib import Path

import torch

from evals.pii_bench import make_docs
from evals.pii_score import GDR_ANCHOR, score
from refine.backends.base import Backend, Request
from refine.document import Document
from refine.pii import detect_pii
from refine.prompts import INSTRUCTIONS, PROX
from refine.refiners.rewrite import RewriteRefiner, clean_output
from refine.standins import standin_program

RESULTS = Path("bench/results/rewrite.json")
FEW_SHOT = 2


class Recording(Backend):
    """A backend wrapper keeping each request's first completion (the unguarded answer)."""

    def __init__(self, inner: Backend, few_shot: tuple[dict, ...] = ()):
        self.inner, self.few_shot = inner, few_shot
        self.model = inner.model
        self.first: dict[str, str] = {}

    def generate(self, requests):
        if self.few_shot:  # example exchanges between the system message and the real request
            requests = [Request(messages=(r.messages[0], *self.few_shot, *r.messages[1:]), max_new_tokens=r.max_new_tokens,
                                temperature=r.temperature, stop=r.stop) for r in requests]
        done = self.inner.generate(requests)
        for r, c in zip(requests, done):
            self.first.setdefault(r.messages[-1]["content"].split("[text]\n", 1)[-1].split("\n[/text]")[0], c.text)
        return done

    def close(self):
        self.inner.close()


def few_shot_messages(k: int) -> tuple[dict, ...]:
    """k train-split pairs (never held-out ones) as user/assistant turns."""
    shots = [d for d in make_docs("train", 40, seed=99) if d.pii][:k]
    out: list[dict] = []
    for d in shots:
        out += [{"role": "user", "content": PROX.rewrite_messages(INSTRUCTIONS["pii"].text, d.text)[1]["content"]},
                {"role": "assistant", "content": d.target}]
    return tuple(out)


def regex_systems(docs) -> dict:
    results = {}
    started = time.perf_counter()
    redacted = {}
    for d in docs:
        text = d.text
        for s in reversed(detect_pii(text)):
            text = text[:s.start] + "[REDACTED]" + text[s.end:]
        redacted[d.id] = text
    results["regex_redact"] = {"about": "detect-and-redact: refine.pii spans replaced by [REDACTED]",
                               "seconds": time.perf_counter() - started, "final": score(docs, redacted)}
    started = time.perf_counter()
    from programs.apply import apply

    standins = {d.id: apply(d.text, standin_program(d.id, d.text, detect_pii(d.text))).text for d in docs}
    results["regex_standins"] = {"about": "refine.pii spans replaced by the stand-in program (the fallback alone)",
                                 "seconds": time.perf_counter() - started, "final": score(docs, standins)}
    return results


def model_system(docs, model: str, few_shot: int, batch_size: int) -> dict:
    from refine.backends.transformers_backend import TransformersBackend

    loaded = time.perf_counter()
    inner = TransformersBackend(model, device="cpu", batch_size=batch_size)
    backend = Recording(inner, few_shot_messages(few_shot) if few_shot else ())
    refiner = RewriteRefiner(backend, inner.tokenizer, INSTRUCTIONS["pii"], fallback="keep")
    load_s = time.perf_counter() - loaded
    started = time.perf_counter()
    refs = refiner.refine([Document(d.id, d.text) for d in docs])
    seconds = time.perf_counter() - started
    final, first = {}, {}
    fired, done = Counter(), Counter()
    for d, ref in zip(docs, refs):
        if ref.programs and ref.programs[0].text == "drop_doc()":
            final[d.id] = None
        else:
            final[d.id] = ref.rewrite if ref.rewrite is not None else d.text
        first[d.id] = clean_output(backend.first.get(d.text, ""))
        chunk_attempts = [c["attempts"][0] for c in ref.audit["chunks"] if c["attempts"]]
        for attempt in chunk_attempts:
            for g in attempt["guards"]:
                fired[g["name"]] += not g["passed"]
        done[ref.audit["done"]] += 1
    n = len(docs)
    return {"model": model, "few_shot": few_shot, "load_seconds": round(load_s, 1), "seconds": round(seconds, 1),
            "docs_per_s": round(n / seconds, 4), "completion_tokens": sum(r.completion_tokens for r in refs),
            "prompt_tokens": sum(r.prompt_tokens for r in refs),
            "first_attempt": score(docs, first), "final": score(docs, final),
            "guard_fired_on_first_attempt": {k: round(v / n, 4) for k, v in sorted(fired.items())},
            "first_attempt_passed": round(done["rewritten"] / n, 4),
            "done": dict(done), "samples": {d.id: {"source": d.text, "first": first[d.id], "final": final[d.id]}
                                            for d in docs[:6]}}


def tables(report: dict) -> str:
    """The Markdown tables of bench/results/rewrite.md, from rewrite.json."""
    from evals.pii_bench import PII_KINDS, PUBLIC_KINDS

    rows = []
    for name, s in report["systems"].items():
        outputs = [("first answer, unguarded", s["first_attempt"])] if "first_attempt" in s else []
        outputs.append(("guarded result" if "first_attempt" in s else "output", s["final"]))
        for label, f in outputs:
            rows.append((name, label, f))
    head = "| system | output | recall | precision | F1 | novel words /1k outside PII | consistent people | docs/s |"
    lines = [head, "|" + "---|" * 8]
    for name, label, f in rows:
        rate = report["systems"][name].get("docs_per_s") or round(f["docs"] / max(report["systems"][name]["seconds"], 1e-9))
        lines.append(f"| {name} | {label} | {f['recall']} | {f['precision']} | {f['f1']} | "
                     f"{f['novel_words_per_1k_outside_pii']} | {f['consistent_people']} | {rate} |")
    lines += ["", "| system | output | " + " | ".join(PII_KINDS) + " | " + " | ".join(f"kept {k}" for k in PUBLIC_KINDS) + " |",
              "|" + "---|" * (2 + len(PII_KINDS) + len(PUBLIC_KINDS))]
    for name, label, f in rows:
        lines.append(f"| {name} | {label} | " + " | ".join(str(f["recall_by_kind"].get(k, "")) for k in PII_KINDS) + " | "
                     + " | ".join(str(f["public_kept_by_kind"].get(k, "")) for k in PUBLIC_KINDS) + " |")
    guards = sorted({g for s in report["systems"].values() for g in s.get("guard_fired_on_first_attempt", {})})
    lines += ["", "| system | first answer passed | " + " | ".join(guards) + " | done |", "|" + "---|" * (3 + len(guards))]
    for name, s in report["systems"].items():
        if "guard_fired_on_first_attempt" in s:
            fired = s["guard_fired_on_first_attempt"]
            lines.append(f"| {name} | {s['first_attempt_passed']} | " + " | ".join(str(fired.get(g, 0)) for g in guards)
                         + " | " + ", ".join(f"{k} {v}" for k, v in sorted(s["done"].items())) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--systems", default="regex,base,tuned")
    ap.add_argument("--tuned", default="smollm2-135m-pii")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--tables", action="store_true", help="print the Markdown tables of --out and stop")
    args = ap.parse_args()
    if args.tables:
        print(tables(json.loads(Path(args.out).read_text())))
        return
    torch.set_num_threads(args.threads)
    docs = make_docs("heldout", args.docs, args.seed)
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.is_file() else {}
    report.update({"docs": f"evals.pii_bench.make_docs('heldout', {args.docs}, seed={args.seed})",
                   "machine": f"{platform.processor() or platform.machine()}, {args.threads} thread(s)",
                   "gdr_anchor": GDR_ANCHOR})
    systems = report.setdefault("systems", {})
    out.parent.mkdir(parents=True, exist_ok=True)
    for system in args.systems.split(","):  # in the order given, each saved as soon as it is done
        if system == "regex":
            systems.update(regex_systems(docs))
        elif system == "base":
            systems["base_few_shot"] = model_system(docs, "smollm2-135m", FEW_SHOT, args.batch_size)
        elif system == "tuned":
            systems["tuned"] = model_system(docs, args.tuned, 0, args.batch_size)
        else:
            raise SystemExit(f"unknown system {system!r}: regex, base or tuned")
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name, s in systems.items():
        f = s["final"]
        print(f"{name:16s} recall {f['recall']} precision {f['precision']} f1 {f['f1']} "
              f"novel/1k {f['novel_words_per_1k_outside_pii']} {s.get('docs_per_s', '')}")


if __name__ == "__main__":
    main()
