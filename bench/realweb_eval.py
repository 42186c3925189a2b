"""Scoring refiners on real labelled pages: the default tagger, `--mode rules` and datatrove's C4 filter.

Shared by `bench/bench_realweb.py` (the cross-source tables in `bench/results/tagger.md`) and
`bench/build_default_model.py` (the model card). Line scores: removed lines are the positive class,
blank lines are not scored, and a dropped document loses every line (end to end, as a user sees it).
Doc scores: drop is the positive class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

# The team's labelled real pages sit beside the checkout; REFINE_REALWEB points elsewhere.
REALWEB = Path(os.environ.get("REFINE_REALWEB", Path(__file__).resolve().parents[2] / "shared/data/realweb"))
VIEWS = {"raw": "train_raw.jsonl.gz", "extracted": "train_extracted.jsonl.gz"}


@dataclass
class Decisions:
    """One document's predicted removals (one flag per line) and whether it is dropped."""

    remove: list[bool]
    drop: bool


def realweb_docs(view: str, sources: Sequence[str] | None = None, root: Path = REALWEB):
    from refine.tagger.expert import read_labelled_pages

    return read_labelled_pages(root / VIEWS[view], sources)


def score(docs, decisions: Sequence[Decisions]) -> dict:
    """Line and doc precision/recall/F1 (see the module docstring)."""
    from refine.tagger.metrics import PRF

    lines, pages = PRF(), PRF()
    for doc, d in zip(docs, decisions, strict=True):
        pages.add([d.drop], [doc.drop])
        for body, label, removed in zip(doc.bodies, doc.labels, d.remove, strict=True):
            if body.strip():
                lines.add([d.drop or removed], [label])
    return {"line": lines.summary(), "doc": pages.summary(), "documents": len(docs),
            "lines": sum(1 for doc in docs for b in doc.bodies if b.strip())}


def tagger_decisions(tagger, docs, line_threshold: float | None = None, doc_threshold: float | None = None,
                     corpus=None, scores=None) -> list[Decisions]:
    """What a `refine.tagger.infer.Tagger` decides, as its refiner would (blank lines absorbed);
    `scores` reuses `tagger.score(docs, corpus)` computed before."""
    from refine.tagger.spans import cut

    lt = tagger.line_threshold if line_threshold is None else line_threshold
    dt = tagger.doc_threshold if doc_threshold is None else doc_threshold
    out = []
    for doc, s in zip(docs, scores if scores is not None else tagger.score(docs, corpus)):
        out.append(Decisions(*cut(doc.bodies, s.remove.tolist(), s.drop, lt, dt)))
    return out


def rules_decisions(docs, preset: str = "web") -> list[Decisions]:
    """`refine run --mode rules` (`--set rules=PRESET`)."""
    from refine.document import Document
    from refine.refiners.rules import RulesConfig, RulesRefiner, parse_rules

    rules, overrides = parse_rules(preset)
    refiner = RulesRefiner(RulesConfig(rules=rules, **overrides))
    out = []
    for i, doc in enumerate(docs):
        verdict = refiner.judge(Document(str(i), doc.text))
        remove = [False] * len(doc.labels)
        for a, b in verdict.removed:
            remove[a:b + 1] = [True] * (b + 1 - a)
        out.append(Decisions(remove, verdict.drop_reason is not None))
    return out


def datatrove_c4_decisions(docs) -> list[Decisions]:
    """datatrove's `C4QualityFilter` with its defaults (needs the `bench` extra): a line counts as
    removed when its stripped text is not a line of the filtered output (datatrove re-joins lines)."""
    from datatrove.data import Document as DTDocument
    from datatrove.pipeline.filters import C4QualityFilter

    c4 = C4QualityFilter()
    out = []
    for i, doc in enumerate(docs):
        d = DTDocument(text=doc.text, id=str(i))
        verdict = c4.filter(d)
        kept = verdict is True or (verdict is not False and verdict[0])
        out_lines = {x.strip() for x in d.text.split("\n")} if kept else set()
        out.append(Decisions([b.strip() not in out_lines for b in doc.bodies], not kept))
    return out


def training_pages(sources, synthetic: int, seed: int, junk: int = 0, junk_kinds=None, docpages: bool = False):
    """Real pages of `sources` in both views, plus synthetic pages; each tagged with its corpus.
    `docpages`: the training projects of the real documentation sites (`bench/bench_docpages.py`)."""
    from refine.tagger.expert import synthetic_docs

    docs = []
    for view in ("raw", "extracted"):
        for d in realweb_docs(view, sources):
            d.source = f"{d.source}/{view}"
            docs.append(d)
    if synthetic:
        for d in synthetic_docs(synthetic, seed, "train"):
            d.source = f"synthetic/{d.source}"
            docs.append(d)
    if junk:
        from refine.tagger.junk import junk_pages, material_from

        material = material_from(realweb_docs("raw", sources))
        docs += junk_pages(junk, seed, material, kinds=junk_kinds)
    if docpages:
        from bench_docpages import training_docpages

        docs += training_docpages()
    return docs


def doc_level_set(source: str, n: int = 200, seed: int = 7):
    """Unwanted pages made from `source`'s material (never trained on) beside as many of its real
    content pages, half raw and half extracted: what the doc stage is judged on."""
    import random

    from refine.tagger.junk import junk_pages, material_from

    raw = realweb_docs("raw", [source])
    junk = junk_pages(n, seed, material_from(raw))
    rng = random.Random(seed)
    content = rng.sample(raw, n // 2) + rng.sample(realweb_docs("extracted", [source]), n - n // 2)
    return junk + content


def corpus_of(doc) -> str:
    """Pages refined together: one corpus per real source and view, one per documentation generator
    family (`docs/<family>`), one for synthetic pages, one for junk."""
    return doc.source if doc.source.count("/") == 1 and not doc.source.startswith(("synthetic", "junk")) \
        else doc.source.split("/")[0]


def threshold_group(doc) -> str | None:
    """The line threshold is tuned on real web pages alone (they are what a user refines), raw pages and
    extractor output weighing alike; sources are pooled within a view (one source's few pages made
    the threshold swing in cross-source runs)."""
    return None if doc.source.startswith(("synthetic", "junk", "docs/", "short/")) else doc.source.rpartition("/")[2]


def with_short_pages(train, n: int, seed: int) -> list:
    """`train` plus up to `n` short content pages cut from its real web pages (`refine.tagger.short`);
    made after the split, so no page of the validation side lends its text."""
    from refine.tagger.short import short_pages

    return list(train) + (short_pages([d for d in train if threshold_group(d)], n, seed) if n else [])


def split(docs, fraction: float, seed: int):
    """Validation pages by page id of the real page (both views on the same side) or by index."""
    import numpy as np

    rng = np.random.default_rng(seed)
    keys = sorted({d.url or d.text[:200] for d in docs})
    val_keys = set(rng.choice(len(keys), max(1, int(len(keys) * fraction)), replace=False).tolist())
    key_index = {k: i for i, k in enumerate(keys)}
    train, val = [], []
    for d in docs:
        (val if key_index[d.url or d.text[:200]] in val_keys else train).append(d)
    return train, val


BASELINES: dict[str, Callable] = {"rules": rules_decisions, "datatrove C4": datatrove_c4_decisions}


def tagger_scores(tagger, docs):
    """The tagger's scores for `docs` refined as one corpus (their own line counts, as a run would)."""
    from refine.tagger.signals import count_corpus

    return tagger.score(docs, count_corpus(docs) if tagger.model.config.corpus_signals else None)


def baseline_decisions(docs) -> dict:
    """Each baseline's decisions for `docs`, or the ImportError that kept it from running."""
    out = {}
    for name, fn in BASELINES.items():
        try:
            out[name] = fn(docs)
        except ImportError as exc:
            out[name] = exc
    return out


SET_NAMES = {"raw": "raw pages", "extracted": "extractor output", "doc-level": "unwanted pages + content pages"}


def cross_source_table(folds: dict, tag: str) -> str:
    """Markdown: for each held-out source of run `tag` and each view, the tagger beside the baselines."""
    rows = ["| held-out source | pages | refiner | line P | line R | line F1 | drop P | drop R | drop F1 |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, run in folds.items():
        name, _, held = key.partition(":")
        if name != tag:
            continue
        for view, by_refiner in run["scores"].items():
            if view not in SET_NAMES:  # short pages have their own table (`bench_realweb.render`)
                continue
            for refiner, r in by_refiner.items():
                if "error" in r:
                    continue
                line, doc = r["line"], r["doc"]
                shown = "default (tagger)" if refiner == "tagger" else ("`--mode rules`" if refiner == "rules" else refiner)
                f1 = f"**{line['f1']:.3f}**" if refiner == "tagger" else f"{line['f1']:.3f}"
                drop = (f"{doc['precision']:.3f} | {doc['recall']:.3f} | **{doc['f1']:.3f}**" if view == "doc-level"
                        else "– | – | –")
                rows.append(f"| {held} | {SET_NAMES[view]} ({r['documents']}) | {shown} | {line['precision']:.3f} | "
                            f"{line['recall']:.3f} | {f1} | {drop} |")
    return "\n".join(rows)
