"""The tagger refiner (the shipped default unless `--model`) against the `rules` refiner: quality and speed.

    .venv/bin/python bench/bench_tagger.py [--model DIR] [--heldout-docs 400] [--threads 2]
        [--out bench/results/tagger.md]

Quality: line P/R/F1 of removed lines and doc P/R/F1 of drops (`evals.refiner_metrics.score`, end to
end: a dropped document loses every line) on the synthetic expert's HELD-OUT split (seed 1: clean text
from man pages and licenses, boilerplate from the held-out template family; training never saw
either), and on the team's hand-written pages (`bench/data/tagger_pages.txt`: realistic, but written by
us, so a sanity check, not the judged real-page score). Speed: documents/s and lines/s on `--threads`
CPU threads, refining + parsing + applying the programs (what `refine run` does between reading and
writing), for both refiners on the same documents; the tagger's line-embedding cache starts empty.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ROOT / "bench/data/tagger_pages.txt"


@dataclass
class GoldDoc:
    """A document with its gold decisions, whatever it came from."""

    id: str
    text: str
    labels: list[int]
    drop: bool


def heldout_docs(n: int, seed: int = 1) -> list[GoldDoc]:
    from refine.annotate.synthetic import generate_synthetic

    return [GoldDoc(s.id, s.text, list(s.labels), s.drop) for s in generate_synthetic(n, seed, "heldout")]


def hand_pages(path: Path = PAGES) -> list[GoldDoc]:
    """Pages of `=== id keep|drop` headers and lines marked "- " (remove) or "  " (keep)."""
    docs: list[GoldDoc] = []
    lines: list[str] = []
    labels: list[int] = []
    header = None

    def close() -> None:
        if header is not None:
            docs.append(GoldDoc(header[0], "\n".join(lines) + "\n", list(labels), header[1] == "drop"))

    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#"):
            continue
        if raw.startswith("=== "):
            close()
            name, verdict = raw[4:].split()
            header, lines, labels = (name, verdict), [], []
            continue
        marker, body = raw[:2], raw[2:]
        if marker not in ("- ", "  ") and raw not in ("-", ""):
            raise ValueError(f"{path}: line {raw!r} starts with neither '- ' nor '  '")
        labels.append(int(raw.startswith("-")))
        lines.append(body)
    close()
    return docs


def doc_programs(docs: list[GoldDoc], refinements) -> list:
    """The refiner's programs beside the gold ones, as `evals.refiner_metrics.score` reads them."""
    from evals.refiner_metrics import DocPrograms
    from refine.annotate.synthetic import label_runs

    out = []
    for doc, ref in zip(docs, refinements):
        gold = "\n".join(f"remove_lines(line_start={a}, line_end={b})" for a, b in label_runs(doc.labels))
        dropped = any(p.stage == "doc" and p.text.strip() == "drop_doc()" for p in ref.programs)
        out.append(DocPrograms(doc.id, doc.text, doc.drop, gold=[(gold or "keep_chunk()", None)],
                               predicted_doc="drop_doc()" if dropped else "keep_doc()",
                               predicted=[(p.text, p.scope) for p in ref.programs if p.stage == "chunk"],
                               aligned=False))
    return out


def run_refiner(refiner, docs: list[GoldDoc]) -> tuple[list, float]:
    """Refine, parse and apply every document; returns the refinements and the seconds it took."""
    from programs.apply import apply
    from programs.parse import try_parse
    from refine.document import Document

    documents = [Document(d.id, d.text) for d in docs]
    started = time.perf_counter()
    if refiner.needs_prepare:
        refiner.prepare(documents)
    refinements = refiner.refine(documents)
    for doc, ref in zip(documents, refinements):
        apply(doc.text, [try_parse(p.text, "prox", scope=p.scope) for p in ref.programs])
    return refinements, time.perf_counter() - started


def evaluate(refiner, docs: list[GoldDoc]) -> dict:
    from evals.refiner_metrics import score

    refinements, seconds = run_refiner(refiner, docs)
    s = score(doc_programs(docs, refinements), drop_removes_lines=True)
    lines = sum(len(d.labels) for d in docs)
    return {"line": s["line"]["micro"], "doc": {k: s["doc"][k] for k in ("precision", "recall", "f1")},
            "validity": s["validity"]["all"], "errors": s["errors"], "documents": len(docs), "lines": lines,
            "seconds": round(seconds, 2), "docs_per_s": round(len(docs) / seconds, 1),
            "lines_per_s": round(lines / seconds, 0)}


def tagger_refiner(model_dir: str | None):
    from refine.options import RunOptions
    from refine.refiners import default, tagger

    if model_dir:
        return tagger.from_options(RunOptions(mode="tagger", model=model_dir))
    return default.from_options(RunOptions(mode="default"))


def rules_refiner():
    from refine.options import RunOptions
    from refine.refiners import rules

    return rules.from_options(RunOptions(mode="rules"))


def compare(model_dir: str | None, heldout: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    sets = {"synthetic held-out": heldout_docs(heldout), "hand-written pages": hand_pages()}
    results: dict = {}
    for name, make in (("tagger", lambda: tagger_refiner(model_dir)), ("rules", rules_refiner)):
        refiner = make()  # fresh, so the tagger's embedding cache starts empty on each set
        results[name] = {}
        for set_name, docs in sets.items():
            results[name][set_name] = evaluate(refiner, docs)
            refiner = make()
    return results


def _f(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown_table(results: dict) -> str:
    rows = ["| set | refiner | line P | line R | line F1 | doc P | doc R | doc F1 | docs/s | lines/s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    set_names = list(next(iter(results.values())))
    for set_name in set_names:
        for refiner, by_set in results.items():
            r = by_set[set_name]
            line, doc = r["line"], r["doc"]
            rows.append(f"| {set_name} ({r['documents']} docs, {r['lines']} lines) | {refiner} | {_f(line['precision'])} | "
                        f"{_f(line['recall'])} | **{_f(line['f1'])}** | {_f(doc['precision'])} | {_f(doc['recall'])} | "
                        f"{_f(doc['f1'])} | {r['docs_per_s']:.0f} | {r['lines_per_s']:.0f} |")
    return "\n".join(rows)


def render_markdown(results: dict, args) -> str:
    return f"""# Tagger refiner vs rules

Generated by `bench/bench_tagger.py` on {datetime.date.today()} ({platform.machine()}, {args.threads} CPU threads,
python {platform.python_version()}), model: `{args.model or 'refine/default_model (the shipped default)'}`.

{markdown_table(results)}

- Line scores: removed lines are the positive class, pooled over the documents the gold keeps; a document
  the refiner drops loses every line. Doc scores: drop is the positive class.
- Synthetic held-out: the synthetic expert's held-out split (man pages and licenses wrapped in the
  held-out boilerplate family); the tagger was trained on other sources and other templates. Synthetic
  pages are not real pages: the real-page score is judged by others, on pages nobody on the team wrote.
- Hand-written pages: {len(hand_pages())} pages in the style of real sites written by the team
  (`bench/data/tagger_pages.txt`); too few to do more than catch gross failures.
- Speed: refine + parse + apply on {args.threads} threads, the whole set in one call (the tagger batches
  lines across documents; its embedding cache starts empty for each set). The machine is shared, so
  absolute numbers vary with load; the two refiners ran back to back.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="a tagger directory (default: the shipped default)")
    ap.add_argument("--heldout-docs", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for this small network)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/tagger.md")
    args = ap.parse_args()
    results = compare(args.model, args.heldout_docs, args.threads)
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = args.out.read_text() if args.out.is_file() else ""
    start, end = "<!-- realweb:start -->", "<!-- realweb:end -->"
    kept = old[old.index(start):old.index(end) + len(end)] + "\n\n" if start in old and end in old else ""
    head, _, rest = render_markdown(results, args).partition("\n")
    args.out.write_text(head + "\n\n" + kept + rest)  # the real-page tables (bench_realweb.py) stay on top
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
