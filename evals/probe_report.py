"""The `refine eval probe` report: public and private fact accuracy per corpus, as tables and bars."""

from __future__ import annotations

from pathlib import Path

from evals.plots import bar_chart
from evals.report import Figure, Section, Table, format_value, write_report
from evals.stats_ci import Summary, mean_interval

TITLE = "refine eval probe: public facts kept, private facts forgotten?"


def _cell(s: dict) -> str:
    return f"{format_value(s['mean'])} ± {format_value(s['sd'])}"


def _diff(d: dict | None) -> str:
    if d is None:
        return ""
    ci = f" [{format_value(d['low'])}, {format_value(d['high'])}]" if d["low"] is not None else ""
    return f"{d['diff']:+.3f}{ci}"


def sections(report: dict) -> list[Section]:
    s = report["settings"]
    summary = report["summary"]
    intro = (
        f"{report['facts']['public']} public and {report['facts']['private']} private facts, stated in "
        f"{report['documents']} synthetic documents. A {report['parameters']:,}-parameter model "
        f"({s['model_size']}) is trained from scratch on each corpus for {report['steps']} steps "
        f"({s['epochs']} passes over the raw corpus), {s['seeds']} seed(s), then asked to complete each fact's "
        f"prompt among {int(round(1 / report['chance']))} answers of the same kind (chance "
        f"{report['chance']:.2f}), scored by log-likelihood. A good PII rewrite keeps public accuracy and brings "
        "private accuracy down to chance. 'oracle' is the ideal rewrite (each private value replaced by a fresh "
        "fake one); 'leaked' counts facts whose exact sentence survives in the corpus.")
    rows = []
    for name, row in summary.items():
        diffs = row.get("difference_vs_raw") or {}
        rows.append([name, _cell(row["public"]), _diff(diffs.get("public")), _cell(row["private"]),
                     _diff(diffs.get("private")),
                     f"{row['leaked_answers']['public']} / {row['leaked_answers']['private']}"])
    table = Table(["corpus", "public acc", "Δ public vs raw [95% CI]", "private acc", "Δ private vs raw [95% CI]",
                   "leaked public / private"], rows)
    names = list(summary)
    series = {name: [summary[name]["public"]["mean"], summary[name]["private"]["mean"]] for name in names}
    errors = {name: [mean_interval(Summary(**summary[name][kind])) for kind in ("public", "private")]
              for name in names}
    figure = Figure("probe_accuracy", bar_chart(["public facts", "private facts"], series, title="Quiz accuracy",
                                                ylabel="accuracy", errors=errors),
                    "Mean over seeds; whiskers: 95% t interval of the mean (two or more seeds).")
    return [Section("Privacy probe", intro, tables=[table], figures=[figure])]


def write_probe_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    return write_report(out_dir, TITLE, sections(report), report)
