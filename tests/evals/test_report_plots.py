"""Reports a data engineer can read at a glance: one colour per variant, sane axes, what was removed."""

from __future__ import annotations

import re

from evals import plots
from evals.compare import compare_sections
from evals.data_report import DataResult
from evals.removals import drop_reasons, removal_summary


def _fills_by_name(svg: str) -> dict[str, str]:
    """Bar/histogram fill colour per series name, from each rect's tooltip ("name · category: v")."""
    out = {}
    for fill, title in re.findall(r'fill="(#[0-9a-f]{6})"[^>]*><title>([^<]*)</title>', svg):
        name = re.split(r" · |: ", title)[0]
        out.setdefault(name, fill)
    return out


def test_an_all_zero_bar_chart_has_round_ticks():
    svg = plots.bar_chart(["a", "b"], {"x": [0.0, 0.0]}, title="zeros")
    ticks = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
    assert ticks and not any("e-" in t for t in ticks), ticks
    assert ticks[-1] == "1"


def _result(kept: float, words: list[int]) -> DataResult:
    numbers = {"retention": {"kept_ratio_words": kept, "share_untouched": 0.5, "share_emptied": 0.0,
                             "share_dropped": 0.1, "docs_raw": 10, "docs_kept": 9},
               "faithfulness": {"novel_words_per_1k": 0.0},
               "diversity": {"raw": {"distinct_1": 0.5, "distinct_2": 0.7, "distinct_3": 0.8},
                             "refined": {"distinct_1": 0.5, "distinct_2": 0.7, "distinct_3": 0.8},
                             "words_measured": 100}}
    return DataResult(numbers, {"raw_words": [10, 20, 30], "refined_words": words})


def test_each_variant_keeps_its_colour_in_every_compare_plot():
    results = {"rules": _result(0.8, [9, 18, 25]), "default": _result(0.7, [8, 15, 20])}
    [_, plots_section] = compare_sections(results)
    seen: dict[str, set] = {}
    for figure in plots_section.figures:
        for name, fill in _fills_by_name(figure.svg).items():
            seen.setdefault(name, set()).add(fill)
    assert {"rules", "default", "raw"} <= set(seen)
    assert all(len(fills) == 1 for fills in seen.values()), seen
    assert seen["raw"] == {plots.RAW_COLOR} and seen["rules"] != seen["default"]


def test_the_data_report_says_why_documents_went_and_which_lines():
    raw = ["Home | About\nThe first real paragraph.\nShare on Facebook", "Home | About\nA second page's text.",
           "Buy pills now", "Untouched page."]
    refined = ["The first real paragraph.", "A second page's text.", None, "Untouched page."]
    summary = removal_summary(zip(raw, refined))
    assert summary["most_removed"][0] == ["Home | About", 2]
    assert summary["removed_once_sample"] == ["Share on Facebook"] and summary["line_removals"] == 3
    audit = [{"kept": True}, {"kept": False, "drop_reason": "drop_doc", "audit": {"drop_reason": "gopher_min_words"}},
             {"kept": False, "drop_reason": "min_words"}, {"kept": False, "drop_reason": "drop_doc",
                                                           "audit": {"drop_reason": "gopher_min_words"}}]
    assert drop_reasons(audit) == {"drop_doc (gopher_min_words)": 2, "min_words": 1}


def test_eval_data_report_has_the_removals_section(tmp_path):
    import json

    from typer.testing import CliRunner

    from fake_refiner import make_corpus

    from cli.main import app

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in make_corpus(14)))
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(corpus), str(tmp_path / "out"), "--mode", "fake_refiner"]).exit_code == 0
    result = runner.invoke(app, ["eval", "data", str(corpus), str(tmp_path / "out"), "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "report" / "report.md").read_text()
    assert "What was removed" in report and "We use cookies. Accept all cookies?" in report
    assert "drop_doc" in report and "Why documents were dropped" in report
    numbers = json.loads((tmp_path / "report" / "report.json").read_text())
    assert numbers["removals"]["drop_reasons"] == {"drop_doc": 2}


def test_eval_data_with_gold_sweeps_thresholds_from_the_audit_scores(tmp_path):
    import json

    from typer.testing import CliRunner

    from fake_refiner import make_corpus
    from prob_refiner import line_prob

    from cli.main import app
    from programs.lines import line_body, split_lines

    records = make_corpus(20)
    for i in range(0, 20, 4):
        records[i]["text"] = "Menu | Home\n" + records[i]["text"] + "\nShare this page"
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    gold = tmp_path / "gold.jsonl"  # gold: cookie banners go, "Share"/"Menu" lines (scored 0.6) stay
    gold.write_text("".join(json.dumps({"id": r["id"], "removed_lines": [
        k for k, line in enumerate(split_lines(r["text"])) if line_prob(line_body(line)) == 0.8
        or "BUY NOW" in r["text"]], "doc_label": int("BUY NOW" in r["text"])}) + "\n" for r in records))
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(corpus), str(tmp_path / "out"), "--mode", "prob_refiner"]).exit_code == 0
    result = runner.invoke(app, ["eval", "data", str(corpus), str(tmp_path / "out"), "-o", str(tmp_path / "report"),
                                 "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    sweep = json.loads((tmp_path / "report" / "report.json").read_text())["gold"]["sweep"]
    by_t = {p["threshold"]: p for p in sweep["lines"]}
    assert by_t[0.5]["precision"] < 1.0 and by_t[0.7]["precision"] == by_t[0.7]["recall"] == 1.0
    assert by_t[0.9]["recall"] < 1.0  # cookie lines (0.8) kept; only the dropped pages count
    assert {p["threshold"]: p["f1"] for p in sweep["documents"]}[0.9] == 1.0
    report = (tmp_path / "report" / "report.md").read_text()
    assert "refine recut RUN NEW_RUN --threshold 0.65" in report, report
    assert (tmp_path / "report" / "plots" / "gold_sweep_lines.svg").exists()
