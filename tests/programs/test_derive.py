"""RefineX derivation: deletions become programs that reproduce the edit; the rest is reported."""

import sys
import time
from unittest.mock import patch

from hypothesis import example, given, settings
from hypothesis import strategies as st

from programs.apply import apply, find_unique
from programs.derive import derive, line_deletions
from programs.ops import KeepChunk, Program, RemoveLines, RemoveStr

RAW = (
    "Home | About | Contact\n"
    "Menu\n"
    "The cat sat on the mat. Click here to share!\n"
    "It was a sunny day.\n"
    "Share on Facebook\n"
    "Share on Twitter\n"
    "Copyright 2024\n"
)


def reproduces(raw: str, edited: str) -> bool:
    return apply(raw, derive(raw, edited).program).text == edited


def test_whole_line_deletions_group_into_ranges():
    edited = "The cat sat on the mat. Click here to share!\nIt was a sunny day.\n"
    d = derive(RAW, edited)
    assert d.program.ops == (RemoveLines(0, 1), RemoveLines(4, 6))
    assert d.deleted_chars == len(RAW) - len(edited)
    assert (d.unexpressed, d.unexpressed_chars, d.rejected) == ((), 0, False)
    assert reproduces(RAW, edited)


def test_partial_deletion_becomes_remove_str():
    edited = RAW.replace(" Click here to share!", "")
    d = derive(RAW, edited)
    assert d.program.ops == (RemoveStr(2, " Click here to share!"),)
    assert reproduces(RAW, edited)


def test_ops_come_in_line_order():
    edited = "The cat sat on the mat.\nIt was a sunny day.\n"
    d = derive(RAW, edited)
    assert d.program.ops == (RemoveLines(0, 1), RemoveStr(2, " Click here to share!"), RemoveLines(4, 6))


def test_non_unique_deletion_slides_to_a_unique_string():
    # "ab" occurs twice; deleting "ba" gives the same text and is unique
    assert derive("xabab\n", "xab\n").program.ops == (RemoveStr(0, "ba"),)
    assert reproduces("abcabc_X\n", "abc_X\n")


def test_cuts_among_repeated_words_are_each_unique_in_turn():
    # a long changed span of repeated words: only sliding one deletion onto another expresses it
    body = "eps gamma delta alpha zeta eps delta eps zeta eps zeta gamma zeta"
    target = "epsdelta alpha zeta eps delta eps zeta eps eta"
    cuts = line_deletions(body, target)
    assert cuts is not None
    for cut in cuts:
        at = find_unique(body, cut)
        assert at >= 0
        body = body[:at] + body[at + len(cut):]
    assert body == target


def test_deletion_no_unique_string_expresses():
    # both " x" and "x " are ambiguous, and no longer string leaves "a y b"
    assert line_deletions("a x y x b", "a y b") is None
    d = derive("a x y x b\n", "a y b\n")
    assert {u["kind"] for u in d.unexpressed} <= {"delete", "replace"} and d.unexpressed


def test_inexpressible_deletion_is_reported():
    # removing one space of a double space: every deleted string is " " and occurs elsewhere
    d = derive("a  b c\n", "a b c\n")
    assert [u["kind"] for u in d.unexpressed] == ["delete"]
    assert d.unexpressed[0]["line"] == 0 and d.unexpressed_chars == 1 and not d.rejected


def test_insertions_and_replacements_are_unexpressed():
    d = derive("hello world\nbye\n", "hello brave world\nbye\nnew line here\n")
    kinds = {(u["kind"], u["line"]) for u in d.unexpressed}
    assert kinds == {("insert", 0), ("insert", 2)}
    assert d.unexpressed_chars == len("brave ") + len("new line here\n")
    d = derive("the colour red\n", "the colour blue\n")
    assert ("replace", 0) in {(u["kind"], u["line"]) for u in d.unexpressed}
    assert apply("the colour red\n", d.program).text != "the colour blue\n"


def test_replaced_line_keeps_its_expressible_deletions():
    raw = "Posted by admin on Monday: great news everyone\n"
    edited = "Great news everyone\n"
    d = derive(raw, edited)
    assert all(isinstance(op, RemoveStr) for op in d.program.ops)
    assert any(u["kind"] == "replace" for u in d.unexpressed)


def test_rejected_past_the_thresholds():
    raw = "keep this line\n"
    d = derive(raw, raw + "an inserted line that is long\n")
    assert d.rejected and "unexpressed" in d.reason
    assert not derive(raw, raw + "short\n").rejected
    d = derive(RAW, RAW.replace("Menu\n", ""), min_deleted_chars=10)
    assert d.rejected and "deleted" in d.reason and d.deleted_chars == 5
    assert not derive(RAW, RAW.replace("Menu\n", ""), min_deleted_chars=5).rejected


def test_per_span_threshold_not_total():
    # RefineX rejects on any one span >= 20 chars; many small ones pass
    raw = "".join(f"line {i}\n" for i in range(30))
    edited = "".join(f"line {i}!\n" for i in range(30))
    d = derive(raw, edited)
    assert d.unexpressed_chars == 30 and not d.rejected


def test_no_change_is_keep_chunk():
    assert derive(RAW, RAW).program == Program((KeepChunk(),))
    assert derive("", "").program == Program((KeepChunk(),))


def test_everything_deleted():
    d = derive(RAW, "")
    assert d.program.ops == (RemoveLines(0, 6),) and d.deleted_chars == len(RAW)
    assert apply(RAW, d.program).drop_reason == "empty"


def test_trailing_newline_difference_is_a_terminator_report():
    d = derive("a\nb\n", "a\nb")
    assert [(u["kind"], u["line"], u["chars"]) for u in d.unexpressed] == [("terminator", 1, 1)]
    assert apply("a\nb\n", d.program).text == "a\nb\n"  # programs cannot touch line ends
    assert reproduces("a\nb", "a")  # deleting the last line: the result ends as the raw text does
    assert reproduces("a\nb", "a\n")  # line 0's newline kept: by emptying the last line
    assert derive("a\nb", "a\n").program.ops == (RemoveStr(1, "b"),)


def test_crlf_raw_is_expressed_line_by_line():
    raw = RAW.replace("\n", "\r\n")
    edited = "The cat sat on the mat.\r\nIt was a sunny day.\r\n"
    d = derive(raw, edited)
    assert d.unexpressed == () and reproduces(raw, edited)
    d = derive(raw, edited.replace("\r\n", "\n"))
    assert {u["kind"] for u in d.unexpressed} == {"terminator"} and d.unexpressed_chars == 2


def test_blank_line_collapse_and_trailing_spaces():
    raw = "para one  \n\n\n\npara two\n"
    edited = "para one\n\npara two\n"
    d = derive(raw, edited)
    assert d.unexpressed == () and reproduces(raw, edited)
    assert sum(isinstance(op, RemoveLines) for op in d.program.ops) == 1


def test_identical_line_elsewhere_does_not_mislead_the_alignment():
    # the edited "w1 w2" is cut from raw line 1, not raw line 0 which it equals
    assert reproduces("w1 w2\nw1 w2 w3\n", "w1\nw1 w2\n")


# --- the identity, with hypothesis --------------------------------------------------------------------

WORDS = ["the", "cat", "a", "at", "mat", "sat", "on", "Share", "|", "ta"]


@st.composite
def deletion_edits(draw):
    """A raw text, and an edited text from deleting whole lines and unique substrings in turn."""
    raw_lines = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join),
                              min_size=1, max_size=12))
    crlf = draw(st.booleans())
    end = "\r\n" if crlf else "\n"
    final = draw(st.booleans())
    edited_lines = []
    for k, body in enumerate(raw_lines):
        term = end if final or k < len(raw_lines) - 1 else ""
        if draw(st.integers(0, 3)) == 0:
            if not term and edited_lines:  # the unterminated last line goes: the text ends as it did
                edited_lines[-1] = edited_lines[-1][:-len(end)]
            continue  # the whole line goes
        for _ in range(draw(st.integers(0, 3))):
            if not body:
                break
            i = draw(st.integers(0, len(body) - 1))
            j = draw(st.integers(i + 1, len(body)))
            if find_unique(body, body[i:j]) == i:
                body = body[:i] + body[j:]
        edited_lines.append(body + term)
    raw = "".join(line + (end if final or k < len(raw_lines) - 1 else "") for k, line in enumerate(raw_lines))
    return raw, "".join(edited_lines)


@settings(max_examples=300, deadline=None)
@given(deletion_edits())
# the diff pairs "the" with raw line 0; "a t ta", before it, comes from line 1 (found by the full search only)
@example(("the\na cat cat cat on a ta\nthe\n", "a t ta\nthe\n"))
# the diff ends "he\n" at the unterminated raw line 5: only another alignment keeps its newline
@example(("the at\nat\nthe\nthe\nthe at\nthe", "at\nat\nhe\n"))
def test_apply_of_derive_reproduces_any_deletion_edit(pair):
    raw, edited = pair
    d = derive(raw, edited)
    result = apply(raw, d.program)
    if edited.strip():
        assert result.text == edited
    else:
        assert not result.kept and result.drop_reason == "empty"
    assert d.unexpressed == () and not d.rejected
    assert d.deleted_chars == len(raw) - len(edited)


@settings(max_examples=100, deadline=None)
@given(deletion_edits())
def test_consecutive_deleted_lines_become_one_range(pair):
    raw, edited = pair
    ranges = [op for op in derive(raw, edited).program.ops if isinstance(op, RemoveLines)]
    for before, after in zip(ranges, ranges[1:]):
        assert after.line_start > before.line_end + 1  # never adjacent, never overlapping


@settings(max_examples=100, deadline=None)
@given(deletion_edits())
# the same with anchors: "the Shar at" comes from raw line 1 (found by the full search only)
@example(("the\nthe Share the cat Share cat\nthe\nthe\nthe", "the Shar at\nthe\nthe"))
def test_anchored_line_diff_keeps_the_identity(pair):
    # long documents are diffed between anchors (lines unique in both): force it on short ones
    raw, edited = pair
    with patch.object(sys.modules["programs.derive"], "ANCHOR_ABOVE", 0):
        d = derive(raw, edited)
    assert d.unexpressed == ()
    assert apply(raw, d.program).text == edited or not edited.strip()


def test_long_document_in_linear_time():
    raw = "".join(f"line {i} text {i * 7}\n" for i in range(10_000)) + "\n" * 30
    edited = "".join(f"line {i} text {i * 7}\n" for i in range(10_000) if i % 3) + "\n" * 20
    start = time.perf_counter()
    d = derive(raw, edited)
    assert time.perf_counter() - start < 10  # difflib alone on this takes minutes
    assert apply(raw, d.program).text == edited and d.unexpressed == ()


def test_megabyte_line():
    raw = "word " * 200_000 + "MARK tail\n"
    d = derive(raw, raw.replace("MARK ", ""))
    assert len(d.program.ops) == 1 and apply(raw, d.program).text == raw.replace("MARK ", "")


def test_megabyte_line_with_a_replacement_is_reported_quickly():
    raw = "word " * 200_000 + "MARK tail\n"
    start = time.perf_counter()
    d = derive(raw, raw.replace("MARK", "SIGN"))
    assert time.perf_counter() - start < 10  # char-level difflib on it would take hours
    assert [(u["kind"], u["raw"], u["edited"]) for u in d.unexpressed] == [("replace", "MARK", "SIGN")]
