"""`render` writes canonical text that parses back to the same program, in every dialect."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.ops import (
    DropDoc, KeepChunk, KeepDoc, Limits, Normalize, OpError, Program, RemoveLines, RemoveStr,
)
from programs.parse import parse
from programs.render import error_record, quote, render, render_op

DEFAULT = Limits()
# Refinex writes line n as n + 1, and the written number must stay within max_int.
line_numbers = st.integers(0, DEFAULT.max_int - 1)
# Any text: quotes, backslashes, newlines, control characters, every Unicode plane.
texts = st.text(max_size=40)
nonempty = st.text(min_size=1, max_size=40)


@st.composite
def line_ranges(draw):
    a, b = sorted((draw(line_numbers), draw(line_numbers)))
    return RemoveLines(a, b)


operations = st.one_of(
    st.builds(KeepDoc), st.builds(DropDoc), st.builds(KeepChunk), line_ranges(),
    st.builds(RemoveStr, line_numbers, nonempty), st.builds(Normalize, nonempty, texts),
)
programs = st.builds(lambda ops: Program(tuple(ops)), st.lists(operations, max_size=8))
dialects = st.sampled_from(["prox", "refinex"])


@settings(max_examples=300, deadline=None)
@given(programs, dialects)
def test_parse_inverts_render(program, dialect):
    assert parse(render(program, dialect), dialect, cache=False) == program


@settings(max_examples=100, deadline=None)
@given(programs, dialects)
def test_render_is_a_fixed_point(program, dialect):
    text = render(program, dialect)
    assert render(parse(text, dialect), dialect) == text


@settings(max_examples=100, deadline=None)
@given(programs, st.tuples(line_numbers, line_numbers))
def test_scope_is_not_rendered(program, scope):
    assert render(Program(program.ops, scope)) == render(program)


@pytest.mark.parametrize("op, text", [
    (KeepDoc(), "keep_doc()"),
    (DropDoc(), "drop_doc()"),
    (KeepChunk(), "keep_chunk()"),
    (RemoveLines(0, 4), "remove_lines(line_start=0, line_end=4)"),
    (RemoveStr(12, "Share on Facebook"), 'remove_str(line=12, del_str="Share on Facebook")'),
    (Normalize("&nbsp;", " "), 'normalize(source_str="&nbsp;", target_str=" ")'),
    (Normalize("x"), 'normalize(source_str="x", target_str="")'),
])
def test_canonical_text(op, text):
    assert render_op(op) == text


def test_refinex_numbering_and_names():
    program = Program((RemoveLines(0, 2), KeepChunk(), RemoveStr(4, "x")))
    assert render(program, "refinex") == ('remove_lines(start_line=1, end_line=3)\nkeep_all()\n'
                                          'remove_str(line=5, del_str="x")')


def test_programs_render_one_call_per_line_and_empty_as_nothing():
    assert render(Program((KeepChunk(), KeepChunk()))) == "keep_chunk()\nkeep_chunk()"
    assert render(Program(())) == ""


@pytest.mark.parametrize("value, literal", [
    ("plain, with (commas) = fine", '"plain, with (commas) = fine"'),
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("line\nbreak\r\ttab", r'"line\nbreak\r\ttab"'),
    ("it's", '"it\'s"'),
    ("naïve 東京 😀", '"naïve 東京 😀"'),
    ("\x00\x7f\xa0\u2028\U000e0001", r'"\x00\x7f\xa0\u2028\U000e0001"'),
])
def test_minimal_escaping(value, literal):
    assert quote(value) == literal


def test_op_errors_show_the_operation_as_text():
    error = OpError("not_found", "del_str not in line 3", RemoveStr(3, "x"), 0, 1)
    assert error_record(error)["op"] == 'remove_str(line=3, del_str="x")'
