"""novel_words: words of refined documents that never occur in their raw documents, per 1,000 words."""

import datasets
import evaluate

from evals.faithfulness import novel_words
from evals.faithfulness import novel_words_per_1k

_DESCRIPTION = ("Novel words per 1,000 refined words (RefineX's faithfulness measure): 0 for pure deletions, "
                "5-20 for end-to-end rewriting. Words are \\w+ runs.")
_KWARGS_DESCRIPTION = """
Args:
    predictions: refined texts.
    references: the raw texts they were refined from.
Returns:
    novel_words_per_1k, novel_words, refined_words.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class NovelWords(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        counts = [novel_words(raw, refined) for refined, raw in zip(predictions, references)]
        return {"novel_words_per_1k": novel_words_per_1k(references, predictions),
                "novel_words": sum(n for n, _ in counts), "refined_words": sum(k for _, k in counts)}
