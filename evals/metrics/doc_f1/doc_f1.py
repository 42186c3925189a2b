"""doc_f1: precision, recall and F1 of dropped documents against gold keep/drop labels."""

import datasets
import evaluate

from evals.gold import doc_scores

_DESCRIPTION = "Precision, recall and F1 of the documents a refiner dropped (drop is the positive class)."
_KWARGS_DESCRIPTION = """
Args:
    predictions: per document, 1 if the refiner dropped it, else 0.
    references: per document, 1 if it should be dropped, else 0.
Returns:
    precision, recall, f1 (None when undefined), and the counts tp, fp, fn.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DocF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int8"),
                                        "references": datasets.Value("int8")}),
        )

    def _compute(self, predictions, references):
        return doc_scores([bool(p) for p in predictions], [bool(r) for r in references])
