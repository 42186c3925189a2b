"""Refiner metrics on hand-made cases whose values are known exactly."""

from __future__ import annotations

import pytest

from evals.refiner_metrics import (
    DocPrograms,
    canonical,
    drops,
    error_counts,
    exact_match,
    macro_line_f1,
    parse_scoped,
    removed_lines,
    score,
    validity,
)
from evals.gold import doc_scores, line_scores

TEXT = "".join(f"line {i}\n" for i in range(6))  # lines 0..5


def rl(a: int, b: int) -> str:
    return f"remove_lines(line_start={a}, line_end={b})"


def test_overlapping_removals_give_two_thirds():
    pred = removed_lines(TEXT, parse_scoped([(rl(1, 3), None)]))
    gold = removed_lines(TEXT, parse_scoped([(rl(2, 4), None)]))
    assert (pred, gold) == ({1, 2, 3}, {2, 3, 4})
    s = line_scores([pred], [gold])
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 / 3)


def test_removed_lines_follow_the_interpreter():
    programs = parse_scoped([(rl(0, 1), (0, 2)), (rl(4, 9), (3, 5)), ("drop_doc()", None), ("nonsense(", None)])
    # the second range runs past the document (an error, nothing removed); drop_doc and the
    # unparseable program are not line removals
    assert removed_lines(TEXT, programs) == {0, 1}
    # a range outside its chunk's scope removes nothing either
    assert removed_lines(TEXT, parse_scoped([(rl(4, 4), (0, 2))])) == set()


def test_micro_pools_lines_and_macro_averages_documents():
    pred, gold = [{0, 1}, set(), set()], [{0}, {2, 3}, set()]
    s = line_scores(pred, gold)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 2)
    assert s["precision"] == pytest.approx(1 / 2) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(0.4)
    macro, n = macro_line_f1(pred, gold)  # (2/3 + 0) / 2; the third document removes nothing on either side
    assert n == 2 and macro == pytest.approx(1 / 3)


def test_doc_level_drop_is_positive():
    s = doc_scores([True, True, False, False], [True, False, True, False])
    assert (s["precision"], s["recall"], s["f1"]) == (0.5, 0.5, 0.5)
    assert drops("drop_doc()") and not drops("keep_doc()") and not drops("drop_doc(") and not drops(None)


def test_validity_and_exact_match():
    assert validity(["keep_chunk()", "garbage(", rl(0, 1)]) == pytest.approx(2 / 3)
    assert validity([]) is None
    assert canonical("remove_lines(line_start=0,line_end=1)") == rl(0, 1)
    assert canonical("import os") is None
    predicted = ["remove_lines(line_start=0,line_end=1)", "keep_chunk(", rl(2, 2), "keep_chunk()"]
    gold = [rl(0, 1), "keep_chunk()", rl(2, 3), "keep_chunk()"]
    assert exact_match(predicted, gold) == pytest.approx(2 / 4)
    with pytest.raises(ValueError):
        exact_match(["keep_chunk()"], [])


def test_error_counts_by_code():
    programs = parse_scoped([
        (rl(3, 99), None),  # out_of_range
        ('remove_str(line=1, del_str="absent")', None),  # not_found
        ("remove_lines(line_start=0 line_end=1)", None),  # does not parse
        ("keep_chunk()", None),
    ])
    counts = error_counts(TEXT, programs)
    assert counts["out_of_range"] == 1 and counts["not_found"] == 1
    assert sum(counts.values()) == 3


def test_score_puts_it_together():
    docs = [
        DocPrograms("a", TEXT, False, gold=[(rl(2, 4), (0, 5))], predicted_doc="keep_doc()",
                    predicted=[(rl(1, 3), (0, 5))]),
        DocPrograms("b", TEXT, False, gold=[("keep_chunk()", (0, 2)), (rl(3, 3), (3, 5))], predicted_doc="drop_doc()",
                    predicted=[("keep_chunk()", (0, 2)), ("remove_lines(line_start=3, line_end=3", (3, 5))]),
        DocPrograms("c", TEXT, True, predicted_doc="drop_doc()"),
        DocPrograms("d", TEXT, True, predicted_doc="keep_doc("),
    ]
    s = score(docs)
    assert s["programs"] == {"doc": 4, "chunk": 3}
    assert s["validity"]["doc"] == pytest.approx(3 / 4) and s["validity"]["chunk"] == pytest.approx(2 / 3)
    assert s["validity"]["all"] == pytest.approx(5 / 7)
    assert s["exact_match"]["doc"] == pytest.approx(2 / 4)  # a and c
    assert s["exact_match"]["chunk"] == pytest.approx(1 / 3)  # b's keep_chunk
    # lines, over the gold-kept a and b: pred {1,2,3} + {} vs gold {2,3,4} + {3}
    assert s["line"]["documents"] == 2
    assert (s["line"]["micro"]["tp"], s["line"]["micro"]["fp"], s["line"]["micro"]["fn"]) == (2, 1, 2)
    assert s["line"]["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)
    # documents: predicted drops b, c (d's output does not parse: kept); gold drops c, d
    assert (s["doc"]["tp"], s["doc"]["fp"], s["doc"]["fn"]) == (1, 1, 1)
    assert s["errors"] == {"syntax": 2}
    # end to end, b's drop removes all six of its lines: pred {1,2,3} + {0..5} vs gold {2,3,4} + {3}
    e = score(docs, drop_removes_lines=True)["line"]["micro"]
    assert (e["tp"], e["fp"], e["fn"]) == (3, 6, 1)


def test_score_refuses_misaligned_chunks():
    docs = [DocPrograms("a", TEXT, False, gold=[("keep_chunk()", (0, 5))], predicted=[])]
    with pytest.raises(ValueError, match="'a'"):
        score(docs)
    docs[0].aligned = False
    assert score(docs)["exact_match"]["chunk"] is None
