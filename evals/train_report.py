"""The `refine eval train` report: the numbers of `train_compare.compare` as tables and plots."""

from __future__ import annotations

from pathlib import Path

from evals.plots import bar_chart, learning_curves
from evals.report import Figure, Section, Table, format_value, write_report
from evals.stats_ci import Summary, mean_interval

TITLE = "refine eval train: raw vs refined"


def _mean_sd(summary: dict) -> str:
    return f"{format_value(summary['mean'])} ± {format_value(summary['sd'])}"


def _ci(diff: dict) -> str:
    if diff["low"] is None:
        return "n/a (one seed)"
    return f"[{format_value(diff['low'])}, {format_value(diff['high'])}]"


def _verdict(metric: dict) -> str:
    diff = metric["difference"]
    if not diff["significant"]:
        return "no clear difference"
    refined_better = (diff["diff"] < 0) == (metric["better"] == "lower")
    return "refined better" if refined_better else "raw better"


def _bars(metrics: list[dict], prefix: str, title: str, ylabel: str, name: str) -> Figure | None:
    chosen = [m for m in metrics if m["metric"].startswith(prefix)]
    if not chosen:
        return None
    labels = [m["metric"][len(prefix):] for m in chosen]
    series = {c: [m[c]["mean"] for m in chosen] for c in ("raw", "refined")}
    errors = {c: [mean_interval(Summary(**m[c])) for m in chosen] for c in ("raw", "refined")}
    return Figure(name, bar_chart(labels, series, title=title, ylabel=ylabel, errors=errors),
                  f"{title}: mean over seeds; whiskers: 95% t interval of the mean.")


def sections(report: dict) -> list[Section]:
    cfg, model = report["config"], report["model"]
    setup_rows = [
        ["model", f"Llama, {model['layers']} layers, hidden {model['hidden']}, {model['heads']} heads, "
                  f"{model['parameters']:,} parameters ({model['size']})"],
        ["tokenizer", f"{report['tokenizer']['kind']}, {report['tokenizer']['vocab_size']:,} tokens"],
        ["budget", f"{report['tokens_trained']:,} tokens = {report['steps']} steps × {cfg['batch_size']} × "
                   f"{cfg['seq_len']} tokens per run"],
        ["seeds", f"{cfg['seeds']} (a seed fixes initial weights and batch order: raw and refined runs pair up)"],
        ["held out", f"{cfg['heldout']:.0%} of documents by id hash (the same ids in both corpora); at most "
                     f"{cfg['max_eval_tokens']:,} tokens scored per set and checkpoint"],
        ["wall time", f"{report['seconds']:,} s on {report['threads']} thread(s)"],
    ]
    for name, info in report["corpora"].items():
        setup_rows.append([f"{name} corpus", f"{info['path']}: {info['documents']:,} documents, "
                                             f"{info['train_tokens']:,} training tokens "
                                             f"({info['epochs']:.2f} epochs), {info['heldout_documents']:,} held out"])
    if report.get("reference"):
        ref = report["reference"]
        setup_rows.append(["reference", f"{ref['path']}: {ref['documents']:,} documents, "
                                        f"{ref['tokens_scored']:,} tokens scored"])
    for task in report["tasks"]:
        setup_rows.append([f"task {task['name']}", "lm-eval (named)" if task.get("lm_eval") else
                           f"{task['items']} items, chance {task['chance']:.2f} ({task['source']})"])
    setup = Section("Setup", "\n\n".join(report["notes"]), tables=[Table(["", ""], setup_rows)])

    rows = [[m["metric"], m["better"], _mean_sd(m["raw"]), _mean_sd(m["refined"]),
             format_value(m["difference"]["diff"]), _ci(m["difference"]), _verdict(m)] for m in report["metrics"]]
    results = Section(
        "Final scores",
        "Mean ± standard deviation over seeds. The difference is refined − raw, averaged over seeds, with a "
        "95% paired t interval on the per-seed differences; with few seeds these intervals are wide, and "
        "'no clear difference' means the interval contains zero.\n\n"
        "ppl/raw_heldout scores the raw text of the held-out documents, ppl/refined_heldout their refined "
        "text (so each model is also scored on the other corpus's kind of text), ppl/reference the clean "
        "reference set. tasks/* are multiple-choice accuracies scored by log-likelihood like lm-eval (acc: "
        "summed log-probability, acc_norm: per character).",
        tables=[Table(["metric", "better", "raw", "refined", "refined − raw", "95% CI", "verdict"], rows)],
        figures=[f for f in (
            _bars(report["metrics"], "ppl/", "Final perplexity", "perplexity", "final_perplexity"),
            _bars(report["metrics"], "tasks/", "Task accuracy", "accuracy", "task_accuracy")) if f is not None])

    figures = []
    for key, per_corpus in report["curves"].items():
        label = "training loss (mean since the previous checkpoint)" if key == "train_loss" else key
        curves = {c: [(p["tokens"], p["mean"], p["sd"]) for p in pts] for c, pts in per_corpus.items()}
        figures.append(Figure("curve_" + key.replace("/", "_"),
                              learning_curves(curves, title=label, ylabel=key.split("/")[0], log_y=False),
                              f"{label}: mean over seeds; band: ± one standard deviation."))
    curves = Section("Learning curves", "Every checkpoint of every run, raw vs refined, by training tokens.",
                     figures=figures)
    return [setup, results, curves]


def write_train_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    subtitle = f"{report['raw']} vs {report['refined']}"
    return write_report(out_dir, TITLE, sections(report), report, subtitle=subtitle)
