"""Per-line handcrafted features: the shape of a line, its place in the document, how often the
corpus repeats it, and what the classic rules say of it.

Sentence embeddings say what a line is about; these say what it looks like (short, capitalised,
pipe-separated, a year and a "©", at the very end of the page) — the cues that separate a menu or a
footer from a heading or a list item of the content. Two groups come free from elsewhere: corpus line
frequency (`refine.linefreq`: navigation repeats across a site's pages, content does not) and the
C4/Gopher/FineWeb verdicts (`refine.tagger.stacking`), which the network weighs instead of obeying.
Every value is scaled to roughly [0, 1] so the network needs no normaliser, and nothing here depends
on a training set.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from refine.tagger.stacking import RULE_NAMES, RuleSignals

SHAPE_NAMES: tuple[str, ...] = (
    "blank",
    "log_chars",
    "log_words",
    "mean_word_len",
    "ends_sentence",
    "ends_colon",
    "share_alpha",
    "share_digit",
    "share_upper",
    "share_punct",
    "share_code",
    "share_capitalised_words",
    "indent",
    "starts_bullet",
    "starts_number",
    "separators",
    "copyright",
    "year",
    "url_or_email",
    "ends_comma",
    "parenthesised",
    "ends_count",
    "elided",
)
CONTEXT_NAMES: tuple[str, ...] = (
    "rel_position",
    "log_dist_start",
    "log_dist_end",
    "repeated_in_doc",
    "log_prev_chars",
    "log_next_chars",
    "blank_before",
    "blank_after",
    "log_doc_lines",
)
#: How many other documents carry the same normalised line: corpus-wide and within the page's host.
CORPUS_NAMES: tuple[str, ...] = ("corpus_docs", "corpus_share", "has_corpus", "host_docs", "has_host")
FEATURE_NAMES: tuple[str, ...] = SHAPE_NAMES + CONTEXT_NAMES + CORPUS_NAMES + RULE_NAMES
N_FEATURES = len(FEATURE_NAMES)

_BULLETS = ("-", "*", "•", "·", "‣", "▸", "►", "»", "›", ">", "◦", "–", "—", "+")
_TERMINAL = ".!?…\"'”’)"
_SEPARATOR = re.compile(r"\s[|·•»›/>–-]\s|\|")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
# (an e-mail address is found at its "@": the same lines as matching its user part, without backtracking)
_URL = re.compile(r"https?://|www\.|(?<=[\w.+-])@[\w-]+\.\w|\.(?:com|org|net|html?)\b", re.I)
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|all rights reserved", re.I)
_NUMBERED = re.compile(r"^(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s")
_CODE_CHARS = frozenset("{}[]()<>=;_$#\\/`~^")
_SAMPLE_CHARS = 4000
_COUNT_AT_END = re.compile(r"\(\d[\d,]*\)$")  # archive and tag widgets: "► August (13)", "Politics (212)"
# a cut snippet, as listings print one: "... the council said on ...", "spent two days walking [...]",
# "Read more", "Continue reading →", "(more…)"
_ELIDED_END = re.compile(r"(\.\.\.|…|\[\.\.\.\]|\[…\]|\(more…?\)|read more|continue reading\W*)$", re.I)


def _log_scale(value, top: float):
    """log1p(value) / log1p(top), capped at 1 (elementwise on arrays): 0 stays 0, `top` and beyond become 1."""
    return np.minimum(np.log1p(value) / math.log1p(top), 1.0)


_ANY_DIGIT = re.compile(r"\d")


# Character classes, as bits, for the vectorised counts of `shape_matrix`.
_ALPHA, _DIGIT, _UPPER, _ALNUM, _SPACE, _CODE = (1 << k for k in range(6))
_ASCII_CLASSES = np.zeros(128, np.uint8)


def _classes_of(chars: str) -> np.ndarray:
    return np.array([(c.isalpha() and _ALPHA) | (c.isdigit() and _DIGIT) | (c.isupper() and _UPPER)
                     | (c.isalnum() and _ALNUM) | (c.isspace() and _SPACE) | (c in _CODE_CHARS and _CODE)
                     for c in chars], np.uint8)


_ASCII_CLASSES[:] = _classes_of("".join(map(chr, range(128))))
# The line-local patterns, on lines joined by "\n": whitespace that is not a newline stands for \s.
_SEPARATOR_JOINED = re.compile(r"[^\S\n][|·•»›/>–-][^\S\n]|\|")
_NUMBERED_JOINED = re.compile(r"^(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)][^\S\n]", re.M)


def shape_matrix(bodies: Sequence[str]) -> np.ndarray:
    """What each line looks like on its own, (lines, len(SHAPE_NAMES)) float32: characters are
    classified and counted with numpy over the lines joined, patterns run once over the joined text."""
    n = len(bodies)
    out = np.zeros((n, len(SHAPE_NAMES)), np.float32)
    if n == 0:
        return out
    full = [b.strip() for b in bodies]
    text = [t[:_SAMPLE_CHARS] for t in full]  # a huge line's ratios come from its start: bounded work
    lengths = np.fromiter(map(len, text), np.int64, n)
    joined = "\n".join(text)
    starts = np.concatenate([[0], np.cumsum(lengths[:-1] + 1)])
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    classes = np.zeros(len(codes), np.uint8)
    ascii_ = codes < 128
    classes[ascii_] = _ASCII_CLASSES[codes[ascii_]]
    if not ascii_.all():
        other, inverse = np.unique(codes[~ascii_], return_inverse=True)
        classes[~ascii_] = _classes_of("".join(map(chr, other)))[inverse]
    line_of = np.repeat(np.arange(n), lengths + 1)[: len(codes)]  # each line owns its "\n" separator
    newline = np.zeros(len(codes), bool)
    newline[(starts + lengths)[:-1]] = True
    space = (classes & _SPACE).astype(bool) | newline
    word_start = ~space & np.concatenate([[True], space[:-1]])

    def per_line(mask: np.ndarray) -> np.ndarray:
        return np.bincount(line_of[mask & ~newline], minlength=n).astype(np.float64)

    letters, digits, upper = (per_line((classes & bit).astype(bool)) for bit in (_ALPHA, _DIGIT, _UPPER))
    alnum, spaces, code = (per_line((classes & bit).astype(bool)) for bit in (_ALNUM, _SPACE, _CODE))
    words = per_line(word_start)
    capitalised = per_line(word_start & (classes & _UPPER).astype(bool))

    def matches(pattern: re.Pattern) -> np.ndarray:
        found = np.fromiter((m.start() for m in pattern.finditer(joined)), np.int64)
        return np.bincount(np.searchsorted(starts, found, "right") - 1, minlength=n).astype(np.float64)

    def found(pattern: re.Pattern, needles: tuple[str, ...]) -> np.ndarray:
        """Lines where `pattern` matches, searched only in lines holding one of `needles` (lowercase
        substrings every match contains): str.find runs at memchr speed, the regex engine does not."""
        hits = np.zeros(n, bool)
        positions = []
        for needle in needles:
            at = lowered.find(needle)
            while at >= 0:
                positions.append(at)
                at = lowered.find(needle, at + 1)
        for i in set(np.searchsorted(starts, np.array(positions, np.int64), "right") - 1) if positions else ():
            hits[i] = pattern.search(text[i]) is not None
        return hits

    lowered = joined.lower() if joined.isascii() else "\n".join(t.lower() if len(t.lower()) == len(t) else t for t in text)
    separators = matches(_SEPARATOR_JOINED)
    numbered = matches(_NUMBERED_JOINED) > 0
    copyright_ = found(_COPYRIGHT, ("©", "(c)", "copyright", "all rights reserved"))
    year = found(_YEAR, ("19", "20"))
    url = found(_URL, ("http", "www.", "@", ".com", ".org", ".net", ".htm"))
    size = np.maximum(lengths, 1).astype(np.float64)
    nonblank = lengths > 0
    word_count = np.maximum(words, 1)
    first = [t[:1] for t in full]
    last = [t[-1:] for t in full]
    columns = [
        ~nonblank,
        _log_scale(np.fromiter(map(len, full), np.float64, n), 1000),
        _log_scale(words, 200),
        np.minimum((lengths - spaces) / word_count / 12.0, 1.0),
        [c != "" and c in _TERMINAL for c in last],
        [c == ":" for c in last],
        letters / size,
        digits / size,
        np.where(letters > 0, upper / np.maximum(letters, 1), 0.0),
        (lengths - alnum - spaces) / size,
        code / size,
        capitalised / word_count,
        _log_scale(np.fromiter((len(b) - len(b.lstrip()) for b in bodies), np.float64, n), 16),
        [t.startswith(_BULLETS) for t in text],
        numbered,
        _log_scale(separators, 10),
        copyright_,
        year,
        url,
        [c == "," for c in last],
        [f != "" and f in "([" and c in ")]" for f, c in zip(first, last)],
        [bool(_COUNT_AT_END.search(t[-40:])) for t in full],
        [t.startswith(("...", "…")) or bool(_ELIDED_END.search(t[-24:])) for t in full],
    ]
    for j, column in enumerate(columns):
        out[:, j] = column
    out[~nonblank, 1:] = 0.0
    return out


@dataclass
class CorpusCounts:
    """Documents carrying each line of one document, itself included (`refine.linefreq` lookups):
    `corpus` over the whole corpus of `documents` pages, `host` within the page's host (None when the
    page has no URL)."""

    corpus: np.ndarray
    documents: int
    host: np.ndarray | None = None


def line_features(bodies: Sequence[str], counts: CorpusCounts | None = None,
                  rules: RuleSignals | None = None) -> np.ndarray:
    """Features of every line of one document, shape (lines, N_FEATURES), float32.

    Without `counts` (no first pass over a corpus) or `rules` their columns stay 0 and a flag column
    says so, so the network knows the signal is missing rather than negative.
    """
    n = len(bodies)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return out
    joined = "\n".join(bodies)
    if len(joined) > n * _SAMPLE_CHARS:  # a huge line: compare lines by their starts
        joined = "\n".join(b[:_SAMPLE_CHARS] for b in bodies)
    # two lines are "the same" with case, digits and spacing ignored: lowercased and digits zeroed all
    # at once, spacing squeezed line by line (str.split is C-fast; a whitespace regex is not)
    keys = [" ".join(k.split()) for k in _ANY_DIGIT.sub("0", joined.lower()).split("\n")]
    counts_in_doc = Counter(keys)
    repeated = np.fromiter((bool(k) and counts_in_doc[k] > 1 for k in keys), np.float64, n)
    chars = np.fromiter((len(b.strip()) for b in bodies), np.float64, n)
    prev_chars = np.concatenate([[0.0], chars[:-1]])
    next_chars = np.concatenate([chars[1:], [0.0]])
    index = np.arange(n, dtype=np.float64)
    context = [
        index / (n - 1) if n > 1 else np.zeros(n),
        _log_scale(index, 200),
        _log_scale(n - 1 - index, 200),
        repeated,
        _log_scale(prev_chars, 1000),
        _log_scale(next_chars, 1000),
        (index > 0) & (prev_chars == 0),
        (index + 1 < n) & (next_chars == 0),
        np.full(n, _log_scale(n, 2000)),
    ]
    for j, column in enumerate(context):
        out[:, len(SHAPE_NAMES) + j] = column
    out[:, :len(SHAPE_NAMES)] = shape_matrix(bodies)
    if counts is not None:
        others = np.maximum(np.asarray(counts.corpus, np.float64) - 1, 0)
        out[:, _CORPUS_AT] = _log_scale(others, 1000)
        out[:, _CORPUS_AT + 1] = np.minimum(others / max(counts.documents - 1, 1), 1.0)
        out[:, _CORPUS_AT + 2] = 1.0
        if counts.host is not None:
            host_others = np.maximum(np.asarray(counts.host, np.float64) - 1, 0)
            out[:, _CORPUS_AT + 3] = _log_scale(host_others, 100)
            out[:, _CORPUS_AT + 4] = 1.0
    if rules is not None:
        out[:, _RULES_AT:] = rules.matrix()
    return out


_CORPUS_AT = len(SHAPE_NAMES) + len(CONTEXT_NAMES)
_RULES_AT = _CORPUS_AT + len(CORPUS_NAMES)
