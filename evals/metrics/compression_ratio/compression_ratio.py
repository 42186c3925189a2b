"""compression_ratio: bytes / zlib-compressed bytes of a corpus (higher: more repetitive)."""

import datasets
import evaluate

from evals.diversity import compression_ratio

_DESCRIPTION = "Compression ratio of the concatenated texts under zlib: a cheap, model-free redundancy measure."
_KWARGS_DESCRIPTION = """
Args:
    predictions: texts.
Returns:
    compression_ratio.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class CompressionRatio(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions):
        return {"compression_ratio": compression_ratio(predictions)}
