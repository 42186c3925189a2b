"""distinct_n: unique n-grams / all n-grams of a corpus, for n = 1 .. max_n."""

import datasets
import evaluate

from evals.diversity import distinct

_DESCRIPTION = "distinct-n (Li et al., 2016) over a corpus of whitespace-tokenized texts; n-grams do not cross texts."
_KWARGS_DESCRIPTION = """
Args:
    predictions: texts.
    max_n: the largest n (default 3).
Returns:
    distinct_1 .. distinct_{max_n}.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DistinctN(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, max_n=3):
        return distinct(predictions, max_n=max_n)
