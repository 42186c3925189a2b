"""The `refine eval train` report: the numbers of `train_compare.compare` as tables and plots."""

from __future__ import annotations

from pathlib import Path

from evals.plots import bar_chart, learning_curves
from evals.report import Figure, Section, Table, format_value, write_report
from evals.stats_ci import Summary, mean_interval, seeds_needed

TITLE = "refine eval train: raw vs refined"

HOW_TO_READ = (
    "Each variant − raw difference is averaged over seeds, with a 95% paired t interval on the per-seed "
    "differences (a seed fixes initial weights and batch order for every corpus). 'No clear difference' "
    "means the interval contains zero: this run cannot tell the two apart, not that they are equal. The "
    "minimum detectable effect (MDE) says how large a true difference would have had to be for this run "
    "to detect it 80% of the time at a 5% false-alarm rate: MDE = (t[0.975, n−1] + t[0.80, n−1]) × sd / √n, "
    "sd being the standard deviation of the per-seed differences and n the number of seeds (the normal "
    "approximation, 2.8 × sd / √n, understates it at few seeds: the t version is 3.7 × sd / √n at n = 5). "
    "A difference below the MDE can still be real; more seeds shrink the MDE as 1/√n, more tokens usually "
    "widen the gaps.")


def _mean_sd(summary: dict) -> str:
    return f"{format_value(summary['mean'])} ± {format_value(summary['sd'])}"


def _ci(low, high) -> str:
    if low is None:
        return "n/a (one seed)"
    return f"[{format_value(low)}, {format_value(high)}]"


def _verdict(metric: dict, name: str) -> str:
    diff = metric["differences"][name]
    if not diff["significant"]:
        return "no clear difference"
    better = (diff["diff"] < 0) == (metric["better"] == "lower")
    return f"{name} better" if better else "raw better"


def _names(report: dict) -> list[str]:
    return report.get("corpus_names") or list(report["corpora"])


def primary_metric(report: dict) -> dict | None:
    """The headline: loss on the ceiling's held-out text (clean text no model trained on), else on the
    reference set, else on raw's held-out text."""
    by = {m["metric"]: m for m in report["metrics"]}
    ceiling = report["config"].get("ceiling")
    for key in ([f"loss/{ceiling}_heldout"] if ceiling else []) + ["loss/reference", "loss/raw_heldout"]:
        if key in by:
            return by[key]
    return None


def _bars(report: dict, prefix: str, title: str, ylabel: str, name: str) -> Figure | None:
    chosen = [m for m in report["metrics"] if m["metric"].startswith(prefix)]
    if not chosen:
        return None
    labels = [m["metric"][len(prefix):] for m in chosen]
    series = {c: [m[c]["mean"] for m in chosen] for c in _names(report)}
    errors = {c: [mean_interval(Summary(**m[c])) for m in chosen] for c in _names(report)}
    return Figure(name, bar_chart(labels, series, title=title, ylabel=ylabel, errors=errors),
                  f"{title}: mean over seeds; whiskers: 95% t interval of the mean.")


def _difference_bars(report: dict) -> Figure | None:
    chosen = [m for m in report["metrics"] if m["metric"].startswith("loss/")]
    variants = [n for n in _names(report) if n != "raw"]
    if not chosen or not variants:
        return None
    labels = [m["metric"][len("loss/"):] for m in chosen]
    series = {c: [m["differences"][c]["diff"] for m in chosen] for c in variants}
    errors = {c: [(m["differences"][c]["low"], m["differences"][c]["high"])
                  if m["differences"][c]["low"] is not None else None for m in chosen] for c in variants}
    return Figure("loss_difference", bar_chart(labels, series, title="Per-token loss, variant − raw",
                                               ylabel="Δ loss (nats/token)", errors=errors),
                  "Per-token loss of each variant's models minus raw's, by scored text: mean over seeds; "
                  "whiskers: 95% paired t interval. Below zero: the variant's models predict that text better.")


def headline(report: dict) -> Section | None:
    metric = primary_metric(report)
    if metric is None:
        return None
    names, n = _names(report), report["config"]["seeds"]
    rows = []
    for c in names:
        diff = metric["differences"].get(c)
        gap = (metric.get("gap_closed") or {}).get(c)
        rows.append([c, _mean_sd(metric[c]),
                     "—" if diff is None else format_value(diff["diff"]),
                     "—" if diff is None else _ci(diff["low"], diff["high"]),
                     "—" if diff is None else format_value(diff["mde"]),
                     "—" if gap is None else f"{gap['share']:.0%} {_ci_pct(gap)}",
                     "—" if diff is None else _verdict(metric, c)])
    lines = [f"{metric['metric']}: mean per-token loss (nats) of each corpus's models on that text, "
             f"{n} seed{'s' if n != 1 else ''}, {report['tokens_trained']:,} training tokens per run."]
    sds = [d["sd"] for d in metric["differences"].values() if d.get("sd")]
    if sds and n > 1:
        sd = max(sds)
        needed = {e: seeds_needed(sd, e) for e in (0.01, 0.02, 0.05)}
        lines.append(f"The per-seed differences vary by sd {format_value(min(sds))}–{format_value(sd)} nats; at "
                     f"the largest, detecting a true difference of 0.01 / 0.02 / 0.05 nats (80% power, α = 0.05) "
                     f"takes {' / '.join(str(v) if v else '>10,000' for v in needed.values())} seeds.")
    if any(metric.get("gap_closed") or {}):
        lines.append(f"'Gap closed' is the share of the raw → {report['config']['ceiling']} difference a variant "
                     "recovers, per seed (0%: no better than raw, 100%: as good as the ceiling), with its 95% t "
                     "interval over seeds.")
    return Section("Headline", "\n\n".join(lines + [HOW_TO_READ]), tables=[Table(
        ["corpus", "loss (mean ± sd)", "− raw", "95% CI", "MDE", "gap closed", "verdict"], rows)])


def _ci_pct(gap: dict) -> str:
    if gap["low"] is None:
        return ""
    return f"[{gap['low']:.0%}, {gap['high']:.0%}]"


def sections(report: dict) -> list[Section]:
    cfg, model = report["config"], report["model"]
    names = _names(report)
    setup_rows = [
        ["model", f"Llama, {model['layers']} layers, hidden {model['hidden']}, {model['heads']} heads, "
                  f"{model['parameters']:,} parameters ({model['size']})"],
        ["tokenizer", f"{report['tokenizer']['kind']}, {report['tokenizer']['vocab_size']:,} tokens"],
        ["budget", f"{report['tokens_trained']:,} tokens = {report['steps']} steps × {cfg['batch_size']} × "
                   f"{cfg['seq_len']} tokens per run"],
        ["seeds", f"{cfg['seeds']} (a seed fixes initial weights and batch order: the runs of a seed pair up)"],
        ["held out", f"{cfg['heldout']:.0%} of documents by id hash (the same ids in every corpus, trained on "
                     f"by none); at most {cfg['max_eval_tokens']:,} tokens scored per set and checkpoint"],
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

    score_rows = [[m["metric"], m["better"], *(_mean_sd(m[c]) for c in names)] for m in report["metrics"]]
    scores = Section(
        "Final scores",
        "Mean ± standard deviation over seeds, at the end of training.\n\n"
        "loss/X is the mean per-token loss (nats) on X, ppl/X its exponential. X_heldout is corpus X's text "
        "of the held-out documents (so every model is also scored on the other corpora's kind of text), "
        "reference the clean reference set. tasks/* are multiple-choice accuracies scored by log-likelihood "
        "like lm-eval (acc: summed log-probability, acc_norm: per character).",
        tables=[Table(["metric", "better", *names], score_rows)],
        figures=[f for f in (
            _bars(report, "loss/", "Final per-token loss", "loss (nats/token)", "final_loss"),
            _bars(report, "tasks/", "Task accuracy", "accuracy", "task_accuracy")) if f is not None])

    diff_rows = []
    for m in report["metrics"]:
        if m["metric"].startswith("ppl/"):
            continue
        for c, d in m["differences"].items():
            diff_rows.append([m["metric"], c, format_value(d["diff"]), _ci(d["low"], d["high"]),
                              format_value(d.get("sd")), format_value(d.get("mde")), _verdict(m, c)])
    differences = Section(
        "Differences from raw",
        "Each variant − raw, paired by seed: the mean difference, its 95% paired t interval, the standard "
        "deviation of the per-seed differences and the minimum detectable effect (80% power, α = 0.05).",
        tables=[Table(["metric", "corpus", "− raw", "95% CI", "sd", "MDE", "verdict"], diff_rows)],
        figures=[f for f in (_difference_bars(report),) if f is not None])

    figures = []
    for key, per_corpus in report["curves"].items():
        if key.startswith("ppl/") and f"loss/{key[4:]}" in report["curves"]:
            continue  # the same curve as its loss/ twin, exponentiated
        label = "training loss (mean since the previous checkpoint)" if key == "train_loss" else key
        curves = {c: [(p["tokens"], p["mean"], p["sd"]) for p in pts] for c, pts in per_corpus.items()}
        figures.append(Figure("curve_" + key.replace("/", "_"),
                              learning_curves(curves, title=label, ylabel=key.split("/")[0], log_y=False),
                              f"{label}: mean over seeds; band: ± one standard deviation."))
    curves = Section("Learning curves", "Every checkpoint of every run, by training tokens, per corpus.",
                     figures=figures)
    return [s for s in (headline(report), setup, scores, differences, curves) if s is not None]


def write_train_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    refined = report["refined"]
    shown = ", ".join(f"{n} ({p})" for n, p in refined.items()) if isinstance(refined, dict) else refined
    subtitle = f"raw ({report['raw']}) vs {shown}"
    return write_report(out_dir, TITLE, sections(report), report, subtitle=subtitle)
