"""line_f1: precision, recall and F1 of removed lines against gold labels, micro-averaged over documents."""

import datasets
import evaluate

from evals.gold import line_scores

_DESCRIPTION = "Precision, recall and F1 of the lines a refiner removed, against the lines gold labels remove."
_KWARGS_DESCRIPTION = """
Args:
    predictions: per document, the 0-based numbers of the lines the refiner removed.
    references: per document, the 0-based numbers of the lines that should be removed.
Returns:
    precision, recall, f1 (None when undefined), and the counts tp, fp, fn over all (document, line) pairs.
Example:
    >>> metric = evaluate.load("evals/metrics/line_f1")
    >>> metric.compute(predictions=[[0, 1]], references=[[1, 2]])["f1"]
    0.5
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class LineF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("int64")),
                                        "references": datasets.Sequence(datasets.Value("int64"))}),
        )

    def _compute(self, predictions, references):
        return line_scores(predictions, references)
