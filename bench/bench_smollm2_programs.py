"""The SmolLM2 program refiner against the default tagger and the rules, on the same held-out real pages.

Pages: realweb's raw view, source L3S-GN1 (never trained on), the first N by a hash of their id. Gold: the
labels expert (`refine.annotate.labels`) over them, chunked with the model's tokenizer at its training
budgets, so the model is scored on exactly the prompts `refine run --mode programs` sends.

- SmolLM2 stage by stage (`evals.refiner_eval`): doc stage on every page, chunk stage on the pages the
  gold keeps; validity, exact match, line and doc P/R/F1, docs/s and tokens/s of generation.
- Everyone end to end (a dropped page loses every line; `evals.refiner_metrics.score`), same pages:
  `--mode default` (the shipped tagger), `--mode rules`, and SmolLM2 (its doc and chunk programs).

    /tmp/heavy .venv/bin/python bench/bench_smollm2_programs.py --n 30 --threads 1
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ROOT.parent / "shared" / "data" / "realweb" / "train_raw.jsonl.gz"


def heldout_pages(path: Path, source: str, n: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        pages = [r for r in map(json.loads, f) if r.get("source") == source]
    pages.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    return pages[:n]


def gold_docs(pages: list[dict], tokenizer, chunk_tokens: int, doc_tokens: int):
    from refine.annotate.dataset import Prompter, Stats
    from refine.annotate.labels import annotate_labels
    from refine.document import Document
    from refine.train.data import gold_documents

    docs = [Document(p["id"], p["text"], {k: v for k, v in p.items() if k not in ("id", "text")}) for p in pages]
    rows = list(annotate_labels(docs, Stats(), Prompter(chunk_tokens, doc_tokens, tokenizer)))
    return gold_documents(rows)


class Counting:
    """A backend that sums the tokens and seconds of the requests it serves."""

    def __init__(self, inner):
        self.inner, self.prompt_tokens, self.completion_tokens, self.seconds = inner, 0, 0, 0.0

    def generate(self, requests):
        started = time.perf_counter()
        out = self.inner.generate(requests)
        self.seconds += time.perf_counter() - started
        self.prompt_tokens += sum(c.prompt_tokens for c in out)
        self.completion_tokens += sum(c.completion_tokens for c in out)
        return out

    def __getattr__(self, name):
        return getattr(self.inner, name)


def end_to_end(docs, refs):
    from evals.refiner_metrics import DocPrograms
    from programs.render import render

    out = []
    for doc, ref in zip(docs, refs):
        doc_program = next((p.text for p in ref.programs if p.stage == "doc"), "keep_doc()")
        out.append(DocPrograms(doc.id, doc.text, doc.drop, gold=[(render(p), p.scope) for p in doc.programs],
                               predicted_doc=doc_program,
                               predicted=[(p.text, p.scope) for p in ref.programs if p.stage == "chunk"],
                               aligned=False))
    return out


def run_refiner(refiner, docs):
    from refine.document import Document

    documents = [Document(d.id, d.text) for d in docs]
    started = time.perf_counter()
    if refiner.needs_prepare:
        refiner.prepare(documents)
    refs = refiner.refine(documents)
    return refs, time.perf_counter() - started


def git_commit(path: str) -> str:
    try:
        return subprocess.run(["git", "log", "-1", "--format=%h %cs", "--", path], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip() or "uncommitted"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-programs")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--source", default="l3s-gn1")
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--modes", default="constrained", help="decoding modes to score: constrained, free or both")
    parser.add_argument("--skip", default="", help="comma-separated: smollm2, default, rules")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "smollm2_programs.json")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from evals.refiner_eval import EvalSettings, predict
    from evals.refiner_metrics import score
    from refine.options import RunOptions
    from refine.refiners import build_refiner
    from refine.train.sft import read_record

    skip = set(filter(None, args.skip.split(",")))
    result = json.loads(args.out.read_text()) if args.out.is_file() else {}
    pages = heldout_pages(args.pages, args.source, args.n)
    settings = EvalSettings.for_model(read_record(args.model))
    result.update({"machine": f"{platform.machine()}, {args.threads} torch thread(s), shared 2-core CPU",
                   "model": args.model, "source": args.source, "n": len(pages), "settings": vars(settings) | {
                       "stages": list(settings.stages)}, "record": {k: read_record(args.model).get(k) for k in (
                           "steps", "train_tokens", "loss_tokens", "minutes", "heldout_loss", "documents", "examples")}})
    result.setdefault("end_to_end", {})

    if "smollm2" not in skip:
        from refine.backends.transformers_backend import TransformersBackend

        started = time.perf_counter()
        backend = Counting(TransformersBackend(args.model, device="cpu", batch_size=args.batch_size))
        load_seconds = time.perf_counter() - started
        docs = gold_docs(pages, backend.tokenizer, settings.chunk_tokens, settings.doc_tokens)
        stagewise = {}
        modes = set(filter(None, args.modes.split(",")))
        for constrained in [c for c, name in ((True, "constrained"), (False, "free")) if name in modes]:
            backend.prompt_tokens = backend.completion_tokens = 0
            backend.seconds = 0.0
            predictions, facts = predict(backend, backend.tokenizer, docs, settings, constrained)
            mode = "constrained" if constrained else "free"
            if constrained:
                last_constrained = (predictions, facts)
            stagewise[mode] = {**score(predictions, settings.dialect), "generation": facts,
                               "prompt_tokens": backend.prompt_tokens, "completion_tokens": backend.completion_tokens,
                               "seconds": round(backend.seconds, 1),
                               "tokens_per_s": round((backend.prompt_tokens + backend.completion_tokens) / backend.seconds, 1)}
            print(mode, json.dumps({k: stagewise[mode][k] for k in ("validity", "line", "doc", "errors")}), flush=True)
        result["smollm2"] = {"load_seconds": round(load_seconds, 1), "stagewise": stagewise}
        if "constrained" not in stagewise:
            args.out.write_text(json.dumps(result, indent=2) + "\n")
            return
        # End to end from the same constrained generation: a page its doc program drops loses every line.
        predictions, facts = last_constrained
        e2e = stagewise["constrained"]
        result["end_to_end"]["smollm2"] = {**score(predictions, settings.dialect, drop_removes_lines=True),
                                           "seconds": e2e["seconds"], "docs_per_s": round(len(docs) / e2e["seconds"], 4),
                                           "tokens_per_s": e2e["tokens_per_s"]}
        backend.close()
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    else:
        from transformers import AutoTokenizer

        from refine.named_models import resolve

        docs = gold_docs(pages, AutoTokenizer.from_pretrained(resolve(args.model)), settings.chunk_tokens,
                         settings.doc_tokens)

    from programs.lines import split_lines

    result["lines_total"] = sum(len(split_lines(d.text)) for d in docs)  # to score the kept (content) lines too
    for mode in ("default", "rules"):
        if mode in skip:
            continue
        refiner = build_refiner(RunOptions(mode=mode, batch_size=args.batch_size))
        refs, seconds = run_refiner(refiner, docs)
        result["end_to_end"][mode] = {**score(end_to_end(docs, refs), drop_removes_lines=True),
                                      "seconds": round(seconds, 2), "docs_per_s": round(len(docs) / seconds, 2)}
        if mode == "default":
            result["end_to_end"][mode]["default_model_commit"] = git_commit("refine/default_model")
        refiner.close()
        print(mode, json.dumps(result["end_to_end"][mode]["line"]), flush=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
