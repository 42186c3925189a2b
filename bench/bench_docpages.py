"""The default refiner on real documentation pages, beside `--mode rules` and datatrove's C4 filter.

    .venv/bin/python bench/bench_docpages.py [--model refine/default_model] [--data bench/data/docpages.jsonl.gz]
        [--out bench/results/docpages.md]

The pages are sites built by the real generators (Sphinx and seven themes, MkDocs and three themes,
Doxygen, Javadoc, pdoc) from real projects' sources, labelled by each generator's main-content markup
(`bench/docpages.py`, `bench/build_docpages.sh`); the team wrote none of them. The default trains on
some projects; the ones scored here (`HELDOUT_PROJECTS`) no model trains on. All pages are refined as one corpus, as a user would refine a documentation dump.
Line scores per generator family over its content pages; doc scores over its content pages and the
pages a corpus does not want whole (indexes, search pages, symbol and file lists).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATA = ROOT / "bench/data/docpages.jsonl.gz"
# Scored, never trained on: whole projects of each family, with a theme or two the training never
# shows (Sphinx's book theme, MkDocs' Read the Docs theme).
HELDOUT_PROJECTS = {"sphinx": {"flask", "urllib3", "click", "werkzeug"}, "mkdocs": {"pymdown"},
                    "doxygen": {"zstd", "pybind11"}, "javadoc": {"cordova-android", "device-info"},
                    "pdoc": {"itsdangerous", "markupsafe", "packaging", "pluggy"}}


def is_heldout(record: dict) -> bool:
    return record["project"] in HELDOUT_PROJECTS.get(record["source"], ())


def read_docpages(path: Path = DATA, part: str = "heldout") -> tuple[list, list[dict]]:
    """The pages of `part` ("heldout", "train" or "all") as TaggedDocs (1 = remove) and their records'
    metadata, in the same order."""
    import fsspec

    from refine.tagger.expert import from_rows

    if part not in ("heldout", "train", "all"):
        raise ValueError(f"part must be heldout, train or all, not {part!r}")
    with fsspec.open(str(path), "rt", encoding="utf-8", compression="infer") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    rows = [r for r in rows if part == "all" or is_heldout(r) == (part == "heldout")]
    docs = from_rows(rows)
    meta = [{k: r[k] for k in ("id", "source", "project", "path", "kind")} for r in rows]
    return docs, meta


def training_docpages(path: Path = DATA) -> list:
    """The training projects' pages, each tagged `docs/<family>` (one corpus per generator family)."""
    docs, meta = read_docpages(path, "train")
    for d, m in zip(docs, meta):
        d.source = f"docs/{m['source']}"
    return docs


def evaluate(model_dir: Path, data: Path = DATA, part: str = "heldout") -> dict:
    from realweb_eval import baseline_decisions, score, tagger_decisions, tagger_scores
    from refine.tagger.infer import Tagger

    docs, meta = read_docpages(data, part)
    tagger = Tagger.load(model_dir, threads=1)
    t0 = time.perf_counter()
    decided = {"tagger": tagger_decisions(tagger, docs, scores=tagger_scores(tagger, docs))}
    seconds = time.perf_counter() - t0
    for name, decisions in baseline_decisions(docs).items():
        if not isinstance(decisions, Exception):
            decided[name] = decisions
    families = sorted({m["source"] for m in meta})
    shown = Path(model_dir).resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    out: dict = {"model": str(shown), "part": part, "pages": len(docs), "tagger_seconds": round(seconds, 1),
                 "families": {}}
    for family in families + ["all"]:
        idx = [i for i, m in enumerate(meta) if family in ("all", m["source"])]
        content = [i for i in idx if meta[i]["kind"] == "content"]
        res = {"content pages": len(content), "unwanted pages": len(idx) - len(content),
               "projects": sorted({meta[i]["project"] for i in idx})}
        for name, decisions in decided.items():
            lines = score([docs[i] for i in content], [decisions[i] for i in content])
            pages = score([docs[i] for i in idx], [decisions[i] for i in idx])
            res[name] = {"line": lines["line"], "doc": pages["doc"],
                         "content pages dropped": sum(decisions[i].drop for i in content)}
        out["families"][family] = res
    return out


def table(results: dict) -> str:
    """Markdown: per family, the default beside the baselines (line and drop scores)."""
    rows = ["| family | pages (content + unwanted) | refiner | line P | line R | line F1 | content pages dropped "
            "| drop P | drop R | drop F1 |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for family, res in results["families"].items():
        for name in ("tagger", "rules", "datatrove C4"):
            if name not in res:
                continue
            r = res[name]
            line, doc = r["line"], r["doc"]
            shown = {"tagger": "default (tagger)", "rules": "`--mode rules`"}.get(name, name)
            bold = (lambda x: f"**{x:.3f}**") if name == "tagger" else (lambda x: f"{x:.3f}")
            rows.append(f"| {family} | {res['content pages']} + {res['unwanted pages']} | {shown} | "
                        f"{line['precision']:.3f} | {line['recall']:.3f} | {bold(line['f1'])} | "
                        f"{r['content pages dropped']} | {doc['precision']:.3f} | {doc['recall']:.3f} | {bold(doc['f1'])} |")
    rows.append("")
    rows.append("Projects per family: " + "; ".join(
        f"{f}: {', '.join(r['projects'])}" for f, r in results["families"].items() if f != "all") + ".")
    return "\n".join(rows)


def render(results: dict) -> str:
    heldout = ", ".join(f"{f}: {', '.join(sorted(p))}" for f, p in HELDOUT_PROJECTS.items())
    return (f"# Real documentation pages\n\n"
            f"Generated by `bench/bench_docpages.py` on {time.strftime('%Y-%m-%d')}, model `{results['model']}`: "
            f"the {results['part']} projects of `bench/data/docpages.jsonl.gz` ({results['pages']} pages; built by "
            "`bench/build_docpages.sh`, described in `bench/data/README.md`). Sites built by the real generators from "
            "real projects' sources (PyPI and npm; never Debian's `*-doc` packages), labelled by each generator's own "
            "main-content markup (`bench/docpages.py`): a line is content when most of its text lies in the page's "
            "main element (`role=\"main\"`, `itemprop=\"articleBody\"`, Doxygen's `div.contents`, ...). No model "
            f"trains on these projects ({heldout}); `make default-model` trains on the others. All pages are "
            "refined as one corpus. Line scores: removed lines positive, over the content pages, a dropped page "
            "losing every line. Drop scores: over the content pages and the family's unwanted pages (general and "
            "module indexes, search pages, Doxygen file, symbol and member lists, Javadoc index and tree pages, "
            "404 pages).\n\n" + table(results) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=ROOT / "refine/default_model")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/docpages.md")
    args = ap.parse_args()
    results = evaluate(args.model, args.data)
    args.out.write_text(render(results))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
