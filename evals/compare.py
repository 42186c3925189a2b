"""`refine eval compare`: several refined variants of one raw corpus, side by side.

Every variant is measured by `evaluate_data` with the same options and the same sampled documents, so
the columns differ only in the refiner. The table shows the headline numbers; report.json holds each
variant's full numbers.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from evals import plots
from evals.data_report import DataResult, _clip
from evals.report import Figure, Section, Table, format_value, pct, write_report

Path_ = tuple[str, ...]

#: (label, where in a variant's numbers, where in the raw side's numbers or None, formatter)
HEADLINE: tuple[tuple[str, Path_, Path_ | None, Callable[[Any], str]], ...] = (
    ("documents", ("retention", "docs_kept"), ("retention", "docs_raw"), format_value),
    ("words", ("retention", "words_refined"), ("retention", "words_raw"), format_value),
    ("share of words kept", ("retention", "kept_ratio_words"), None, pct),
    ("documents untouched", ("retention", "share_untouched"), None, pct),
    ("documents emptied", ("retention", "share_emptied"), None, pct),
    ("documents dropped", ("retention", "share_dropped"), None, pct),
    ("scorer tokens", ("tokens", "refined"), ("tokens", "raw"), format_value),
    ("operations per document", ("programs", "ops_per_doc_total"), None, format_value),
    ("program errors", ("programs", "errors_total"), None, format_value),
    ("generated / prompt token", ("programs", "generated_per_prompt_token"), None, format_value),
    ("novel words per 1,000", ("faithfulness", "novel_words_per_1k"), None, format_value),
    ("deletion-subsequence (lines)", ("faithfulness", "deletion_subsequence", "line"), None, pct),
    ("deletion-subsequence (chars)", ("faithfulness", "deletion_subsequence", "char"), None, pct),
    ("inserted or replaced per 1,000 chars", ("faithfulness", "char_edits", "inserted_or_replaced_per_1k_chars"),
     None, format_value),
    ("distinct-1", ("diversity", "refined", "distinct_1"), ("diversity", "raw", "distinct_1"), format_value),
    ("distinct-2", ("diversity", "refined", "distinct_2"), ("diversity", "raw", "distinct_2"), format_value),
    ("distinct-3", ("diversity", "refined", "distinct_3"), ("diversity", "raw", "distinct_3"), format_value),
    ("compression ratio", ("diversity", "refined", "compression_ratio"), ("diversity", "raw", "compression_ratio"),
     format_value),
    ("embedding distance", ("diversity", "refined", "embedding_distance"), ("diversity", "raw", "embedding_distance"),
     format_value),
    ("token perplexity", ("quality", "refined", "token_ppl"), ("quality", "raw", "token_ppl"), format_value),
    ("mean document perplexity", ("quality", "refined", "mean_doc_ppl"), ("quality", "raw", "mean_doc_ppl"),
     format_value),
    ("mean scorer score", ("quality", "refined", "mean_score"), ("quality", "raw", "mean_score"), format_value),
    ("PII spans", ("pii", "refined", "spans"), ("pii", "raw", "spans"), format_value),
    ("line precision", ("gold", "lines", "precision"), None, format_value),
    ("line recall", ("gold", "lines", "recall"), None, format_value),
    ("line F1", ("gold", "lines", "f1"), None, format_value),
    ("document F1 (drop)", ("gold", "docs", "f1"), None, format_value),
)


def lookup(numbers: Mapping, path: Path_ | None) -> Any:
    value: Any = numbers
    for key in path or ():
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value if path else None


def headline_table(results: Mapping[str, DataResult]) -> tuple[Table, dict]:
    """The side-by-side table, and its values as {label: {"raw": ..., variant: ...}} for report.json."""
    names = list(results)
    first = next(iter(results.values())).numbers
    rows, values = [], {}
    for label, path, raw_path, show in HEADLINE:
        cells = [lookup(results[n].numbers, path) for n in names]
        if all(c is None for c in cells):
            continue
        raw = lookup(first, raw_path)
        values[label] = {"raw": raw, **dict(zip(names, cells))}
        rows.append([label, show(raw) if raw_path and raw is not None else "", *(show(c) for c in cells)])
    return Table(["", "raw", *names], rows), values


def compare_sections(results: Mapping[str, DataResult]) -> list[Section]:
    table, _ = headline_table(results)
    names = list(results)
    nums = {n: r.numbers for n, r in results.items()}
    first = next(iter(results.values()))
    colors = plots.variant_colors(names)  # a variant keeps its colour in every plot; raw is grey
    figures = [
        Figure("compare_retention", plots.bar_chart(
            ["words kept", "untouched", "emptied", "dropped"],
            {n: [lookup(nums[n], ("retention", k)) for k in
                 ("kept_ratio_words", "share_untouched", "share_emptied", "share_dropped")] for n in names},
            title="Retention (shares)", colors=colors)),
        Figure("compare_lengths", plots.histogram(
            {"raw": first.series["raw_words"], **{n: results[n].series["refined_words"] for n in names}},
            title="Document length", xlabel="words per document",
            value_range=_clip(first.series["raw_words"]), colors=colors), "Words per kept document; clipped at the raw 99th percentile."),
        Figure("compare_faithfulness", plots.bar_chart(
            ["novel words / 1k"], {n: [lookup(nums[n], ("faithfulness", "novel_words_per_1k"))] for n in names},
            title="Novel words per 1,000 words", colors=colors)),
        Figure("compare_diversity", plots.bar_chart(
            ["distinct-1", "distinct-2", "distinct-3"],
            {"raw": [lookup(first.numbers, ("diversity", "raw", f"distinct_{k}")) for k in (1, 2, 3)],
             **{n: [lookup(nums[n], ("diversity", "refined", f"distinct_{k}")) for k in (1, 2, 3)] for n in names}},
            title="Distinct n-grams", colors=colors)),
    ]
    if any("gold" in nums[n] for n in names):
        figures.append(Figure("compare_gold", plots.bar_chart(
            ["line precision", "line recall", "line F1", "doc F1"],
            {n: [lookup(nums[n], p) for p in (("gold", "lines", "precision"), ("gold", "lines", "recall"),
                                                ("gold", "lines", "f1"), ("gold", "docs", "f1"))] for n in names},
            title="Agreement with gold", colors=colors)))
    words = lookup(first.numbers, ("diversity", "words_measured"))
    text = ("Each column is one refined variant, measured with the same functions and the same sampled documents; "
            "the raw column gives the raw corpus's value where there is one. distinct-n and compression use the "
            f"first {format_value(words)} words of every column.")
    return [Section("Variants side by side", text, [table]), Section("Plots", "", [], figures)]


def write_compare_report(out_dir: str, results: Mapping[str, DataResult], inputs: Mapping[str, dict]) -> dict:
    """`inputs`: per variant, {"refined": path, "raw": path}, recorded in report.json."""
    _, values = headline_table(results)
    numbers = {"command": "eval compare", "inputs": dict(inputs), "table": values,
               "variants": {n: r.numbers for n, r in results.items()}}
    subtitle = "Variants: " + ", ".join(f"{n} ({inputs[n]['refined']})" for n in results)
    return write_report(out_dir, "Refined variants compared", compare_sections(results), numbers, subtitle)
