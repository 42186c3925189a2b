"""The decoding grammars against the parser: what they accept parses; what `render` writes they accept.

Every notation is exercised by a real engine: the regex by Python's `re` and hypothesis, the lark
grammar by the `lark` package (Earley) and by llguidance (byte-level matching), the EBNF by
llguidance's GBNF front end (validation, and conversion to Lark for matching).
"""

import re

import lark
import llguidance
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from llguidance.gbnf_to_lark import gbnf_to_lark

from programs.grammar import MAX_CALLS, MAX_STRING, STAGES, Grammar, decoding_grammar, grammar_for
from programs.ops import (
    DropDoc, KeepChunk, KeepDoc, Limits, Normalize, Program, ProgramError, RemoveLines, RemoveStr,
)
from programs.parse import try_parse
from programs.render import render


# Lone surrogates fit Python's `re` but not UTF-8 (nor the Rust regex engines backends use).
UTF8_CHARS = st.characters(exclude_categories=["Cs"])

DIALECTS = ["prox", "refinex"]
# The grammar bounds calls, strings and numbers, not the total length (see grammar.py).
ROOMY = Limits(max_chars=10_000_000)


# --- programs the grammars must accept ------------------------------------------------------

line_numbers = st.integers(0, 9_999_998)  # 7 digits in both numberings
strings = st.text(max_size=30)


@st.composite
def ranges(draw):
    a, b = sorted((draw(line_numbers), draw(line_numbers)))
    return RemoveLines(a, b)


chunk_ops = st.one_of(
    st.builds(KeepChunk), ranges(),
    st.builds(RemoveStr, line_numbers, strings.filter(bool)),
    st.builds(Normalize, strings.filter(bool), strings),
)
chunk_programs = st.builds(lambda ops: Program(tuple(ops)), st.lists(chunk_ops, min_size=1, max_size=8))
# Every escape `render` writes, in one program that each test below tries first.
TRICKY = Program((KeepChunk(), RemoveLines(0, 9_999_998), RemoveStr(3, 'a "b"\n\r\t\\ é\x00\x7f\U000e0001'),
                  Normalize("\\", ""), Normalize('"', '\\"')))

GARBAGE = {
    "doc": ["", "keep_doc", "keep_doc() ", "keep_doc()\n", "keep_doc()drop_doc()", "keep_chunk()",
            "untouch_doc()", "drop_doc(1)"],
    "chunk": ["", "\n", "keep_doc()", "keep_chunk()\n\n", "keep_chunk() ", "keep_chunk();keep_chunk()",
              "remove_lines(0, 4)", "remove_lines(line_start=-1, line_end=4)",
              "remove_lines(line_start=01, line_end=4)", "remove_lines(line_end=4, line_start=0)",
              "remove_lines(line_start=12345678, line_end=99999999)",
              "remove_str(line=1, del_str='x')", 'remove_str(line=1, del_str="a\nb")',
              'remove_str(line=1, del_str="a"b")', 'remove_str(line=1, del_str="\\q")',
              'remove_str(line=1, del_str="\\ud800")', 'remove_str(line=1, del_str="\\U00110000")',
              'normalize(source_str="a")', 'remove_str(line=1, del_str="")',
              'normalize(source_str="", target_str="")',
              "import os", "__import__('os').system('ls')",
              'remove_str(line=1, del_str="' + "x" * (MAX_STRING + 1) + '")',
              "keep_chunk()\n" * (MAX_CALLS + 1)],
}


def refused_only_for_a_reversed_range(text, dialect) -> bool:
    """The one refusal a context-free grammar of this size cannot prevent (see grammar.py)."""
    result = try_parse(text, dialect, ROOMY)
    return isinstance(result, ProgramError) and result.code == "bad_argument" and "is after" in result.message


# --- regex ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("stage", list(STAGES))
def test_every_text_the_regex_generates_parses(stage, dialect):
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(grammar_for(stage, "regex", dialect), fullmatch=True, alphabet=UTF8_CHARS))
    def check(text):
        result = try_parse(text, dialect, ROOMY)
        assert isinstance(result, Program) or refused_only_for_a_reversed_range(text, dialect), result
        assert len(result.ops if isinstance(result, Program) else [1]) >= 1

    check()


@settings(max_examples=100, deadline=None)
@given(chunk_programs, st.sampled_from(DIALECTS))
@example(TRICKY, "prox")
def test_the_regex_accepts_what_render_writes(program, dialect):
    pattern = re.compile(grammar_for("chunk", "regex", dialect))
    text = render(program, dialect)
    assert pattern.fullmatch(text) and pattern.fullmatch(text + "\n")


@pytest.mark.parametrize("stage", list(STAGES))
def test_the_regex_refuses_garbage(stage):
    pattern = re.compile(grammar_for(stage, "regex"))
    for text in GARBAGE[stage]:
        assert not pattern.fullmatch(text), text


def test_doc_stage_is_exactly_keep_or_drop():
    pattern = re.compile(grammar_for("doc", "regex"))
    assert [t for t in ["keep_doc()", "drop_doc()"] if pattern.fullmatch(t)] == ["keep_doc()", "drop_doc()"]


# --- lark (the lark package, Earley) --------------------------------------------------------

@pytest.fixture(scope="module")
def lark_parsers():
    return {(stage, d): lark.Lark(grammar_for(stage, "lark", d), parser="earley")
            for stage in STAGES for d in DIALECTS}


def accepts(parser: lark.Lark, text: str) -> bool:
    try:
        parser.parse(text)
        return True
    except lark.exceptions.LarkError:
        return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_programs, st.sampled_from(DIALECTS))
@example(TRICKY, "prox")
def test_lark_accepts_what_render_writes(lark_parsers, program, dialect):
    assert accepts(lark_parsers["chunk", dialect], render(program, dialect))


@pytest.mark.parametrize("stage", list(STAGES))
def test_lark_refuses_garbage(lark_parsers, stage):
    for text in GARBAGE[stage]:
        assert not accepts(lark_parsers[stage, "prox"], text), text
    for text in ("keep_doc()", "drop_doc()") if stage == "doc" else ():
        assert accepts(lark_parsers[stage, "prox"], text)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_regex_and_lark_agree(lark_parsers, dialect):
    """On texts drawn from the regex (all accepted), and on near misses (mutations of them)."""
    pattern = re.compile(grammar_for("chunk", "regex", dialect))

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(grammar_for("chunk", "regex", dialect), fullmatch=True, alphabet=UTF8_CHARS), st.integers(0, 10**6),
           st.sampled_from(["", "(", ")", '"', "\\", "\n", " ", "=", ",", "0", "a", "\x01"]))
    def check(text, at, insert):
        assert accepts(lark_parsers["chunk", dialect], text)
        mutated = text[: at % (len(text) + 1)] + insert + text[at % (len(text) + 1):]
        assert bool(pattern.fullmatch(mutated)) == accepts(lark_parsers["chunk", dialect], mutated), mutated

    check()


# --- llguidance: validation of every notation, and matching ---------------------------------

@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("kind, fmt", [("lark", "lark"), ("ebnf", "gbnf"), ("regex", "regex")])
def test_llguidance_accepts_every_grammar(stage, dialect, kind, fmt):
    source = grammar_for(stage, kind, dialect)
    if kind == "regex":  # Rust regex has no surrogates to exclude (UTF-8 cannot encode them)
        source = source.replace(r"\ud800-\udfff", "")
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(
        llguidance.grammar_from(fmt, source))
    assert not is_error and not messages, messages


class _ByteTokenizer:
    """One token per byte, plus EOS: llguidance then matches exactly the grammar's byte strings."""

    eos_token_id = 256
    bos_token_id = None
    tokens = [bytes([i]) for i in range(256)] + [b"<eos>"]

    def __call__(self, data: bytes) -> list[int]:
        return list(data)


@pytest.fixture(scope="module")
def byte_tokenizer():
    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()), slices=[])


def llguidance_accepts(tokenizer, source: str, text: str) -> bool:
    matcher = llguidance.LLMatcher(tokenizer, llguidance.grammar_from("lark", source), log_level=0)
    return matcher.consume_tokens(list(text.encode())) and matcher.is_accepting()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_programs, st.sampled_from(DIALECTS))
@example(TRICKY, "refinex")
def test_llguidance_matches_what_render_writes(byte_tokenizer, program, dialect):
    assert llguidance_accepts(byte_tokenizer, grammar_for("chunk", "lark", dialect), render(program, dialect))


@pytest.mark.parametrize("stage", list(STAGES))
def test_llguidance_refuses_garbage(byte_tokenizer, stage):
    source = grammar_for(stage, "lark")
    for text in GARBAGE[stage]:
        assert not llguidance_accepts(byte_tokenizer, source, text), text


# --- EBNF: structurally, through llguidance's GBNF reader -----------------------------------

@pytest.mark.parametrize("stage", list(STAGES))
def test_ebnf_means_what_the_lark_grammar_means(byte_tokenizer, stage):
    as_lark = gbnf_to_lark(grammar_for(stage, "ebnf"))
    samples = [render(Program((op,))) for op in (KeepDoc(), DropDoc())] if stage == "doc" else [
        render(TRICKY),
        "keep_chunk()\n",
    ]
    for text in samples:
        assert llguidance_accepts(byte_tokenizer, as_lark, text), text
    for text in GARBAGE[stage]:
        assert not llguidance_accepts(byte_tokenizer, as_lark, text), text


# --- the API --------------------------------------------------------------------------------

def test_decoding_grammar_is_a_backend_constraint():
    grammar = decoding_grammar("chunk", "ebnf")
    assert grammar == Grammar(kind="ebnf", source=grammar_for("chunk", "ebnf"))
    assert decoding_grammar("doc").kind == "lark"


def test_refinex_grammar_uses_its_names_and_numbering():
    pattern = re.compile(grammar_for("chunk", "regex", "refinex"))
    assert pattern.fullmatch("remove_lines(start_line=1, end_line=3)\nkeep_all()")
    assert not pattern.fullmatch("remove_lines(start_line=0, end_line=3)")


@pytest.mark.parametrize("stage, kind", [("document", "lark"), ("chunk", "json")])
def test_unknown_stage_or_kind(stage, kind):
    with pytest.raises(ValueError):
        grammar_for(stage, kind)


@pytest.mark.parametrize("stage", ["doc", "chunk"])
@pytest.mark.parametrize("kind", ["lark", "regex"])
def test_llguidance_accepts_every_notation_backends_send(stage, kind):
    """The regex kind goes to Rust regex engines (llguidance, xgrammar): no surrogate escapes."""
    source = grammar_for(stage, kind)
    spec = (llguidance.LLMatcher.grammar_from_regex(source) if kind == "regex"
            else llguidance.LLMatcher.grammar_from_lark(source))
    assert llguidance.LLMatcher.validate_grammar(spec) == ""
