"""Every metric loads as an `evaluate` module from its folder, offline, and agrees with its plain function."""

from __future__ import annotations

import evaluate
import pytest

import evals.metrics
from evals.diversity import compression_ratio, distinct
from evals.faithfulness import deletion_subsequence_shares, novel_words_per_1k
from evals.gold import doc_scores, line_scores

RAW = ["the cat sat on the mat\nshare this page\n", "a b c\nd e f\n", "one two three"]
REFINED = ["the cat sat on the red mat\n", "a b c\n", "one two three"]


@pytest.fixture(scope="module")
def load(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("evaluate-cache"))
    return lambda name: evaluate.load(evals.metrics.path(name), cache_dir=cache)


def test_every_metric_folder_holds_its_script():
    for name in evals.metrics.NAMES:
        assert (evals.metrics.HERE / name / f"{name}.py").is_file()
    with pytest.raises(ValueError, match="no metric"):
        evals.metrics.path("bleu")


def test_line_f1(load):
    predictions, references = [[0, 1], [], [4, 5, 6]], [[1, 2], [3], [4, 5, 6]]
    result = load("line_f1").compute(predictions=predictions, references=references)
    assert result == line_scores(predictions, references)
    assert (result["tp"], result["fp"], result["fn"]) == (4, 1, 2)


def test_doc_f1(load):
    predictions, references = [1, 0, 1, 1], [1, 1, 0, 1]
    result = load("doc_f1").compute(predictions=predictions, references=references)
    assert result == doc_scores([bool(p) for p in predictions], [bool(r) for r in references])
    assert result["f1"] == pytest.approx(2 / 3)


def test_novel_words(load):
    result = load("novel_words").compute(predictions=REFINED, references=RAW)
    assert result["novel_words_per_1k"] == pytest.approx(novel_words_per_1k(RAW, REFINED))
    assert (result["novel_words"], result["refined_words"]) == (1, 13)


def test_deletion_subsequence(load):
    result = load("deletion_subsequence").compute(predictions=REFINED, references=RAW)
    assert result == deletion_subsequence_shares(RAW, REFINED)
    assert result["line"] == pytest.approx(2 / 3)


def test_distinct_n(load):
    metric = load("distinct_n")
    assert metric.compute(predictions=RAW) == pytest.approx(distinct(RAW))
    assert metric.compute(predictions=["a b a b", "c"], max_n=2) == pytest.approx({"distinct_1": 0.6,
                                                                                  "distinct_2": 2 / 3})


def test_compression_ratio(load):
    result = load("compression_ratio").compute(predictions=RAW * 5)
    assert result["compression_ratio"] == pytest.approx(compression_ratio(RAW * 5))
