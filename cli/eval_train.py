"""`refine eval train` (small LMs on raw vs refined data) and `refine eval probe` (GDR's privacy probe)."""

from __future__ import annotations

import shlex
from typing import Annotated, Optional

import typer

from cli.common import console, die, note
from refine.io import InputError

OUTPUT = typer.Option("-o", "--output", help="Report directory: report.md, report.html, report.json, plots/.")


def command_line(ctx: typer.Context) -> str:
    """The command as given, rebuilt from the parsed parameters (arguments, then options that differ from
    their defaults): what a report records so that its run can be repeated. Secrets are left out, and
    absolute paths shown relative or by name (`evals.paths.shown_path`): a report names no machine paths."""
    from evals.paths import shown_path

    def shown(value) -> str:
        name, sep, path = str(value).partition("=")
        return f"{name}={shown_path(path)}" if sep and path else shown_path(str(value))

    words = ["refine", *ctx.command_path.split()[1:]]
    options: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.param_type_name == "argument":
            words.extend(shown(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
        elif value is None or value == param.default or (param.multiple and not value) or param.name == "api_key":
            continue
        elif getattr(param, "is_flag", False):
            options.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            for v in value if param.multiple else [value]:
                options += [name, shown(getattr(v, "value", v))]
    return shlex.join(words + options)


def train(
    ctx: typer.Context,
    raw: Annotated[str, typer.Argument(metavar="RAW", help="The raw corpus (any format `refine run` reads).")],
    refined: Annotated[list[str], typer.Argument(metavar="REFINED...",
        help="One or more `refine run` output directories, or any corpora whose ids match RAW's; name them "
             "as NAME=PATH (e.g. rules=out/rules gold=gold.jsonl).")],
    output: Annotated[str, OUTPUT],
    tokens: Annotated[int, typer.Option(help="Training tokens per run (a shorter corpus is repeated).")] = 1_000_000,
    seeds: Annotated[int, typer.Option(help="Seeds per corpus (K): initial weights and batch order.")] = 3,
    model_size: Annotated[str, typer.Option(
        help="tiny (~0.4M parameters), mini (~1.6M), small (~3M) or base (~5M).")] = "small",
    seq_len: Annotated[int, typer.Option(help="Tokens per training sequence.")] = 128,
    batch_size: Annotated[int, typer.Option(help="Sequences per step.")] = 16,
    eval_every: Annotated[int, typer.Option(help="Steps between checkpoints (0: about 8 checkpoints).")] = 0,
    lr: Annotated[float, typer.Option(help="Peak learning rate (warmup, then cosine decay).")] = 2e-3,
    vocab_size: Annotated[int, typer.Option(help="BPE vocabulary, trained on both training splits.")] = 4096,
    heldout: Annotated[float, typer.Option(help="Share of documents held out (by id hash, same ids in both).")] = 0.05,
    reference: Annotated[Optional[str], typer.Option(
        help="A clean reference corpus (any format, or a .txt file) scored at every checkpoint.")] = None,
    tasks: Annotated[Optional[list[str]], typer.Option(
        "--tasks", help="Task directories or YAML configs (run offline), or lm-eval task names (need lm-eval "
                        "and its data). Repeatable. Default: the shipped suite evals/tasks.")] = None,
    task_limit: Annotated[Optional[int], typer.Option(help="Score at most this many items per task.")] = None,
    max_eval_tokens: Annotated[int, typer.Option(help="Tokens scored per held-out set and checkpoint.")] = 16_384,
    threads: Annotated[int, typer.Option(help="CPU threads for torch (1 is fastest on a busy machine).")] = 1,
    ceiling: Annotated[Optional[str], typer.Option(
        help="The REFINED corpus standing for ideal refinement (e.g. gold main text): the report gives each "
             "other corpus's share of the raw → ceiling gap.")] = None,
    text_field: Annotated[str, typer.Option(help="Text field of the records.")] = "text",
    id_field: Annotated[str, typer.Option(help="Id field pairing raw and refined records.")] = "id",
) -> None:
    """Train the same small LM on RAW and on each REFINED (same tokenizer, budget, steps, seeds) and compare."""
    from evals.lm_eval_tasks import SHIPPED_TASKS, TaskError
    from evals.train_compare import TrainCompareConfig, compare, name_corpora
    from evals.train_report import write_train_report

    cfg = TrainCompareConfig(
        tokens=tokens, seeds=seeds, model_size=model_size, seq_len=seq_len, batch_size=batch_size,
        eval_every=eval_every, lr=lr, vocab_size=vocab_size, heldout=heldout,
        tasks=tuple(tasks) if tasks else (str(SHIPPED_TASKS),), task_limit=task_limit, reference=reference,
        max_eval_tokens=max_eval_tokens, threads=threads, text_field=text_field, id_field=id_field, ceiling=ceiling)
    try:
        cfg.check()
        report = compare(raw, name_corpora(refined), cfg, log=lambda message: note(f"[dim]… {message}[/]"))
    except (InputError, TaskError, ValueError) as e:
        die(str(e))
    except ImportError as e:
        die(str(e))
    report["command"] = command_line(ctx)
    paths = write_train_report(report, output)
    for m in report["metrics"]:
        if m["metric"].startswith("ppl/"):
            continue
        for name, d in m["differences"].items():
            ci = f"[{d['low']:.4g}, {d['high']:.4g}]" if d["low"] is not None else "n/a"
            console.print(f"{m['metric']:<36} raw {m['raw']['mean']:.4g} ± {m['raw']['sd']:.2g}   {name} "
                          f"{m[name]['mean']:.4g} ± {m[name]['sd']:.2g}   Δ {d['diff']:+.4g} {ci}", highlight=False)
    note(f"report: {paths['html']} (and report.md, report.json)")


def probe(
    ctx: typer.Context,
    output: Annotated[str, OUTPUT],
    refined: Annotated[Optional[str], typer.Option(
        help="The probe corpus (OUTPUT/probe/corpus.jsonl) already refined: a `refine run` output directory "
             "or a corpus with its ids. Without it, --model (or --mode) refines the corpus here.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Refine the probe corpus with this model (see --mode).")] = None,
    mode: Annotated[Optional[str], typer.Option(
        help="Refiner mode that refines the probe corpus here (default with --model: rewrite).")] = None,
    instruction: Annotated[str, typer.Option(help="Rewrite instruction.")] = "pii",
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="Any other refiner option, as key=value (repeatable), as in `refine run`.")] = None,
    backend: Annotated[str, typer.Option(help="Backend serving --model: transformers, sglang or openai.")] = "transformers",
    base_url: Annotated[Optional[str], typer.Option(help="Server URL for the sglang/openai backends.")] = None,
    api_key: Annotated[Optional[str], typer.Option(envvar="OPENAI_API_KEY", help="API key (openai backend).")] = None,
    oracle: Annotated[bool, typer.Option(
        help="Also train on the ideal rewrite (each private value replaced by a fresh fake one).")] = True,
    corpus_only: Annotated[bool, typer.Option(
        help="Write OUTPUT/probe/corpus.jsonl and facts.jsonl and stop (refine it yourself, then pass --refined).")] = False,
    per_attribute: Annotated[int, typer.Option(help="Facts per attribute (3 public and 3 private attributes).")] = 8,
    repeats: Annotated[int, typer.Option(help="Documents stating each fact.")] = 3,
    probe_seed: Annotated[int, typer.Option(help="Seed of the synthetic corpus (same seed, same corpus).")] = 0,
    seeds: Annotated[int, typer.Option(help="Training seeds per corpus.")] = 2,
    epochs: Annotated[int, typer.Option(help="Passes over the raw corpus (every corpus trains as many steps).")] = 30,
    model_size: Annotated[str, typer.Option(help="tiny, small or base.")] = "tiny",
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-2,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 1,
) -> None:
    """GDR's privacy probe: train on raw vs PII-rewritten synthetic facts; public accuracy should hold,
    private accuracy should fall to chance."""
    from pathlib import Path

    from evals.privacy_probe import ProbeSettings, make_probe, oracle_rewrite, run_probe, write_probe
    from evals.probe_report import write_probe_report

    try:
        generated = make_probe(per_attribute=per_attribute, repeats=repeats, seed=probe_seed)
    except ValueError as e:
        die(f"--per-attribute: {e}")
    corpus = write_probe(generated, Path(output) / "probe")
    note(f"probe corpus: {corpus} ({len(generated.documents)} documents, {len(generated.facts)} facts)")
    if corpus_only:
        return
    if refined and (model or mode):
        die("give either --refined (an already refined probe corpus) or --model/--mode (refine it here), not both")
    raw_texts = {d["id"]: d["text"] for d in generated.documents}
    corpora = {"raw": raw_texts}
    if model or mode:
        from refine.options import RunOptions

        refined = _refine_probe(corpus, Path(output) / "refined", RunOptions(
            mode=mode or "rewrite", model=model, backend=backend, base_url=base_url, api_key=api_key,
            instruction=instruction, cache=str(Path(output) / "refined" / "cache.sqlite")), set_ or [])
    if refined:
        corpora["refined"] = _refined_probe_texts(refined, raw_texts, corpus)
    if oracle:
        corpora["oracle"] = oracle_rewrite(generated)
    if len(corpora) == 1:
        die("nothing to compare with raw: give --refined or --model, or keep --oracle")
    settings = ProbeSettings(seeds=seeds, epochs=epochs, model_size=model_size, lr=lr, threads=threads)
    try:
        report = run_probe(generated, corpora, settings, log=lambda message: note(f"[dim]… {message}[/]"))
    except ValueError as e:
        die(str(e))
    report["command"] = command_line(ctx)
    report["refined"] = refined
    paths = write_probe_report(report, output)
    for name, row in report["summary"].items():
        console.print(f"{name:<8} public {row['public']['mean']:.2f} ± {row['public']['sd']:.2f}   "
                      f"private {row['private']['mean']:.2f} ± {row['private']['sd']:.2f}   "
                      f"leaked {row['leaked_answers']['private']}/{report['facts']['private']} private",
                      highlight=False)
    note(f"report: {paths['html']} (and report.md, report.json)")


def _refine_probe(corpus, out_dir, opts, settings: list[str]) -> str:
    """Refine the probe corpus here (`--model`/`--mode`), as `refine run` would; the output directory."""
    from cli.run import apply_settings
    from evals.privacy_probe import refine_corpus

    try:
        return str(refine_corpus(corpus, out_dir, apply_settings(opts, settings)))
    except (ImportError, OSError, ValueError, RuntimeError) as e:
        die(f"cannot refine the probe corpus ({opts.mode} mode): {e}")


def _refined_probe_texts(refined: str, raw_texts: dict[str, str], corpus) -> dict[str, str]:
    """Each probe document's refined text ("" for one the refiner dropped), from `--refined`."""
    from evals.corpus import read_refined

    try:
        texts = read_refined(refined).texts
    except InputError as e:
        die(f"--refined: {e}")
    if not set(texts) & set(raw_texts):
        die(f"--refined {refined!r} shares no ids with the probe corpus {corpus}: refine that file "
            "(generated with the same --per-attribute, --repeats and --probe-seed)")
    return {doc_id: texts.get(doc_id, "") for doc_id in raw_texts}  # missing: dropped
