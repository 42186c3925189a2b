"""`refine eval data`: a raw corpus and its refined version in, every data-level number out.

Documents are paired by id. When the refined side is a `refine run` output, the run's audit says which
documents it saw (a `--limit` run is not blamed for the rest) and what its programs did; otherwise a raw
document missing from the refined corpus was dropped. Cheap metrics use every document; the costly ones
(character diffs, embeddings, a scorer's perplexity) use a sample chosen by hashing ids, so every
variant of a comparison is measured on the same documents.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from evals import diversity, faithfulness, gold as gold_metrics, removals, retention, threshold_sweep
from evals.corpus import Corpus, RefinedCorpus
from evals.encoder import Encoder
from evals.lm_judge import DEFAULT_JUDGE_SAMPLE, LMJudge, judge_numbers, judge_section
from evals.paths import shown_path
from evals.programs_stats import ops_per_document, program_stats
from evals.quality import Scorer, perplexity_summary
from evals.residual_pii import detector_description, pii_counts
from evals.report import Figure, Section, Table, format_value, pct, write_report
from evals import plots
from refine.io import InputError

DEFAULT_SAMPLE = 500
#: distinct-n and compression are measured on the first this-many words of each side at most (memory).
DIVERSITY_MAX_WORDS = 2_000_000


@dataclass
class DataResult:
    """Every number (`numbers`, what report.json holds) and the per-document series plots are drawn from."""

    numbers: dict
    series: dict[str, list] = field(default_factory=dict)


def sample_ids(ids: Sequence[str], n: int) -> list[str]:
    """`n` ids chosen by their hash (all of them for n <= 0): the same ids whatever else is in the corpus."""
    if n <= 0 or n >= len(ids):
        return list(ids)
    return sorted(ids, key=lambda i: hashlib.sha1(i.encode("utf-8")).digest())[:n]


def _noop(_: str) -> None:
    pass


def diversity_words(raw: Corpus, refined: RefinedCorpus) -> int:
    """The most words distinct-n and compression can use on both sides of this pair (see `diversity`).

    A comparison passes the smallest over its variants to every `evaluate_data`, so all columns,
    and the raw one, are measured on the same number of words."""
    ids, _ = _universe(raw, refined)
    raw_words = sum(retention.word_count(raw.texts[i]) for i in ids)
    refined_words = sum(retention.word_count(refined.texts[i]) for i in ids if i in refined.texts)
    return min(raw_words, refined_words, DIVERSITY_MAX_WORDS)


def evaluate_data(raw: Corpus, refined: RefinedCorpus, *, gold: dict | None = None, scorer: Scorer | None = None,
                  encoder: Encoder | None = None, sample: int = DEFAULT_SAMPLE, pii_names: bool = True,
                  diversity_budget: int | None = None, log: Callable[[str], None] = _noop,
                  judge: LMJudge | None = None, judge_sample: int = DEFAULT_JUDGE_SAMPLE) -> DataResult:
    """Every data-level number of `refined` against `raw` (see the module doc); `diversity_budget` caps
    the words distinct-n and compression use (default: `diversity_words` of this pair)."""
    ids, outside = _universe(raw, refined)
    raw_texts = [raw.texts[i] for i in ids]
    ref_texts = [refined.texts.get(i) for i in ids]
    kept = [(i, t, r) for i, t, r in zip(ids, raw_texts, ref_texts) if r is not None]
    kept_ids = {i for i, _, r in kept if r.strip()}
    sampled = sample_ids(ids, sample)
    sampled_kept = [i for i in sampled if i in kept_ids]

    numbers: dict = {
        "raw": {"docs_read": len(raw.texts), "unreadable": raw.unreadable, "duplicate_ids": raw.duplicate_ids,
                "docs_outside_run": outside},
        "refined": {"path": refined.path, "run_dir": refined.run is not None, "docs_read": len(refined.texts),
                    "unreadable": refined.unreadable, "duplicate_ids": refined.duplicate_ids,
                    "ids_not_in_raw": sum(i not in raw.texts for i in refined.texts),
                    "refiner": ((refined.run or {}).get("config") or {}).get("mode")},
        "sample": {"requested": sample, "docs": len(sampled), "kept_docs": len(sampled_kept)},
    }
    series: dict[str, list] = {}

    log("retention")
    numbers["retention"] = retention.retention(raw_texts, ref_texts)
    series["raw_words"] = [retention.word_count(t) for t in raw_texts]
    series["refined_words"] = [retention.word_count(r) for _, _, r in kept]
    series["kept_ratio"] = retention.kept_ratios(raw_texts, ref_texts)
    numbers["removals"] = removals.removal_summary(zip(raw_texts, ref_texts))
    if refined.audit is not None:
        numbers["removals"]["drop_reasons"] = removals.drop_reasons(refined.audit[i] for i in ids)
    numbers["lengths"] = {"raw_words": retention.distribution(series["raw_words"]),
                          "refined_words": retention.distribution(series["refined_words"]),
                          "kept_ratio": retention.distribution(series["kept_ratio"])}

    if refined.audit is not None:
        log("program statistics")
        rows = [refined.audit[i] for i in ids]
        numbers["programs"] = program_stats(rows, refined.dialect, input_words=numbers["retention"]["words_raw"])
        series["ops_per_doc"] = ops_per_document(rows, refined.dialect)

    log("faithfulness")
    numbers["faithfulness"] = _faithfulness(kept, set(sampled))

    log("diversity")
    numbers["diversity"] = _diversity(raw, refined, raw_texts, [r for _, _, r in kept if r.strip()], sampled,
                                      sampled_kept, encoder, diversity_budget)

    if scorer is not None:
        log(f"scoring with {scorer.model_dir}")
        numbers["tokens"], numbers["quality"] = _quality(scorer, raw, refined, raw_texts, kept, sampled,
                                                         sampled_kept)

    if judge is not None:  # the pretrained judge (a proxy): evals/lm_judge.py
        log(f"judging with {judge.name}")
        numbers["judge"], judge_series = judge_numbers(judge, sample_ids(ids, judge_sample), raw.texts, refined.texts,
                                                       sample=judge_sample)
        series.update(judge_series)

    log("residual PII")
    numbers["pii"] = {"detector": detector_description(pii_names),
                      "raw": pii_counts(raw_texts, names=pii_names),
                      "refined": pii_counts((r for _, _, r in kept), names=pii_names)}

    if gold is not None:
        log("agreement with gold labels")
        numbers["gold"] = _gold(gold, ids, raw_texts, ref_texts, refined)
    return DataResult(numbers, series)


def _universe(raw: Corpus, refined: RefinedCorpus) -> tuple[list[str], int]:
    """The raw ids the refined side answers for, and how many raw documents a run did not see."""
    if refined.audit is not None:
        ids = [i for i in raw.texts if i in refined.audit]
        if not ids:
            raise InputError(f"no document of the raw corpus is in {refined.path}'s audit: is the raw corpus "
                             "the input of that run (same ids, same --id-field)?")
        return ids, len(raw.texts) - len(ids)
    ids = list(raw.texts)
    if refined.texts and not any(i in raw.texts for i in refined.texts):
        raise InputError(f"no id of {refined.path} is in the raw corpus: pair them with --id-field, or give "
                         "the refined corpus of this raw one")
    return ids, 0


def _faithfulness(kept: list[tuple[str, str, str]], sampled: set[str]) -> dict:
    novel = words = 0
    for _, t, r in kept:
        n, k = faithfulness.novel_words(t, r)
        novel += n
        words += k
    edits = faithfulness.CharEdits()
    docs_inserting = diffed = refined_chars = 0
    for i, t, r in kept:
        if i not in sampled:
            continue
        e = faithfulness.char_edits(t, r)
        edits += e
        diffed += 1
        refined_chars += len(r)
        docs_inserting += bool(e.inserted or e.replaced)
    return {
        "novel_words": novel,
        "refined_words": words,
        "novel_words_per_1k": 1000 * novel / words if words else 0.0,
        "deletion_subsequence": faithfulness.deletion_subsequence_shares([t for _, t, _ in kept],
                                                                         [r for _, _, r in kept]),
        "char_edits": {"docs": diffed, "inserted": edits.inserted, "replaced": edits.replaced,
                       "deleted": edits.deleted,
                       "inserted_or_replaced_per_1k_chars": (1000 * (edits.inserted + edits.replaced) / refined_chars
                                                             if refined_chars else None),
                       "share_docs_inserting": docs_inserting / diffed if diffed else None},
    }


def _diversity(raw: Corpus, refined: RefinedCorpus, raw_texts: list[str], ref_texts: list[str],
               sampled: list[str], sampled_kept: list[str], encoder: Encoder | None, cap: int | None) -> dict:
    budget = min(sum(map(retention.word_count, raw_texts)), sum(map(retention.word_count, ref_texts)),
                 DIVERSITY_MAX_WORDS if cap is None else cap)
    out: dict = {"words_measured": budget, "encoder": encoder.model_dir if encoder is not None else None}
    for side, texts in (("raw", raw_texts), ("refined", ref_texts)):
        head = diversity.take_words(texts, budget)
        out[side] = {**diversity.distinct(head), "compression_ratio": diversity.compression_ratio(head)}
    if encoder is not None:
        out["raw"]["embedding_distance"] = diversity.mean_pairwise_distance(
            encoder.embed([raw.texts[i] for i in sampled]))
        out["refined"]["embedding_distance"] = diversity.mean_pairwise_distance(
            encoder.embed([refined.texts[i] for i in sampled_kept]))
    return out


def _quality(scorer: Scorer, raw: Corpus, refined: RefinedCorpus, raw_texts: list[str], kept: list,
             sampled: list[str], sampled_kept: list[str]) -> tuple[dict, dict]:
    before = sum(scorer.count_tokens(raw_texts))
    after = sum(scorer.count_tokens([r for _, _, r in kept]))
    tokens = {"tokenizer": scorer.model_dir, "raw": before, "refined": after,
              "kept_ratio": after / before if before else None}
    raw_sample = [raw.texts[i] for i in sampled]
    ref_sample = [refined.texts[i] for i in sampled_kept]
    quality = {"scorer": scorer.model_dir, "kind": scorer.kind}
    if scorer.kind == "classifier":
        for side, texts in (("raw", raw_sample), ("refined", ref_sample)):
            scores = scorer.classify(texts)
            quality[side] = {"docs": len(scores), "mean_score": float(np.mean(scores)) if scores else None}
    else:
        quality["raw"] = perplexity_summary(scorer.nll(raw_sample))
        quality["refined"] = perplexity_summary(scorer.nll(ref_sample))
    return tokens, quality


def _gold(gold: dict, ids: list[str], raw_texts: list[str], ref_texts: list[str | None],
          refined: RefinedCorpus) -> dict:
    audit = refined.audit or {}
    predicted, expected, predicted_kept, expected_kept = [], [], [], []
    sources = {"audit": 0, "alignment": 0}
    pred_drop, gold_drop = [], []
    matched = 0
    for i, t, r in zip(ids, raw_texts, ref_texts):
        g = gold.get(i)
        if g is None:
            continue
        matched += 1
        dropped = r is None or not r.strip()
        if g.drop is not None:
            pred_drop.append(dropped)
            gold_drop.append(g.drop)
        if g.removed is None:
            continue
        lines = gold_metrics.audit_removed_lines(t, audit[i], refined.dialect) if i in audit else None
        sources["audit" if lines is not None else "alignment"] += 1
        if lines is None:
            lines = gold_metrics.aligned_removed_lines(t, r)
        predicted.append(lines)
        expected.append(g.removed)
        if not dropped and not g.drop:
            predicted_kept.append(lines)
            expected_kept.append(g.removed)
    swept = threshold_sweep.sweep(gold, ids, raw_texts, audit) if audit else None
    return {
        **({"sweep": swept} if swept else {}),
        "gold_docs": len(gold), "matched_docs": matched, "missing_docs": len(gold) - matched,
        "lines": gold_metrics.line_scores(predicted, expected) | {"docs": len(predicted)},
        "lines_kept_docs": gold_metrics.line_scores(predicted_kept, expected_kept) | {"docs": len(predicted_kept)},
        "line_sources": sources,
        "docs": gold_metrics.doc_scores(pred_drop, gold_drop) | {"docs": len(pred_drop)},
    }


# --------------------------------------------------------------------------------------------------
# The report


def _clip(values: list[float], q: float = 99) -> tuple[float, float]:
    if not values:
        return (0.0, 1.0)
    hi = float(np.percentile(values, q))
    return (0.0, hi if hi > 0 else 1.0)


def data_sections(result: DataResult) -> list[Section]:
    n, s = result.numbers, result.series
    sections = [_overview(n, s)]
    if "removals" in n:
        sections.append(_removals_section(n["removals"]))
    if "programs" in n:
        sections.append(_programs_section(n["programs"], s.get("ops_per_doc", [])))
    sections.append(_faithfulness_section(n["faithfulness"]))
    sections.append(_diversity_section(n["diversity"]))
    if "quality" in n:
        sections.append(_quality_section(n["tokens"], n["quality"]))
    if "judge" in n:
        sections.append(judge_section(n["judge"], s))
    sections.append(_pii_section(n["pii"]))
    if "gold" in n:
        sections.append(_gold_section(n["gold"]))
    return sections


def _removals_section(r: dict) -> Section:
    tables = []
    if r.get("drop_reasons"):
        tables.append(Table(["reason", "documents", "share of drops"],
                            [[k, v, pct(v / sum(r["drop_reasons"].values()))] for k, v in r["drop_reasons"].items()],
                            "Why documents were dropped"))
    if r["most_removed"]:
        tables.append(Table(["line", "documents"], r["most_removed"], "Most removed lines"))
        tables.append(Table(["line"], [[line] for line in r["removed_once_sample"]],
                            "Lines removed from one document only (a sample: where lost content shows first)"))
    text = (f"{format_value(r['line_removals'])} line removals from kept documents, "
            f"{format_value(r['distinct_lines_removed'])} distinct lines.")
    return Section("What was removed", text, tables)


def _overview(n: dict, s: dict) -> Section:
    r = n["retention"]
    rows = [["documents", r["docs_raw"], r["docs_kept"], pct(r["docs_kept"] / r["docs_raw"] if r["docs_raw"] else None)],
            ["words", r["words_raw"], r["words_refined"], pct(r["kept_ratio_words"])],
            ["characters", r["chars_raw"], r["chars_refined"], pct(r["kept_ratio_chars"])]]
    if "tokens" in n:
        t = n["tokens"]
        rows.append(["scorer tokens", t["raw"], t["refined"], pct(t["kept_ratio"])])
    fates = [["untouched", r["docs_untouched"], pct(r["share_untouched"])],
             ["changed", r["docs_changed"], pct(r["docs_changed"] / r["docs_raw"] if r["docs_raw"] else None)],
             ["emptied", r["docs_emptied"], pct(r["share_emptied"])],
             ["dropped", r["docs_dropped"], pct(r["share_dropped"])]]
    lengths = [[name, d["mean"], d["p10"], d["p50"], d["p90"], d["max"]]
               for name, d in (("raw words / doc", n["lengths"]["raw_words"]),
                               ("refined words / doc (kept)", n["lengths"]["refined_words"]),
                               ("kept ratio / doc", n["lengths"]["kept_ratio"]))]
    notes = []
    if n["raw"]["docs_outside_run"]:
        notes.append(f"{n['raw']['docs_outside_run']:,} raw documents were not part of the run (not counted).")
    if n["refined"]["ids_not_in_raw"]:
        notes.append(f"{n['refined']['ids_not_in_raw']:,} refined documents have ids absent from the raw corpus "
                     "(not counted).")
    if n["raw"]["unreadable"]:
        notes.append(f"{n['raw']['unreadable']:,} raw rows could not be read as documents (not counted).")
    figures = [
        Figure("lengths", plots.histogram({"raw": s["raw_words"], "refined": s["refined_words"]},
                                          title="Document length", xlabel="words per document",
                                          value_range=_clip(s["raw_words"] + s["refined_words"])),
               "Words per document, raw vs refined (kept documents); clipped at the 99th percentile."),
        Figure("kept_ratio", plots.histogram({"kept ratio": s["kept_ratio"]}, title="Kept ratio per document",
                                             xlabel="refined words / raw words (0 = dropped)",
                                             value_range=(0.0, max(1.0, _clip(s["kept_ratio"])[1]))),
               "Share of each document's words that refining kept."),
    ]
    return Section("Retention", " ".join(notes),
                   [Table(["", "raw", "refined", "kept"], rows, "Volume"),
                    Table(["documents", "count", "share"], fates, "What happened to each document"),
                    Table(["distribution", "mean", "p10", "p50", "p90", "max"], lengths, "Lengths")],
                   figures)


def _programs_section(p: dict, ops_per_doc: list[int]) -> Section:
    kinds = list(dict.fromkeys([*p["ops_emitted"], *p["ops_applied"]]))
    ops = [[k, p["ops_emitted"].get(k, 0), p["ops_applied"].get(k, 0), p["ops_per_doc"].get(k, 0.0)] for k in kinds]
    tables = [Table(["outcome", "documents"], [[k, v] for k, v in p["outcomes"].items()], "Outcomes"),
              Table(["operation", "emitted", "applied", "per document"], ops, "Operations")]
    if p["errors"]:
        tables.append(Table(["error code", "count"], [[k, v] for k, v in p["errors"].items()], "Errors"))
    cost = [["programs per document", p["programs_per_doc"]],
            ["documents with errors", pct(p["share_docs_with_errors"])],
            ["rewrites", p["rewrites"]],
            ["prompt tokens", p["prompt_tokens"]], ["generated tokens", p["completion_tokens"]],
            ["generated / prompt token", p["generated_per_prompt_token"]],
            ["generated / input word", p["generated_per_input_word"]]]
    tables.append(Table(["", "value"], cost, "Cost"))
    top = max(ops_per_doc, default=0)
    bins = min(top + 1, 30)  # one bin per count, centred on it, up to 30 counts
    figures = [Figure("ops_per_doc", plots.histogram({"operations": ops_per_doc}, title="Operations per document",
                                                     xlabel="operations emitted", bins=bins,
                                                     value_range=(-0.5, top + 0.5)),
                      "Operations the refiner emitted per document.")]
    if p["errors"]:
        figures.append(Figure("errors", plots.bar_chart(list(p["errors"]), {"errors": list(p["errors"].values())},
                                                        title="Errors by code", ylabel="count")))
    return Section("Programs", "From the run's audit (programs/).", tables, figures)


def _faithfulness_section(f: dict) -> Section:
    e = f["char_edits"]
    rows = [["novel words per 1,000 words", f["novel_words_per_1k"]],
            ["novel words", f["novel_words"]],
            ["deletion-subsequence (whole lines)", pct(f["deletion_subsequence"]["line"])],
            ["deletion-subsequence (characters)", pct(f["deletion_subsequence"]["char"])],
            ["characters inserted", e["inserted"]], ["characters replaced", e["replaced"]],
            ["characters deleted", e["deleted"]],
            ["inserted or replaced per 1,000 refined chars", e["inserted_or_replaced_per_1k_chars"]],
            ["documents with insertions or replacements", pct(e["share_docs_inserting"])]]
    text = ("Over kept documents. Novel words are refined words (\\w+ runs) absent from the raw document "
            "(RefineX: 0.00 for deletion programs, 5.5-19.3 for end-to-end rewriting). Character edits are "
            f"measured on {e['docs']:,} sampled documents.")
    return Section("Faithfulness", text, [Table(["", "value"], rows)])


def _diversity_section(d: dict) -> Section:
    keys = [k for k in ("distinct_1", "distinct_2", "distinct_3", "compression_ratio", "embedding_distance")
            if k in d["raw"]]
    labels = {"distinct_1": "distinct-1", "distinct_2": "distinct-2", "distinct_3": "distinct-3",
              "compression_ratio": "compression ratio (higher: more repetitive)",
              "embedding_distance": "mean pairwise embedding distance"}
    rows = [[labels[k], d["raw"][k], d["refined"][k]] for k in keys]
    distinct = [k for k in keys if k.startswith("distinct")]
    fig = Figure("diversity", plots.bar_chart([labels[k] for k in distinct],
                                              {"raw": [d["raw"][k] for k in distinct],
                                               "refined": [d["refined"][k] for k in distinct]},
                                              title="Distinct n-grams"))
    text = (f"distinct-n and compression on the first {d['words_measured']:,} words of each side (the same number "
            "for both: both measures depend on corpus size); embedding distance on the sampled documents.")
    if not d["encoder"]:
        text += " No encoder given (--encoder DIR or auto): embedding distance not measured."
    return Section("Diversity", text, [Table(["", "raw", "refined"], rows)], [fig])


def _quality_section(tokens: dict, q: dict) -> Section:
    if q["kind"] == "classifier":
        rows = [["mean score", q["raw"]["mean_score"], q["refined"]["mean_score"]],
                ["documents scored", q["raw"]["docs"], q["refined"]["docs"]]]
        series = {"raw": [q["raw"]["mean_score"]], "refined": [q["refined"]["mean_score"]]}
        cats = ["mean score"]
    else:
        rows = [["mean document perplexity", q["raw"]["mean_doc_ppl"], q["refined"]["mean_doc_ppl"]],
                ["token perplexity", q["raw"]["token_ppl"], q["refined"]["token_ppl"]],
                ["documents scored", q["raw"]["docs"], q["refined"]["docs"]],
                ["tokens scored", q["raw"]["tokens"], q["refined"]["tokens"]]]
        series = {"raw": [q["raw"]["mean_doc_ppl"], q["raw"]["token_ppl"]],
                  "refined": [q["refined"]["mean_doc_ppl"], q["refined"]["token_ppl"]]}
        cats = ["mean document ppl", "token ppl"]
    text = f"Scorer: {q['scorer']} ({q['kind']}), on the sampled documents (refined: those kept)."
    return Section("Quality under a scorer", text, [Table(["", "raw", "refined"], rows)],
                   [Figure("quality", plots.bar_chart(cats, series, title="Scorer"))])


def _pii_section(p: dict) -> Section:
    kinds = list(dict.fromkeys([*p["raw"]["by_kind"], *p["refined"]["by_kind"]]))
    rows = [[k, p["raw"]["by_kind"].get(k, 0), p["refined"]["by_kind"].get(k, 0)] for k in kinds]
    rows += [["all spans", p["raw"]["spans"], p["refined"]["spans"]],
             ["documents with PII", p["raw"]["docs_with_pii"], p["refined"]["docs_with_pii"]]]
    figures = []
    if kinds:
        figures.append(Figure("pii", plots.bar_chart(kinds, {"raw": [r[1] for r in rows[:len(kinds)]],
                                                             "refined": [r[2] for r in rows[:len(kinds)]]},
                                                     title="PII spans by kind", ylabel="spans")))
    return Section("Residual PII", f"Detector: {p['detector']}.", [Table(["kind", "raw", "refined"], rows)], figures)


def _gold_section(g: dict) -> Section:
    def row(name: str, m: dict) -> list:
        return [name, m["docs"], m["precision"], m["recall"], m["f1"], m["tp"], m["fp"], m["fn"]]

    rows = [row("removed lines (dropped docs: all lines)", g["lines"]),
            row("removed lines (docs kept by both)", g["lines_kept_docs"]),
            row("dropped documents", g["docs"])]
    src = g["line_sources"]
    text = (f"{g['matched_docs']:,} of {g['gold_docs']:,} gold documents matched ({g['missing_docs']:,} not in the "
            f"evaluated corpus). Removed lines read from the audit for {src['audit']:,} documents, from aligning "
            f"raw and refined lines for {src['alignment']:,}. Removal is the positive class.")
    fig = Figure("gold", plots.bar_chart(["precision", "recall", "F1"],
                                         {"lines": [g["lines"]["precision"], g["lines"]["recall"], g["lines"]["f1"]],
                                          "documents": [g["docs"]["precision"], g["docs"]["recall"], g["docs"]["f1"]]},
                                         title="Agreement with gold"))
    figures = [fig]
    if g.get("sweep"):
        text += _sweep_text(g["sweep"])
        for level in ("lines", "documents"):
            curve = g["sweep"][level]
            if any(p["f1"] is not None for p in curve):
                figures.append(Figure(f"gold_sweep_{level}", plots.line_chart(
                    {m: [(p["threshold"], p[m]) for p in curve] for m in ("precision", "recall", "f1")},
                    title=f"{level.capitalize()}: agreement with gold by threshold", xlabel="threshold",
                    ylabel="score")))
    return Section("Agreement with gold labels", text,
                   [Table(["level", "docs", "precision", "recall", "F1", "TP", "FP", "FN"], rows)], figures)


def _sweep_text(s: dict) -> str:
    """Where F1 peaks, and the command that writes the corpus cut there."""
    lines, docs = threshold_sweep.best(s["lines"]), threshold_sweep.best(s["documents"])
    text = (f"\n\nFrom the scores in the audit ({s['docs']:,} gold documents), at thresholds "
            f"{s['lines'][0]['threshold']}–{s['lines'][-1]['threshold']}: line F1 peaks at {format_value(lines['f1'])} "
            f"(threshold {lines['threshold']})")
    if docs["f1"] is not None:
        text += f", document F1 at {format_value(docs['f1'])} (doc threshold {docs['threshold']})"
    return text + (f". `refine recut RUN NEW_RUN --threshold {lines['threshold']}"
                   + (f" --doc-threshold {docs['threshold']}" if docs["f1"] is not None else "")
                   + "` writes that corpus without running the model again.")


def write_data_report(out_dir: str, result: DataResult, raw_spec: str, refined_spec: str) -> dict:
    raw_spec, refined_spec = shown_path(raw_spec), shown_path(refined_spec)  # a report names no machine paths
    numbers = {"command": "eval data", "raw_input": raw_spec, "refined_input": refined_spec, **result.numbers}
    if (numbers.get("refined") or {}).get("path"):
        numbers["refined"] = {**numbers["refined"], "path": shown_path(numbers["refined"]["path"])}
    r = result.numbers["retention"]
    subtitle = (f"{raw_spec} → {refined_spec}: {format_value(r['docs_kept'])} of {format_value(r['docs_raw'])} "
                f"documents kept, {pct(r['kept_ratio_words'])} of words.")
    return write_report(out_dir, "Refined vs raw data", data_sections(result), numbers, subtitle)
