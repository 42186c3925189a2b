"""`refine.scores.prf`: one formula, and the convention for undefined ratios said by the caller."""

import math

import pytest

from refine.scores import prf


def test_defined_scores_and_counts():
    assert prf(3, 1, 2) == {"precision": 0.75, "recall": 0.6, "f1": 6 / 9, "tp": 3, "fp": 1, "fn": 2}


@pytest.mark.parametrize("tp,fp,fn", [(1, 0, 0), (5, 3, 7), (2, 9, 1), (40, 1, 13)])
def test_f1_is_the_harmonic_mean_where_both_ratios_exist(tp, fp, fn):
    s = prf(tp, fp, fn)
    assert math.isclose(s["f1"], 2 * s["precision"] * s["recall"] / (s["precision"] + s["recall"]))


def test_undefined_ratios_are_missing_by_default_and_zero_when_asked():
    assert prf(0, 0, 0) == {"precision": None, "recall": None, "f1": None, "tp": 0, "fp": 0, "fn": 0}
    nothing_predicted = prf(0, 0, 4)
    assert nothing_predicted["precision"] is None and nothing_predicted["recall"] == 0.0
    assert nothing_predicted["f1"] == 0.0  # defined: every gold positive was missed
    assert prf(0, 0, 0, undefined=0.0)["f1"] == 0.0
    assert prf(0, 2, 0, undefined=0.0)["recall"] == 0.0


def test_the_reports_use_the_same_helper():
    from evals.gold import doc_scores, line_scores

    assert line_scores([{1, 2}, set()], [{2, 3}, set()]) == prf(1, 1, 1)
    assert doc_scores([False, False], [False, False])["f1"] is None
