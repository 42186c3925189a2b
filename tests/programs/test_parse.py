"""What `parse` accepts, what it refuses (code and position), dialects and the cache."""

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.ops import (
    DropDoc, KeepChunk, KeepDoc, Limits, Normalize, Program, ProgramError, RemoveLines, RemoveStr,
)
from programs.parse import clear_cache, decode_escapes, parse, try_parse

RL = RemoveLines


def ops(text: str, dialect: str = "prox", **limits) -> tuple:
    return parse(text, dialect, Limits(**limits) if limits else Limits()).ops


def error(text, dialect: str = "prox", **limits) -> ProgramError:
    result = try_parse(text, dialect, Limits(**limits) if limits else Limits())
    assert isinstance(result, ProgramError), result
    return result


# --- every operation, keyword and positional -------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("keep_doc()", KeepDoc()),
    ("drop_doc()", DropDoc()),
    ("keep_chunk()", KeepChunk()),
    ("remove_lines(line_start=0, line_end=4)", RL(0, 4)),
    ("remove_lines(0, 4)", RL(0, 4)),
    ("remove_lines(0, line_end=4)", RL(0, 4)),
    ("remove_lines(line_end=4, line_start=2)", RL(2, 4)),
    ("remove_lines(line_start=3, line_end=3)", RL(3, 3)),
    ('remove_str(line=12, del_str="Share on Facebook")', RemoveStr(12, "Share on Facebook")),
    ("remove_str(12, 'Share on Facebook')", RemoveStr(12, "Share on Facebook")),
    ('normalize(source_str="&nbsp;", target_str=" ")', Normalize("&nbsp;", " ")),
    ('normalize("&nbsp;", " ")', Normalize("&nbsp;", " ")),
    ('normalize(source_str="&amp;")', Normalize("&amp;", "")),
    ('normalize(target_str="&", source_str="&amp;")', Normalize("&amp;", "&")),
    ("remove_lines(line_start=0, line_end=4,)", RL(0, 4)),
])
def test_each_operation(text, expected):
    assert ops(text) == (expected,)


def test_a_realistic_program():
    text = ('remove_lines(line_start=0, line_end=4)\n'
            'remove_str(line=12, del_str="Share on Facebook")\n'
            'normalize(source_str="&nbsp;", target_str=" ")\n')
    assert ops(text) == (RL(0, 4), RemoveStr(12, "Share on Facebook"), Normalize("&nbsp;", " "))


# --- strings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("literal, value", [
    ('"a, b = (c)"', "a, b = (c)"),  # ProX's executor split on these characters
    ("'single'", "single"),
    ('"it\'s"', "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    (r'"a\"b"', 'a"b'),
    (r'"back\\slash"', "back\\slash"),
    (r'"tab\there\nnewline\r"', "tab\there\nnewline\r"),
    (r'"\x41\u00e9\U0001F600\N{BULLET}\101"', "Aé😀•A"),
    (r'"\d unknown escapes stay"', "\\d unknown escapes stay"),
    (r'r"raw \n \d"', "raw \\n \\d"),
    (r'R"raw\""', 'raw\\"'),
    (r'u"unicode prefix"', "unicode prefix"),
    ('"naïve café 東京 😀"', "naïve café 東京 😀"),
    ('"a" \'b\' r"\\c"', "ab\\c"),
    ('"# not a comment"', "# not a comment"),
    ('")))))((((("', ")))))((((("),
    ('"\u2028\x85\x0b"', "\u2028\x85\x0b"),
])
def test_string_literals(literal, value):
    assert ops(f"remove_str(line=1, del_str={literal})") == (RemoveStr(1, value),)


escape_pieces = st.sampled_from(["a", "é", " ", "'", '\\"', "\\", "\n", "n", "x", "u", "U", "N", "{", "}",
                                 "0", "1", "7", "8", "D", "d", "e", "F", "BULLET", "\\\n"])


@given(st.lists(escape_pieces, max_size=30).map("".join))
def test_escape_decoding_matches_python(body):
    """The decoder agrees with Python's own string literals wherever Python accepts them."""
    literal = '"' + body + '"'
    try:
        expected = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        return
    if any(0xD800 <= ord(c) <= 0xDFFF for c in expected):
        return  # Python allows lone surrogates; programs refuse them (checked below)
    assert decode_escapes(body) == expected


@pytest.mark.parametrize("literal", [r'"\x4"', r'"\u12"', r'"\U0011FFFF"', r'"\N{NO SUCH NAME}"',
                                     r'"\ud800"'])
def test_malformed_escapes_are_bad_arguments(literal):
    assert error(f"remove_str(line=1, del_str={literal})").code == "bad_argument"


# --- the quirks of real model output ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "remove_lines(line_start=1, line_end=2)\nkeep_chunk()",
    "remove_lines(line_start=1, line_end=2)\r\nkeep_chunk()\r\n",
    "remove_lines(line_start=1, line_end=2); keep_chunk()",
    "remove_lines(line_start=1, line_end=2);keep_chunk();",
    "remove_lines(line_start=1, line_end=2)   \nkeep_chunk()\t \n",
    "\n\n# the navigation bar\nremove_lines(line_start=1, line_end=2)  # nav\n\n\nkeep_chunk()\n# done\n",
    "```python\nremove_lines(line_start=1, line_end=2)\nkeep_chunk()\n```",
    "```\nremove_lines(line_start=1, line_end=2)\nkeep_chunk()\n```\n",
    "  ```py\r\nremove_lines(line_start=1, line_end=2)\r\nkeep_chunk()\r\n```  \n",
    "```python\nremove_lines(line_start=1, line_end=2)\nkeep_chunk()",  # truncated: no closing fence
    " remove_lines(line_start=1, line_end=2)\n keep_chunk()",  # SentencePiece's leading space
    "remove_lines(\n    line_start=1,\n    line_end=2,\n)\nkeep_chunk()",
])
def test_model_output_quirks(text):
    assert ops(text) == (RL(1, 2), KeepChunk())


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "# nothing to do\n", "```\n```", "```python\n\n```\n"])
def test_empty_programs(text):
    assert parse(text) == Program(())


def test_bytes_are_decoded_as_utf8():
    assert ops('remove_str(line=0, del_str="café")'.encode()) == (RemoveStr(0, "café"),)


# --- dialects --------------------------------------------------------------------------------

def test_prox_alias_untouch_doc():
    assert ops("untouch_doc()") == (KeepDoc(),)


def test_refinex_is_one_based_with_its_own_names():
    text = "remove_lines(start_line=1, end_line=3)\nremove_str(line=5, del_str='x')\nkeep_all()"
    assert ops(text, "refinex") == (RL(0, 2), RemoveStr(4, "x"), KeepChunk())


def test_refinex_accepts_prox_keywords_and_names_in_its_numbering():
    assert ops("remove_lines(line_start=1, line_end=1)\nkeep_chunk()", "refinex") == (RL(0, 0), KeepChunk())


def test_refinex_line_zero_is_a_bad_argument_at_its_position():
    e = error("keep_all()\nremove_lines(start_line=0, end_line=3)", "refinex")
    assert (e.code, e.line, e.col) == ("bad_argument", 2, 25)
    assert "start at 1" in e.message


def test_refinex_names_are_not_prox_names():
    assert error("keep_all()").code == "unknown_op"
    assert error("remove_lines(start_line=1, end_line=2)").code == "bad_argument"


def test_unknown_dialect_is_a_value_error():
    with pytest.raises(ValueError, match="unknown program dialect"):
        parse("keep_doc()", "nope")


# --- refusals: code and position -------------------------------------------------------------

@pytest.mark.parametrize("text, code, line, col", [
    ("keep_doc(", "syntax", 1, 9),
    ("keep_doc()\nremove_lines(line_start=1 line_end=2)", "syntax", 2, 34),
    ('remove_str(line=1, del_str="open)', "syntax", 1, 28),
    ("keep_doc()\n\nexec('import os')", "unknown_op", 3, 1),
    ("keep_doc()\nremove_line(1, 2)", "unknown_op", 2, 1),
    ("remove_lines(line_start=1, end=2)", "bad_argument", 1, 28),
    ("remove_lines(1, 2, 3)", "bad_argument", 1, 20),
    ("remove_lines(1)", "bad_argument", 1, 1),
    ("remove_lines(1, line_start=1)", "bad_argument", 1, 17),
    ("remove_lines(line_start=-1, line_end=2)", "bad_argument", 1, 25),
    ("remove_lines(line_start=5, line_end=2)", "bad_argument", 1, 1),
    ("remove_lines(line_start='1', line_end=2)", "bad_argument", 1, 25),
    ("remove_lines(line_start=1.0, line_end=2)", "bad_argument", 1, 25),
    ("remove_lines(line_start=0x1, line_end=2)", "bad_argument", 1, 25),
    ("remove_lines(line_start=1_0, line_end=20)", "bad_argument", 1, 25),
    ('remove_str(line=1, del_str="")', "bad_argument", 1, 1),
    ('normalize(source_str="", target_str="x")', "bad_argument", 1, 1),
    ("remove_str(line=1, del_str=2)", "bad_argument", 1, 28),
    ("keep_doc(1)", "bad_argument", 1, 10),
    ("remove_lines(line_start=x, line_end=2)", "not_literal", 1, 25),
    ("remove_lines(line_start=True, line_end=2)", "not_literal", 1, 25),
    ("remove_lines(line_start=1-1, line_end=2)", "not_literal", 1, 25),
    ("remove_lines(line_start=int('1'), line_end=2)", "not_literal", 1, 25),
    ("remove_str(line=1, del_str=x.y)", "not_literal", 1, 28),
    ("os.system('ls')", "not_allowed", 1, 1),
    ("x = 1", "not_allowed", 1, 1),
    ("keep_doc()\nimport os", "not_allowed", 2, 1),
    ("keep_doc(*a)", "not_allowed", 1, 10),
    ("remove_lines(**{})", "not_allowed", 1, 14),
    ('remove_str(line=1, del_str=f"{x}")', "not_allowed", 1, 28),
    ('remove_str(line=1, del_str=b"x")', "not_allowed", 1, 28),
    ('remove_str(line=1, del_str="""x""")', "not_allowed", 1, 28),
    ("(keep_doc())", "not_allowed", 1, 2),  # libcst places a node inside its parentheses
    ("remove_lines(line_start=(1), line_end=2)", "not_allowed", 1, 26),
    ("keep_doc\n", "not_allowed", 1, 1),
    ("if x: keep_doc()", "not_allowed", 1, 1),
    ("def f(): pass", "not_allowed", 1, 1),
    ("@decorator\ndef f(): pass", "not_allowed", 2, 1),
    ("keep_doc()\x00", "encoding", 1, 11),
    ("remove_lines(line_start=10000001, line_end=10000002)", "too_large", 1, 25),
])
def test_refusals(text, code, line, col):
    e = error(text)
    assert (e.code, e.line, e.col) == (code, line, col), e


def test_positions_count_the_text_the_model_wrote():
    """A code fence above and indentation before shift positions back to the original text."""
    e = error("```python\n  keep_doc()\n  remove_lines(line_start=x, line_end=2)\n```")
    assert (e.code, e.line, e.col) == ("not_literal", 3, 27)


def test_non_utf8_bytes():
    e = error(b'remove_str(line=1, del_str="\xff\xfe")')
    assert e.code == "encoding" and "UTF-8" in e.message


@pytest.mark.parametrize("text, limits", [
    ("keep_chunk()\n" * 30, {"max_chars": 100}),
    ("keep_chunk()\n" * 30, {"max_calls": 10}),
    ("keep_chunk();" * 30, {"max_calls": 10}),
    ('remove_str(line=1, del_str="' + "x" * 50 + '")', {"max_string": 10}),
    ('remove_str(line=1, del_str="' + "\\x41" * 30 + '")', {"max_string": 10}),
    ('remove_str(line=1, del_str="' + "x" * 6 + '" "' + "y" * 6 + '")', {"max_string": 10}),
    ("remove_lines(line_start=101, line_end=102)", {"max_int": 100}),
])
def test_limits(text, limits):
    assert error(text, **limits).code == "too_large"


def test_limits_hold_on_the_libcst_path_too():
    """A comment sends canonical text through libcst: the same limits apply there."""
    assert error("# c\n" + "keep_chunk()\n" * 11, max_calls=10).code == "too_large"
    assert error('# c\nremove_str(line=1, del_str="' + "x" * 11 + '")', max_string=10).code == "too_large"


# --- parse and try_parse; the cache ----------------------------------------------------------

def test_parse_raises_what_try_parse_returns():
    with pytest.raises(ProgramError) as raised:
        parse("keep_doc(")
    assert raised.value == try_parse("keep_doc(")


def test_identical_texts_are_parsed_once():
    clear_cache()
    text = "remove_lines(line_start=0, line_end=4)\n# a comment: the libcst path"
    assert parse(text) is parse(text)
    assert try_parse("nonsense(") is try_parse("nonsense(")
    assert parse(text, cache=False) == parse(text) and parse(text, cache=False) is not parse(text)


def test_the_cache_keys_on_dialect_and_limits():
    assert ops("remove_lines(1, 2)", "refinex") == (RL(0, 1),)
    assert ops("remove_lines(1, 2)") == (RL(1, 2),)
    assert try_parse("keep_chunk()\nkeep_chunk()", limits=Limits(max_calls=1)).code == "too_large"
    assert len(ops("keep_chunk()\nkeep_chunk()")) == 2


def test_a_cached_error_raised_twice_keeps_one_traceback():
    for _ in range(3):
        with pytest.raises(ProgramError) as raised:
            parse("keep_doc(")
    depth, tb = 0, raised.value.__traceback__
    while tb is not None:
        depth, tb = depth + 1, tb.tb_next
    assert depth < 5


def test_scope_is_applied_after_the_cache():
    plain = parse("keep_chunk()")
    scoped = parse("keep_chunk()", scope=(3, 9))
    assert scoped.scope == (3, 9) and scoped.ops == plain.ops and plain.scope is None


# --- the canonical fast path agrees with libcst ----------------------------------------------

line_numbers = st.integers(0, 10_000)
canonical_ops = st.one_of(
    st.builds(KeepChunk),
    st.builds(lambda a, n: RL(a, a + n), line_numbers, st.integers(0, 50)),
    st.builds(RemoveStr, line_numbers, st.text(min_size=1, max_size=20)),
    st.builds(Normalize, st.text(min_size=1, max_size=20), st.text(max_size=20)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(canonical_ops, max_size=6), st.sampled_from(["prox", "refinex"]))
def test_fast_path_and_libcst_agree(program_ops, dialect):
    from programs.render import render

    text = render(Program(tuple(program_ops)), dialect)
    fast = parse(text, dialect, cache=False)
    through_libcst = parse(text + "\n# a comment is not canonical", dialect, cache=False)
    assert fast == through_libcst == Program(tuple(program_ops))
