"""Chunks: packed greedily to the budget, numbering continuous, oversized lines flagged and cut."""

from __future__ import annotations

import pytest

from refine.chunking import (
    TRUNCATION_MARKER,
    ApproxTokenizer,
    chunk_document,
    chunk_documents,
    token_counts,
    truncate_to_tokens,
)
from refine.prompts import PROX, REFINEX

TOK = ApproxTokenizer()  # one token per <=4 word characters or punctuation mark: easy to count by hand


def numbered(chunks):
    return "\n".join(c.text_numbered for c in chunks)


def test_approx_tokenizer_counts():
    assert token_counts(TOK, ["", "ab cd", "abcdefgh", "[000]ab\n"]) == [0, 2, 2, 4]


def test_packs_greedily_to_the_budget():
    # "[000]aa\n" is "[", "000", "]", "aa" = 4 tokens; a budget of 10 holds two such lines, not three.
    bodies = ["aa", "bb", "cc", "dd", "ee"]
    chunks = chunk_document(bodies, TOK, 10, PROX.number_line)
    assert [(c.start, c.end) for c in chunks] == [(0, 1), (2, 3), (4, 4)]
    assert [c.n_tokens for c in chunks] == [8, 8, 4]
    assert chunks[1].text_numbered == "[002]cc\n[003]dd"
    assert all(c.n_tokens <= 10 and not c.oversized for c in chunks)


def test_numbering_is_the_documents_own_across_chunks():
    bodies = [f"line {i}" for i in range(1200)]
    chunks = chunk_document(bodies, TOK, 50, PROX.number_line)
    assert len(chunks) > 10
    lines = numbered(chunks).split("\n")
    assert lines == [PROX.number_line(i, b) for i, b in enumerate(bodies)]
    assert lines[1000] == "[1000]line 1000"
    assert [c.start for c in chunks[1:]] == [c.end + 1 for c in chunks[:-1]]


def test_refinex_numbering_in_chunks():
    chunks = chunk_document(["a", "b"], TOK, 100, REFINEX.number_line)
    assert chunks[0].text_numbered == "[1] a\n[2] b" and chunks[0].scope == (0, 1)


def test_oversized_line_gets_its_own_flagged_truncated_chunk():
    long = " ".join(["word"] * 100)
    chunks = chunk_document(["aa", long, "bb"], TOK, 20, PROX.number_line)
    assert [(c.start, c.end, c.oversized) for c in chunks] == [(0, 0, False), (1, 1, True), (2, 2, False)]
    big = chunks[1]
    assert big.text_numbered.startswith("[001]word word") and big.text_numbered.endswith(TRUNCATION_MARKER)
    assert big.n_tokens <= 20
    assert big.cut_tokens == token_counts(TOK, ["[001]" + long])[0] - token_counts(TOK, [big.text_numbered[: -len(TRUNCATION_MARKER)]])[0]
    assert big.cut_tokens > 80


def test_line_exactly_at_budget_is_not_oversized():
    line = "ab " * 6  # "[000]" (3) + 6 words = 9 tokens, +"\n" = 9
    chunks = chunk_document([line.strip()], TOK, 9, PROX.number_line)
    assert not chunks[0].oversized and chunks[0].n_tokens == 9


def test_plain_chunks_and_empty_documents():
    assert chunk_document([], TOK, 10) == []
    chunks = chunk_document(["", "x", ""], TOK, 10)
    assert [(c.start, c.end, c.text_numbered) for c in chunks] == [(0, 2, "\nx\n")]


def test_batch_equals_one_by_one():
    docs = [["alpha beta", "gamma"], [], ["delta"] * 30]
    together = chunk_documents(docs, TOK, 12, PROX.number_line)
    assert together == [chunk_document(d, TOK, 12, PROX.number_line) for d in docs]


def test_bad_budget():
    with pytest.raises(ValueError, match="positive"):
        chunk_document(["a"], TOK, 0)


def test_truncate_to_tokens_with_a_real_tokenizer():
    from refine.tiny import train_tokenizer

    tok = train_tokenizer(["the quick brown fox jumps over the lazy dog"] * 4, vocab_size=300)
    text = "the quick brown fox jumps over the lazy dog " * 5
    full = len(tok(text, add_special_tokens=False)["input_ids"])
    cut, n = truncate_to_tokens(tok, text, 7)
    assert n == full and text.startswith(cut)
    assert len(tok(cut, add_special_tokens=False)["input_ids"]) == 7
    assert truncate_to_tokens(tok, "the fox", 100) == ("the fox", len(tok("the fox", add_special_tokens=False)["input_ids"]))
    # packing with the real tokenizer respects the budget too
    chunks = chunk_document(["the quick brown fox"] * 20, tok, 25, PROX.number_line)
    assert all(c.n_tokens <= 25 for c in chunks) and len(chunks) > 1
