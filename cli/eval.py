"""`refine eval …`: did refining help, and what did it cost? Reports in Markdown, HTML and JSON.

`refine eval data RAW REFINED -o DIR` measures one refined corpus against its raw corpus;
`refine eval compare A B C -o DIR` puts several refined variants side by side. Other evaluations
(`train`, `refiner`) register on `eval_app` in the block at the end of this file.
"""

from __future__ import annotations

from typing import Annotated, Callable, Optional

import typer
from rich.table import Table as RichTable

from cli.common import console, die, note
from cli.eval_refiner import refiner
from cli.eval_train import probe, train
from refine.io import InputError

eval_app = typer.Typer(
    name="eval",
    help="Evaluate refined data against raw data: retention, program statistics, faithfulness, diversity, "
         "quality under a scorer, residual PII, agreement with gold labels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

OUTPUT = typer.Option("-o", "--output", help="Report directory: report.md, report.html, report.json, plots/.")
GOLD_HELP = ("Gold labels (JSONL: id, removed_lines [0-based] or labels [1 = remove per line], doc_label [1 = drop] "
             "or keep); a `refine annotate` dataset works as it is.")
SCORER_HELP = ("Reference model directory (local): a causal LM scores perplexity, a sequence classifier its "
               "last label's probability; its tokenizer counts tokens before and after.")
ENCODER_HELP = "Sentence encoder directory for embedding diversity, or 'auto' for the shipped all-MiniLM-L6-v2."
SAMPLE_HELP = ("Documents (chosen by id hash, the same for every variant) for the costly metrics: character "
               "diffs, embeddings, the scorer. 0: all.")

# Options that `eval data` and `eval compare` share, declared once.
GoldOption = Annotated[Optional[str], typer.Option(help=GOLD_HELP)]
ScorerOption = Annotated[Optional[str], typer.Option(help=SCORER_HELP)]
EncoderOption = Annotated[Optional[str], typer.Option(help=ENCODER_HELP)]
TextFieldOption = Annotated[str, typer.Option(help="Text field of the records.")]
IdFieldOption = Annotated[str, typer.Option(help="Id field pairing raw and refined records.")]
SampleOption = Annotated[int, typer.Option(help=SAMPLE_HELP)]
PiiNamesOption = Annotated[bool, typer.Option(help="Detect person names too (needs a NER model).")]


def _tools(scorer: str | None, encoder: str | None):
    """The scorer and the encoder, loaded once; a bad directory is bad input."""
    from evals.encoder import Encoder, resolve_encoder
    from evals.quality import Scorer

    try:
        loaded_scorer = Scorer(scorer) if scorer else None
    except (OSError, ValueError) as e:
        die(f"cannot load --scorer {scorer!r} (a local model directory): {e}")
    try:
        loaded_encoder = Encoder(resolve_encoder(encoder)) if encoder else None
    except (OSError, ValueError) as e:
        die(f"cannot load --encoder {encoder!r} (a local encoder directory, or auto): {e}")
    return loaded_scorer, loaded_encoder


def _gold(gold: str | None):
    if gold is None:
        return None
    from evals.gold import read_gold

    try:
        return read_gold(gold)
    except (InputError, ValueError, TypeError) as e:
        die(f"--gold: {e}")


def _guard(what: str, fn: Callable):
    """Run `fn`; bad input (unreadable corpora, mismatched ids) ends with a one-line error."""
    try:
        return fn()
    except InputError as e:
        die(f"{what}: {e}")


def data(
    raw: Annotated[str, typer.Argument(metavar="RAW", help="The raw corpus (any format `refine run` reads).")],
    refined: Annotated[str, typer.Argument(metavar="REFINED",
        help="A `refine run` output directory, or any corpus whose ids match RAW's (missing = dropped).")],
    output: Annotated[str, OUTPUT],
    gold: GoldOption = None,
    scorer: ScorerOption = None,
    encoder: EncoderOption = None,
    text_field: TextFieldOption = "text",
    id_field: IdFieldOption = "id",
    sample: SampleOption = 500,
    pii_names: PiiNamesOption = True,
    judge: Annotated[Optional[str], typer.Option(
        help="A pretrained judge (a proxy): a named model (smollm2-135m) or a local causal LM directory scores "
             "each sampled document's mean per-token loss, raw and refined (CCNet's perplexity signal).")] = None,
    judge_sample: Annotated[int, typer.Option(
        help="Documents the judge scores (chosen by id hash; 50 take about 3 CPU minutes with smollm2-135m).")] = 50,
) -> None:
    """Measure a refined corpus against its raw corpus and write a report."""
    from evals.corpus import read_raw, read_refined
    from evals.data_report import evaluate_data, write_data_report
    from evals.lm_judge import JudgeError, LMJudge

    gold_labels = _gold(gold)
    raw_corpus = _guard("RAW", lambda: read_raw(raw, text_field, id_field))
    refined_corpus = _guard("REFINED", lambda: read_refined(refined, text_field, id_field))
    scorer_model, encoder_model = _tools(scorer, encoder)
    try:
        judge_model = LMJudge(judge) if judge else None
    except JudgeError as e:
        die(str(e))
    result = _guard("eval data", lambda: evaluate_data(
        raw_corpus, refined_corpus, gold=gold_labels, scorer=scorer_model, encoder=encoder_model, sample=sample,
        pii_names=pii_names, log=lambda step: note(f"[dim]… {step}[/]"), judge=judge_model,
        judge_sample=judge_sample))
    paths = write_data_report(output, result, raw, refined)
    _summary(result.numbers)
    note(f"report: {paths['html']} (and report.md, report.json)")


def _summary(n: dict) -> None:
    from evals.report import format_value, pct

    r, f = n["retention"], n["faithfulness"]
    table = RichTable(title="refine eval data", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("documents kept", f"{format_value(r['docs_kept'])} of {format_value(r['docs_raw'])}")
    table.add_row("words kept", pct(r["kept_ratio_words"]))
    table.add_row("untouched / emptied / dropped",
                  f"{pct(r['share_untouched'])} / {pct(r['share_emptied'])} / {pct(r['share_dropped'])}")
    table.add_row("novel words per 1,000", format_value(f["novel_words_per_1k"]))
    table.add_row("deletion-subsequence (chars)", pct(f["deletion_subsequence"]["char"]))
    if "gold" in n:
        table.add_row("line F1 / doc F1", f"{format_value(n['gold']['lines']['f1'])} / "
                                          f"{format_value(n['gold']['docs']['f1'])}")
    console.print(table)


def compare(
    refined: Annotated[list[str], typer.Argument(metavar="REFINED...", help="Refined variants: `refine run` outputs or corpora.")],
    output: Annotated[str, OUTPUT],
    raw: Annotated[Optional[str], typer.Option(
        help="The raw corpus. Default: each run's input as its run.json records it.")] = None,
    gold: GoldOption = None,
    scorer: ScorerOption = None,
    encoder: EncoderOption = None,
    text_field: TextFieldOption = "text",
    id_field: IdFieldOption = "id",
    sample: SampleOption = 500,
    pii_names: PiiNamesOption = True,
) -> None:
    """Put several refined variants of one raw corpus side by side in one report."""
    from evals.compare import headline_table, write_compare_report
    from evals.corpus import raw_input_of, read_raw, read_refined, variant_name
    from evals.data_report import diversity_words, evaluate_data

    gold_labels = _gold(gold)
    raws: dict = {}
    variants: dict = {}  # name -> (spec, refined corpus, raw spec)
    for spec in refined:
        corpus = _guard(spec, lambda: read_refined(spec, text_field, id_field))
        raw_spec = raw or raw_input_of(corpus)
        if raw_spec is None:
            die(f"{spec}: give the raw corpus with --raw (it is not a `refine run` output whose input still exists)")
        if raw_spec not in raws:
            raws[raw_spec] = _guard(raw_spec, lambda: read_raw(raw_spec, text_field, id_field))
        variants[_unique(variant_name(spec), variants)] = (spec, corpus, raw_spec)
    # every column's diversity on the same number of words
    budget = min(_guard(s, lambda: diversity_words(raws[r], c)) for s, c, r in variants.values())
    scorer_model, encoder_model = _tools(scorer, encoder)
    results, inputs = {}, {}
    for name, (spec, corpus, raw_spec) in variants.items():
        note(f"[bold]{name}[/]")
        results[name] = _guard(spec, lambda: evaluate_data(
            raws[raw_spec], corpus, gold=gold_labels, scorer=scorer_model, encoder=encoder_model, sample=sample,
            pii_names=pii_names, diversity_budget=budget, log=lambda step: note(f"[dim]… {step}[/]")))
        inputs[name] = {"refined": spec, "raw": raw_spec}
    paths = write_compare_report(output, results, inputs)
    table, _ = headline_table(results)
    shown = RichTable(title="refine eval compare")
    for column in table.columns:
        shown.add_column(column or "metric", justify="left" if not column else "right")
    for row in table.rows:
        shown.add_row(*map(str, row))
    console.print(shown)
    note(f"report: {paths['html']} (and report.md, report.json)")


def _unique(name: str, taken: dict) -> str:
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}-{k}", k + 1
    return candidate


# --- commands: one line each (`train`, `refiner`: register yours here) ----------------------------
eval_app.command("data")(data)
eval_app.command("compare")(compare)
eval_app.command("train")(train)
eval_app.command("probe")(probe)
eval_app.command("refiner")(refiner)
# ------------------------------------------------------------------------------------------------
