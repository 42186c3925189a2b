"""A pretrained judge for `refine eval data --judge NAME`: how surprising a small pretrained LM finds each
document, raw and refined (CCNet's perplexity signal: fluent article text scores low, menus, lists of
links and garbled text usually higher). A proxy, labelled as one: low loss means "reads like what the
judge was trained on", not "good training data", and repetitive boilerplate can score low too.

The judge is a causal LM (a named model such as `smollm2-135m`, resolved by `refine.named_models`, or a
local directory) scoring each sampled document's first `max_tokens` tokens: the mean per-token loss in
nats per document, its distribution per side, and the paired refined − raw difference over the
documents present on both sides, with a bootstrap interval over documents.
"""

from __future__ import annotations

from typing import Sequence

from evals import plots
from evals.quality import Scorer
from evals.report import Figure, Section, Table, format_value, pct
from evals.retention import distribution
from evals.stats_ci import bootstrap_difference

DEFAULT_JUDGE_SAMPLE = 50  # documents: SmolLM2-135M scores 50 per side in about 3 minutes of one CPU core
DEFAULT_MAX_TOKENS = 256  # ~1.7 s per document on one core: the cost grows with the tokens scored
PROXY_NOTE = ("A proxy, not a quality measure: the judge's mean per-token loss says how predictable it finds "
              "a document (CCNet keeps the low-perplexity head of a corpus by this signal). Removing "
              "boilerplate can raise it (menus and link lists are repetitive and easy to predict) as well as "
              "lower it (garbled or spammy text), and a raw page's first tokens are often its header chrome; read it "
              "beside retention and the gold agreement.")


class JudgeError(ValueError):
    """A judge that cannot be loaded: unknown name, package missing, not a causal LM."""


class LMJudge:
    """A causal LM scoring documents by their mean per-token loss (nats)."""

    def __init__(self, model: str, max_tokens: int = DEFAULT_MAX_TOKENS, batch_size: int = 4):
        from refine import named_models

        self.name = model
        try:
            directory = named_models.resolve(model)
            self.scorer = Scorer(directory, max_length=max_tokens, batch_size=batch_size)
        except named_models.NamedModelError as e:
            raise JudgeError(f"--judge {model!r}: {e}") from e
        except OSError as e:
            raise JudgeError(f"--judge {model!r} is neither a named model ({', '.join(named_models.NAMED)}) "
                             f"nor a local model directory: {e}") from e
        if self.scorer.kind != "causal_lm":
            raise JudgeError(f"--judge {model!r} is a classifier; the judge needs a causal LM")
        self.max_tokens = max_tokens

    def doc_losses(self, texts: Sequence[str]) -> list[float | None]:
        """Mean per-token loss per text (None for a text of fewer than two tokens). Texts are scored
        shortest first so a batch pads little; the result is in the input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        scored = self.scorer.nll([texts[i] for i in order])
        out: list[float | None] = [None] * len(texts)
        for i, (total, count) in zip(order, scored):
            out[i] = total / count if count else None
        return out


def judge_numbers(judge: LMJudge, ids: Sequence[str], raw: dict[str, str], refined: dict[str, str],
                  sample: int = DEFAULT_JUDGE_SAMPLE) -> tuple[dict, dict[str, list]]:
    """The judge's numbers on the first `sample` of `ids` (already in sampling order) and the per-document
    series for the plot. Refined: the sampled documents that were kept and are not empty."""
    chosen = list(ids)[:sample] if sample > 0 else list(ids)
    kept = [i for i in chosen if (refined.get(i) or "").strip()]
    raw_losses = dict(zip(chosen, judge.doc_losses([raw[i] for i in chosen])))
    ref_losses = dict(zip(kept, judge.doc_losses([refined[i] for i in kept])))
    raw_vals = [v for v in raw_losses.values() if v is not None]
    ref_vals = [v for v in ref_losses.values() if v is not None]
    paired = [i for i in kept if raw_losses.get(i) is not None and ref_losses.get(i) is not None]
    numbers = {
        "judge": judge.name, "max_tokens": judge.max_tokens, "docs": len(chosen), "kept_docs": len(kept),
        "raw": distribution(raw_vals), "refined": distribution(ref_vals),
        "paired_docs": len(paired),
        "proxy": True,
    }
    if len(paired) >= 2:
        diff = bootstrap_difference([raw_losses[i] for i in paired], [ref_losses[i] for i in paired]).to_dict()
        numbers["difference"] = diff
        numbers["share_lower"] = sum(ref_losses[i] < raw_losses[i] for i in paired) / len(paired)
    return numbers, {"judge_raw": raw_vals, "judge_refined": ref_vals}


def judge_section(numbers: dict, series: dict[str, list]) -> Section:
    """The report section: the distribution table, the paired difference, and a histogram per side."""
    rows = []
    for stat, label in (("mean", "mean"), ("p10", "10th percentile"), ("p50", "median"), ("p90", "90th percentile")):
        rows.append([f"{label} of the loss per document (nats/token)",
                     format_value(numbers["raw"][stat]), format_value(numbers["refined"][stat])])
    rows.append(["documents scored", numbers["docs"], numbers["kept_docs"]])
    text = [f"Judge: {numbers['judge']}, each document's first {numbers['max_tokens']:,} tokens, on "
            f"{numbers['docs']:,} sampled documents (refined: the {numbers['kept_docs']:,} of them kept).", PROXY_NOTE]
    d = numbers.get("difference")
    if d:
        text.append(f"Refined − raw, paired over {numbers['paired_docs']:,} documents: "
                    f"{format_value(d['diff'])} nats/token, 95% bootstrap interval [{format_value(d['low'])}, "
                    f"{format_value(d['high'])}]; the judge finds {pct(numbers['share_lower'])} of the refined "
                    "documents more predictable than their raw version.")
    values = [v for vs in series.values() for v in vs]
    figures = []
    if values:
        svg = plots.histogram({"raw": series.get("judge_raw", []), "refined": series.get("judge_refined", [])},
                              title="Judge loss per document (proxy)", xlabel="mean per-token loss (nats)")
        figures.append(Figure("judge_loss", svg, "Per-document mean per-token loss under the pretrained judge, "
                                                 "raw vs refined (a proxy: lower is more predictable to it)."))
    return Section("Pretrained judge (proxy)", "\n\n".join(text),
                   [Table(["", "raw", "refined"], rows)], figures)
