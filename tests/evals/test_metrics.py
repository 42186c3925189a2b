"""The plain metric functions on hand-made documents whose values are known."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from evals import diversity, faithfulness, retention
from evals.gold import (GoldError, aligned_removed_lines, audit_removed_lines, doc_scores, gold_doc, line_scores,
                        prf, read_gold)
from evals.programs_stats import program_stats
from evals.quality import perplexity_summary

TEN_LINES = "".join(f"line {i} says something different about topic {i}.\n" for i in range(10))


def without(text: str, drop: set[int]) -> str:
    return "".join(line for i, line in enumerate(text.splitlines(keepends=True)) if i not in drop)


# --------------------------------------------------------------------------------------------------
# Line and document agreement


def test_deleting_exactly_three_of_ten_lines_scores_perfectly_against_gold_marking_them():
    refined = without(TEN_LINES, {2, 5, 7})
    removed = aligned_removed_lines(TEN_LINES, refined)
    assert removed == {2, 5, 7}
    scores = line_scores([removed], [{2, 5, 7}])
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0 and scores["f1"] == 1.0


def test_line_scores_count_misses_and_false_alarms():
    removed = aligned_removed_lines(TEN_LINES, without(TEN_LINES, {2, 5, 7}))
    scores = line_scores([removed, set()], [{2, 5, 7, 8}, {0}])
    assert (scores["tp"], scores["fp"], scores["fn"]) == (3, 0, 2)
    assert scores["precision"] == 1.0 and scores["recall"] == 3 / 5 and scores["f1"] == pytest.approx(6 / 8)


def test_an_edited_line_is_kept_and_a_dropped_document_removes_every_line():
    lines = TEN_LINES.splitlines(keepends=True)
    lines[4] = lines[4].replace(" something different", "")  # a remove_str, not a removal
    refined = "".join(line for i, line in enumerate(lines) if i != 8)
    assert aligned_removed_lines(TEN_LINES, refined) == {8}
    assert aligned_removed_lines(TEN_LINES, None) == set(range(10))


def test_audit_rows_say_exactly_which_lines_went():
    row = {"kept": True, "outcome": "applied", "rewrite": False,
           "programs": [{"program": "remove_lines(line_start=1, line_end=2)\nremove_lines(line_start=8, line_end=20)",
                         "lines": None, "stage": "chunk"},
                        {"program": "remove_lines(line_start=6, line_end=6)", "lines": [5, 9], "stage": "chunk"},
                        {"program": "remove_lines(line_start=0, line_end=0)", "lines": [3, 4], "stage": "chunk"}]}
    # 8..20 is out of range and 0 leaves its chunk: the interpreter skips both, so do we
    assert audit_removed_lines(TEN_LINES, row) == {1, 2, 6}
    assert audit_removed_lines(TEN_LINES, {**row, "outcome": "reverted"}) == set()
    assert audit_removed_lines(TEN_LINES, {**row, "kept": False, "outcome": "dropped"}) == set(range(10))
    assert audit_removed_lines(TEN_LINES, {**row, "rewrite": True}) is None
    refinex = {**row, "programs": [{"program": "remove_lines(start_line=2, end_line=3)", "lines": None}]}
    assert audit_removed_lines(TEN_LINES, refinex, dialect="refinex") == {1, 2}


def test_doc_scores_with_known_counts():
    scores = doc_scores([True, True, False, False, True], [True, False, True, False, True])
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 1, 1)
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)


def test_undefined_ratios_are_none_not_zero():
    assert prf(0, 0, 0) == {"precision": None, "recall": None, "f1": None, "tp": 0, "fp": 0, "fn": 0}
    assert prf(0, 0, 3)["precision"] is None and prf(0, 0, 3)["recall"] == 0.0 and prf(0, 0, 3)["f1"] == 0.0


def test_gold_rows_in_every_accepted_shape(tmp_path):
    assert gold_doc({"labels": [0, 1, 1, 0]}) .removed == {1, 2}
    assert gold_doc({"removed_lines": [3]}).removed == {3}
    assert gold_doc({"doc_label": 1}).drop is True and gold_doc({"doc_label": "keep"}).drop is False
    assert gold_doc({"keep": True}).drop is False and gold_doc({"keep": True}).removed is None
    with pytest.raises(GoldError, match="disagree"):
        gold_doc({"labels": [1, 0], "removed_lines": [1]})
    with pytest.raises(GoldError, match="no labels"):
        gold_doc({"id": "x"})
    path = tmp_path / "train.jsonl"  # shaped like a `refine annotate` dataset, beside its stats.json
    rows = [{"id": "a/doc", "doc_id": "a", "stage": "doc", "labels": [1, 0], "doc_label": 0},
            {"id": "a/chunk0", "doc_id": "a", "stage": "chunk", "labels": [0, 0]},  # chunk rows: ignored
            {"id": "b", "keep": False}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "stats.json").write_text(json.dumps({"docs": 2}, indent=1))
    for spec in (path, tmp_path):
        gold = read_gold(str(spec))
        assert set(gold) == {"a", "b"}
        assert gold["a"].removed == {0} and gold["a"].drop is False and gold["b"].drop is True
    path.write_text(json.dumps({"labels": [1]}) + "\n")
    with pytest.raises(GoldError, match="row 1: no 'id'"):
        read_gold(str(path))


# --------------------------------------------------------------------------------------------------
# Faithfulness


def test_novel_words_rate_of_a_rewrite_that_inserts_known_words():
    raw = ["the cat sat on the mat", "a b c d"]
    refined = ["the cat sat on the red mat today", "a b c d"]  # 2 novel words out of 8 + 4
    assert faithfulness.novel_words(raw[0], refined[0]) == (2, 8)
    assert faithfulness.novel_words_per_1k(raw, refined) == pytest.approx(1000 * 2 / 12)
    assert faithfulness.novel_words_per_1k(raw, [without(t, set()) for t in raw]) == 0.0


def test_deleting_punctuation_does_not_make_a_word_novel():
    assert faithfulness.novel_words("Hello, world!", "Hello world") == (0, 2)


@pytest.mark.parametrize("refined, line, char", [
    ("a\nc\n", True, True),  # whole lines deleted
    ("a\nb-b\nc\n", True, True),  # untouched
    ("", True, True),  # emptied
    ("a\nbb\nc\n", False, True),  # part of a line deleted (remove_str)
    ("a\nbXb\nc\n", False, False),  # a character inserted
    ("c\na\n", False, False),  # lines reordered
])
def test_deletion_subsequence_cases(refined, line, char):
    raw = "a\nb-b\nc\n"
    assert faithfulness.is_line_subsequence(refined, raw) is line
    assert faithfulness.is_char_subsequence(refined, raw) is char


def test_deletion_subsequence_shares():
    shares = faithfulness.deletion_subsequence_shares(["a\nb\n", "a\nb\n"], ["a\n", "a\nb!\n"])
    assert shares == {"line": 0.5, "char": 0.5}
    assert faithfulness.deletion_subsequence_shares([], []) == {"line": None, "char": None}


@pytest.mark.parametrize("raw, refined, expected", [
    ("abcdef", "abXdef", (0, 1, 1)),  # c replaced by X
    ("abc", "abcZZ", (2, 0, 0)),
    ("one\ntwo\nthree\n", "one\nthree\n", (0, 0, 4)),  # pure deletion: no diff needed
    ("keep\nold line\nkeep too\n", "keep\nnew line\nkeep too\n", (0, 3, 3)),
])
def test_char_edits(raw, refined, expected):
    e = faithfulness.char_edits(raw, refined)
    assert (e.inserted, e.replaced, e.deleted) == expected
    assert len(refined) == len(raw) - e.deleted + e.inserted + e.replaced


def test_char_edits_balance_on_random_rewrites():
    rng = random.Random(0)
    for _ in range(30):
        raw = "".join(rng.choice("ab \n") for _ in range(rng.randint(0, 60)))
        refined = "".join(rng.choice("abc \n") for _ in range(rng.randint(0, 60)))
        e = faithfulness.char_edits(raw, refined)
        assert len(refined) == len(raw) - e.deleted + e.inserted + e.replaced


# --------------------------------------------------------------------------------------------------
# Diversity


def test_distinct_n_on_a_tiny_corpus():
    texts = ["a b a b", "c"]
    assert diversity.distinct_n(texts, 1) == pytest.approx(3 / 5)
    assert diversity.distinct_n(texts, 2) == pytest.approx(2 / 3)  # ab, ba, ab; none crosses documents
    assert diversity.distinct_n(texts, 3) == pytest.approx(2 / 2)
    assert diversity.distinct(["x"], max_n=2) == {"distinct_1": 1.0, "distinct_2": 0.0}
    with pytest.raises(ValueError):
        diversity.distinct_n(texts, 0)


def test_take_words_cuts_a_corpus_to_a_word_budget():
    assert diversity.take_words(["a b c", "d e", "f"], 4) == ["a b c", "d"]
    assert diversity.take_words(["a b c", "d e"], 5) == ["a b c", "d e"]
    assert diversity.take_words(["a b"], 0) == []


def test_compression_ratio_rises_with_repetition():
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(2000)]
    unique = [" ".join(rng.choice(vocab) for _ in range(40)) for _ in range(60)]
    ratios = [diversity.compression_ratio(unique[:60 - k] + [unique[0]] * k) for k in (0, 20, 40, 59)]
    assert ratios == sorted(ratios) and ratios[-1] > 2 * ratios[0]
    assert diversity.compression_ratio([]) == 0.0


def test_mean_pairwise_distance_matches_brute_force():
    assert diversity.mean_pairwise_distance([[1, 0], [2, 0], [3, 0]]) == pytest.approx(0.0)
    assert diversity.mean_pairwise_distance([[1, 0], [0, 1]]) == pytest.approx(1.0)
    assert diversity.mean_pairwise_distance([[1, 0]]) is None
    e = np.random.default_rng(0).normal(size=(7, 5))
    u = e / np.linalg.norm(e, axis=1, keepdims=True)
    brute = np.mean([1 - u[i] @ u[j] for i in range(7) for j in range(7) if i != j])
    assert diversity.mean_pairwise_distance(e) == pytest.approx(brute)


# --------------------------------------------------------------------------------------------------
# Retention, programs, quality


def test_retention_counts_every_fate():
    raw = ["a b c d", "e f", "g h i", "j"]
    refined = ["a b", "e f", None, " "]  # changed, untouched, dropped, emptied
    r = retention.retention(raw, refined)
    assert (r["docs_kept"], r["docs_dropped"], r["docs_emptied"], r["docs_untouched"], r["docs_changed"]) == (3, 1, 1, 1, 2)
    assert r["words_raw"] == 10 and r["words_refined"] == 4 and r["kept_ratio_words"] == pytest.approx(0.4)
    assert r["share_dropped"] == 0.25 and r["share_untouched"] == 0.25
    assert retention.kept_ratios(raw, refined) == [0.5, 1.0, 0.0, 0.0]
    d = retention.distribution([1, 2, 3, 4, 5])
    assert d["mean"] == 3.0 and d["p50"] == 3.0 and d["max"] == 5.0
    assert retention.distribution([])["mean"] is None
    with pytest.raises(ValueError, match="paired"):
        retention.retention(["a"], [])


def test_program_stats_from_audit_rows():
    rows = [
        {"outcome": "applied", "programs": [{"program": "remove_lines(line_start=0, line_end=1)\n"
                                                        "remove_str(line=3, del_str=\"x\")", "lines": None}],
         "errors": [{"code": "not_found"}], "effects": {"ops": {"remove_lines": 1}},
         "prompt_tokens": 100, "completion_tokens": 10},
        {"outcome": "dropped", "drop_reason": "drop_doc", "programs": [{"program": "drop_doc()", "lines": None}],
         "errors": [], "effects": {"ops": {"drop_doc": 1}}, "prompt_tokens": 50, "completion_tokens": 5},
        {"outcome": "unchanged", "programs": [{"program": "oops(", "lines": None}],
         "errors": [{"code": "syntax"}], "effects": {"ops": {}}, "prompt_tokens": 50, "completion_tokens": 5},
    ]
    s = program_stats(rows, input_words=400)
    assert s["docs"] == 3 and s["outcomes"] == {"applied": 1, "dropped": 1, "unchanged": 1}
    assert s["ops_emitted"] == {"remove_lines": 1, "remove_str": 1, "drop_doc": 1}
    assert s["ops_applied"] == {"remove_lines": 1, "drop_doc": 1}
    assert s["ops_per_doc_total"] == 1.0 and s["ops_per_doc"]["remove_str"] == pytest.approx(1 / 3)
    assert s["errors"] == {"not_found": 1, "syntax": 1} and s["docs_with_errors"] == 2
    assert s["generated_per_prompt_token"] == pytest.approx(20 / 200)
    assert s["generated_per_input_word"] == pytest.approx(20 / 400)
    assert s["drop_reasons"] == {"drop_doc": 1}


def test_perplexity_summary():
    s = perplexity_summary([(2 * math.log(4), 2), (3 * math.log(8), 3), (0.0, 0)])
    assert s["docs"] == 2 and s["tokens"] == 5
    assert s["mean_doc_ppl"] == pytest.approx(6.0)
    assert s["token_ppl"] == pytest.approx(math.exp((2 * math.log(4) + 3 * math.log(8)) / 5))
    assert perplexity_summary([])["token_ppl"] is None
