"""The interpreter's semantics, one test per rule of `programs/apply.py`'s docstring."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.apply import apply, find_unique
from programs.ops import (
    DropDoc,
    KeepChunk,
    KeepDoc,
    Normalize,
    Policy,
    Program,
    ProgramError,
    RemoveLines,
    RemoveStr,
)

DOC = "".join(f"line {i} body\n" for i in range(10))  # lines 0..9


def prog(*ops, scope=None):
    return Program(tuple(ops), scope)


def codes(result):
    return [e.code for e in result.errors]


# --- inputs -------------------------------------------------------------------------------------

def test_program_error_counts_as_one_error_with_its_code():
    err = ProgramError("syntax", "unexpected EOF", 1, 5)
    result = apply(DOC, [prog(RemoveLines(0, 0)), err])
    assert result.text == DOC.split("\n", 1)[1]
    assert [(e.code, e.op, e.program_index, e.op_index) for e in result.errors] == [("syntax", None, 1, None)]


def test_single_program_error_is_accepted_alone():
    result = apply(DOC, ProgramError("unknown_op", "eval"))
    assert result.outcome == "unchanged" and codes(result) == ["unknown_op"]


def test_program_with_no_ops_changes_nothing():
    result = apply(DOC, prog())
    assert (result.text, result.outcome, result.effects, result.errors) == (DOC, "unchanged", (), ())


def test_non_operation_is_a_bug_at_the_edge():
    with pytest.raises(TypeError, match="not an operation"):
        apply(DOC, prog("remove_lines(0, 1)"))


# --- drop_doc / keep_doc ---------------------------------------------------------------------------

def test_drop_doc_wins_over_everything():
    result = apply(DOC, [prog(RemoveLines(0, 1), RemoveStr(99, "x")), prog(KeepChunk(), DropDoc())])
    assert (result.text, result.kept, result.outcome, result.drop_reason) == ("", False, "dropped", "drop_doc")
    assert [type(e.op) for e in result.effects] == [DropDoc]
    assert result.errors == ()  # nothing else is evaluated


def test_drop_doc_beside_keep_doc_is_a_conflict():
    result = apply(DOC, prog(KeepDoc(), DropDoc()))
    assert not result.kept and result.drop_reason == "drop_doc"
    assert [(e.code, e.op, e.op_index) for e in result.errors] == [("conflict", KeepDoc(), 0)]


def test_drop_doc_on_empty_document_still_drops():
    assert apply("", prog(DropDoc())).outcome == "dropped"


def test_keep_doc_and_keep_chunk_are_recorded_no_ops():
    result = apply(DOC, [prog(KeepDoc()), prog(KeepChunk())])
    assert (result.text, result.outcome) == (DOC, "unchanged")
    assert [(type(e.op), e.program_index) for e in result.effects] == [(KeepDoc, 0), (KeepChunk, 1)]


# --- remove_str -------------------------------------------------------------------------------------

def test_remove_str_removes_the_one_occurrence_in_the_body():
    result = apply("Share on Facebook. Hello\nnext\n", prog(RemoveStr(0, "Share on Facebook. ")))
    assert result.text == "Hello\nnext\n"
    assert (result.effects[0].chars_removed, result.effects[0].replacements) == (19, 1)


def test_remove_str_not_found_and_ambiguous():
    text = "a b a\nb\n"
    assert codes(apply(text, prog(RemoveStr(0, "zzz")))) == ["not_found"]
    assert codes(apply(text, prog(RemoveStr(0, "a")))) == ["ambiguous"]
    assert codes(apply(text, prog(RemoveStr(0, "")))) == ["not_found"]


def test_remove_str_overlapping_occurrences_are_ambiguous():
    assert codes(apply("aaa\n", prog(RemoveStr(0, "aa")))) == ["ambiguous"]
    assert find_unique("aaa", "aa") < 0 and find_unique("aab", "ab") == 1


def test_remove_str_never_touches_the_terminator():
    assert codes(apply("ab\r\ncd\n", prog(RemoveStr(0, "b\r")))) == ["not_found"]
    assert codes(apply("ab\ncd\n", prog(RemoveStr(0, "b\nc")))) == ["not_found"]


def test_remove_str_out_of_range_and_out_of_scope():
    assert codes(apply(DOC, prog(RemoveStr(10, "line")))) == ["out_of_range"]
    assert codes(apply(DOC, prog(RemoveStr(-1, "line")))) == ["out_of_range"]
    result = apply(DOC, prog(RemoveStr(2, "body"), scope=(3, 5)))
    assert codes(result) == ["out_of_range"] and "chunk" in result.errors[0].message
    assert apply(DOC, prog(RemoveStr(3, " body"), scope=(3, 5))).text.splitlines()[3] == "line 3"


def test_edits_apply_to_the_current_body_in_program_order():
    text = "x-y-z\n"
    # after removing "-y", "-" is unique; before, it was ambiguous
    assert apply(text, prog(RemoveStr(0, "-y"), RemoveStr(0, "-"))).text == "xz\n"
    result = apply(text, prog(RemoveStr(0, "-"), RemoveStr(0, "-y")))
    assert codes(result) == ["ambiguous"] and result.text == "x-z\n"


def test_line_emptied_by_remove_str_stays_as_empty_line():
    assert apply("a\nonly\nc\n", prog(RemoveStr(1, "only"))).text == "a\n\nc\n"


# --- normalize --------------------------------------------------------------------------------------

def test_normalize_replaces_within_scope_only():
    text = "a&nbsp;b\nc&nbsp;d&nbsp;\ne&nbsp;\n"
    result = apply(text, prog(Normalize("&nbsp;", " "), scope=(1, 1)))
    assert result.text == "a&nbsp;b\nc d \ne&nbsp;\n"
    assert (result.effects[0].replacements, result.effects[0].chars_removed) == (2, 10)


def test_normalize_whole_document_without_scope():
    assert apply("a1\nb1\n", prog(Normalize("1", "22"))).text == "a22\nb22\n"


def test_normalize_not_found_in_scope_even_if_elsewhere():
    assert codes(apply("x\ny\n", prog(Normalize("x", ""), scope=(1, 1)))) == ["not_found"]
    assert codes(apply("x\n", prog(Normalize("", "y")))) == ["not_found"]


def test_normalize_with_newline_is_a_conflict():
    assert codes(apply("a\nb\n", prog(Normalize("a", "a\nb")))) == ["conflict"]
    assert codes(apply("a\nb\n", prog(Normalize("a\n", "")))) == ["conflict"]


def test_normalize_with_carriage_return_stays_in_bodies():
    result = apply("a\r\nb\r\n", prog(Normalize("\r", "")))
    assert codes(result) == ["not_found"] and result.text == "a\r\nb\r\n"
    assert apply("a\rb\r\nc\n", prog(Normalize("\r", " "))).text == "a b\r\nc\n"


def test_normalize_scope_outside_document_is_out_of_range():
    assert codes(apply("a\n", prog(Normalize("a", "b"), scope=(5, 9)))) == ["out_of_range"]


# --- remove_lines -----------------------------------------------------------------------------------

def test_remove_lines_inclusive_and_takes_terminators():
    assert apply("a\nb\nc\nd\n", prog(RemoveLines(1, 2))).text == "a\nd\n"


def test_overlapping_and_adjacent_ranges_merge_and_credit_new_lines_only():
    result = apply(DOC, [prog(RemoveLines(1, 3)), prog(RemoveLines(2, 5)), prog(RemoveLines(6, 6))])
    assert result.text == "".join(f"line {i} body\n" for i in (0, 7, 8, 9))
    assert [e.lines_removed for e in result.effects] == [3, 2, 1]
    assert sum(e.chars_removed for e in result.effects) == len(DOC) - len(result.text)


def test_range_covering_earlier_ranges_credits_gaps_between_them():
    result = apply(DOC, prog(RemoveLines(1, 1), RemoveLines(3, 3), RemoveLines(0, 5)))
    assert [e.lines_removed for e in result.effects] == [1, 1, 4]
    assert result.text == "".join(f"line {i} body\n" for i in range(6, 10))


def test_remove_lines_uses_original_numbering_after_edits():
    result = apply("a\nb\nc\n", prog(RemoveStr(1, "b"), RemoveLines(2, 2)))
    assert result.text == "a\n\n"


def test_remove_str_on_a_removed_line_is_fine():
    result = apply("a\nbb\nc\n", prog(RemoveLines(1, 1), RemoveStr(1, "b")))
    assert codes(result) == ["ambiguous"]  # judged on the body, not excused by the removal
    result = apply("a\nbx\nc\n", prog(RemoveLines(1, 1), RemoveStr(1, "x")))
    assert result.errors == () and result.text == "a\nc\n"
    assert sum(e.chars_removed for e in result.effects) == 3


@pytest.mark.parametrize("start,end", [(10, 10), (8, 10), (-1, 2), (5, 4)])
def test_remove_lines_out_of_range_is_never_clipped(start, end):
    result = apply(DOC, prog(RemoveLines(start, end)))
    assert codes(result) == ["out_of_range"] and result.text == DOC


def test_remove_lines_outside_scope():
    result = apply(DOC, prog(RemoveLines(2, 4), scope=(3, 6)))
    assert codes(result) == ["out_of_range"] and "chunk" in result.errors[0].message
    assert apply(DOC, prog(RemoveLines(3, 6), scope=(3, 6))).errors == ()


def test_chunk_programs_each_in_their_scope():
    chunks = [prog(RemoveLines(0, 1), scope=(0, 4)), prog(RemoveStr(7, " body"), scope=(5, 9))]
    result = apply(DOC, chunks)
    assert result.text.splitlines() == [f"line {i} body" for i in (2, 3, 4, 5, 6)] + ["line 7"] + [
        f"line {i} body" for i in (8, 9)]


# --- policy -----------------------------------------------------------------------------------------

TWO_BAD = prog(RemoveLines(0, 0), RemoveStr(1, "nope"), RemoveLines(50, 60))


def test_skip_policy_applies_the_rest():
    result = apply(DOC, TWO_BAD)
    assert result.outcome == "applied" and len(result.errors) == 2
    assert [e.op_index for e in result.errors] == [1, 2]
    assert result.text == DOC.split("\n", 1)[1]


def test_keep_original_reverts_at_max_errors():
    result = apply(DOC, TWO_BAD, Policy(on_error="keep_original", max_errors=2))
    assert (result.text, result.kept, result.outcome, result.effects) == (DOC, True, "reverted", ())
    assert len(result.errors) == 2
    assert apply(DOC, TWO_BAD, Policy(on_error="keep_original", max_errors=3)).outcome == "applied"


def test_drop_policy_drops_at_max_errors():
    result = apply(DOC, TWO_BAD, Policy(on_error="drop", max_errors=2))
    assert (result.text, result.kept, result.drop_reason) == ("", False, "errors")


def test_program_errors_count_toward_max_errors():
    result = apply(DOC, [ProgramError("syntax", "x"), prog(RemoveStr(0, "nope"))], Policy.prox())
    assert result.outcome == "reverted"


def test_refined_to_whitespace_is_dropped_as_empty():
    result = apply("a\n\nb\n", prog(RemoveLines(0, 0), RemoveLines(2, 2)))
    assert (result.kept, result.drop_reason, result.text) == (False, "empty", "")
    assert len(result.effects) == 2  # the effects stay to say what happened


def test_min_kept_ratio_and_min_words():
    text = "one two three four\n" + "x " * 40 + "\n"
    policy = Policy(min_kept_ratio=0.5)
    assert apply(text, prog(RemoveLines(1, 1)), policy).drop_reason == "min_kept_ratio"
    assert apply(text, prog(RemoveLines(0, 0)), policy).kept
    policy = Policy(min_words=5)
    assert apply(text, prog(RemoveLines(1, 1)), policy).drop_reason == "min_words"
    assert apply(text, prog(RemoveStr(0, "one ")), Policy(min_words=43)).kept  # 3 + 40 words


def test_unchanged_document_is_never_dropped_by_the_length_checks():
    result = apply("two words\n", prog(KeepChunk()), Policy.prox())
    assert (result.kept, result.outcome) == (True, "unchanged")


def test_unknown_on_error_is_a_bad_input_at_the_edge():
    with pytest.raises(ValueError, match="on_error"):
        apply(DOC, TWO_BAD, Policy(on_error="explode"))


# --- documents at the edges -------------------------------------------------------------------------

def test_empty_document():
    for policy in (Policy(), Policy.prox()):
        result = apply("", prog(KeepChunk()), policy)
        assert (result.text, result.kept, result.outcome) == ("", True, "unchanged")
    result = apply("", prog(RemoveLines(0, 0)), Policy.prox())
    assert codes(result) == ["out_of_range"] and result.kept and result.text == ""


def test_one_line_without_trailing_newline():
    assert apply("hello world", prog(RemoveStr(0, " world"))).text == "hello"
    assert apply("a\nb", prog(RemoveLines(1, 1))).text == "a"
    assert apply("a\nb", prog(RemoveLines(0, 0))).text == "b"
    assert codes(apply("a\nb", prog(RemoveLines(0, 2)))) == ["out_of_range"]


def test_removing_the_last_line_keeps_the_original_ending():
    assert apply("a\nb\nc\nd", prog(RemoveLines(3, 3))).text == "a\nb\nc"
    assert apply("a\nb\nc\nd\n", prog(RemoveLines(3, 3))).text == "a\nb\nc\n"
    assert apply("a\r\nb\r\nc", prog(RemoveLines(1, 2))).text == "a"
    assert apply("a\nb\nc", prog(RemoveLines(0, 2))).kept is False  # nothing left: "empty"
    for ops in ([RemoveLines(2, 2), RemoveLines(1, 1)], [RemoveLines(1, 1), RemoveLines(2, 2)],
                [RemoveLines(1, 2), RemoveLines(0, 0)]):
        text = "a\r\nbb\ncc"
        result = apply(text, prog(*ops))
        assert sum(e.chars_removed for e in result.effects) == len(text) - len(result.text)


def test_crlf_documents():
    text = "head\r\nkeep me\r\nfoot\r\n"
    result = apply(text, prog(RemoveLines(0, 0), RemoveStr(1, " me"), RemoveLines(2, 2)))
    assert result.text == "keep\r\n"


def test_one_megabyte_line():
    big = "word " * 200_000 + "MARK tail"
    result = apply("top\n" + big + "\nend\n", prog(RemoveStr(1, "MARK "), Normalize("word", "w")))
    assert result.text == "top\n" + "w " * 200_000 + "tail\nend\n"
    assert result.effects[1].replacements == 200_000


def test_hundred_thousand_lines_in_linear_time():
    text = "".join(f"{i}\n" for i in range(100_000))
    ops = [RemoveLines(i, i + 499) for i in range(0, 100_000, 1000)] + [RemoveLines(0, 99_999)]
    start = time.perf_counter()
    result = apply(text, prog(*ops, RemoveStr(99_999, "99999"), Normalize("7", "")))
    assert time.perf_counter() - start < 2.0  # a quadratic interpreter takes minutes here
    assert result.drop_reason == "empty"
    assert sum(e.lines_removed for e in result.effects) == 100_000
    assert apply(text, prog(RemoveLines(1, 99_999))).text == "0\n"


# --- properties -------------------------------------------------------------------------------------

line_text = st.text(alphabet="ab \r", max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(line_text, max_size=8),
    ranges=st.lists(st.tuples(st.integers(-1, 9), st.integers(-1, 9)), max_size=4),
    strs=st.lists(st.tuples(st.integers(0, 8), st.text(alphabet="ab ", min_size=1, max_size=3)), max_size=3),
    crlf=st.booleans(),
)
def test_effects_account_for_every_char_and_lines_match_a_reference(lines, ranges, strs, crlf):
    text = "".join(line + ("\r\n" if crlf else "\n") for line in lines)
    ops = [RemoveStr(i, s) for i, s in strs] + [RemoveLines(a, b) for a, b in ranges]
    result = apply(text, prog(*ops))
    assert len(result.effects) + len(result.errors) == len(ops)
    n = len(lines)
    removed = {i for a, b in ranges if 0 <= a <= b < n for i in range(a, b + 1)}
    if result.kept and result.outcome == "applied":
        assert sum(e.chars_removed for e in result.effects) == len(text) - len(result.text)
        assert result.text.count("\n") == n - len(removed)
    if not removed and not any(isinstance(o, RemoveStr) for o in ops):
        assert result.text == text


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet="ab\r\n", max_size=12), data=st.data())
def test_numbering_is_split_lines(text, data):
    from programs.lines import line_body, split_lines

    lines = split_lines(text)
    if not lines:
        return
    i = data.draw(st.integers(0, len(lines) - 1))
    kept = lines[:i] + lines[i + 1:]
    if kept and i == len(lines) - 1 and line_body(lines[i]) == lines[i]:  # the text ends as it did
        kept[-1] = line_body(kept[-1])
    expected = "".join(kept)
    result = apply(text, prog(RemoveLines(i, i)))
    assert result.text == expected or (not expected.strip() and result.drop_reason == "empty")
    body = line_body(lines[i])
    if body:
        j = data.draw(st.integers(0, len(body) - 1))
        cut = body[j:]
        result = apply(text, prog(RemoveStr(i, cut)))
        if find_unique(body, cut) == j:
            edited = "".join(lines[:i] + [body[:j] + lines[i][len(body):]] + lines[i + 1:])
            assert result.text == edited or (not edited.strip() and result.drop_reason == "empty")
        else:
            assert codes(result) == ["ambiguous"]
        result = apply(text, prog(Normalize(body, "X")))
        assert result.effects[0].replacements >= 1
        assert result.text.count("\n") == text.count("\n") or not result.kept


def test_prox_policy_drops_at_ten_words_left_as_prox_does():
    doc = "one two three four five six seven eight nine ten\nnav\n"
    assert apply(doc, prog(RemoveLines(1, 1)), Policy.prox()).drop_reason == "min_words"
    eleven = "one two three four five six seven eight nine ten eleven\nnav\n"
    assert apply(eleven, prog(RemoveLines(1, 1)), Policy.prox()).kept
