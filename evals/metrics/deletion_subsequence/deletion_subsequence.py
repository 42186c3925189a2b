"""deletion_subsequence: share of refined documents that only delete from their raw documents."""

import datasets
import evaluate

from evals.faithfulness import deletion_subsequence_shares

_DESCRIPTION = ("Share of refined documents that are a deletion-subsequence of their raw document: of whole "
                "lines (line) and of characters (char).")
_KWARGS_DESCRIPTION = """
Args:
    predictions: refined texts.
    references: the raw texts they were refined from.
Returns:
    line, char: shares in [0, 1] (None for no documents).
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DeletionSubsequence(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        return deletion_subsequence_shares(references, predictions)
