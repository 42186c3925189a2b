"""Per-line handcrafted features: the shape of a line and of its place in the document.

Sentence embeddings say what a line is about; these say what it looks like (short, capitalised,
pipe-separated, a year and a "©", at the very end of the page) — the cues that separate a menu or a
footer from a heading or a list item of the content. Every value is scaled to roughly [0, 1] so the
network needs no normaliser, and nothing here depends on a training set.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

import numpy as np

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
    "corpus_freq",
    "has_corpus_freq",
)
FEATURE_NAMES: tuple[str, ...] = SHAPE_NAMES + CONTEXT_NAMES
N_FEATURES = len(FEATURE_NAMES)

_BULLETS = ("-", "*", "•", "·", "‣", "▸", "►", "»", "›", ">", "◦", "–", "—", "+")
_TERMINAL = ".!?…\"'”’)"
_SEPARATOR = re.compile(r"\s[|·•»›/>–-]\s|\|")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_URL = re.compile(r"https?://|www\.|\b[\w.+-]+@[\w-]+\.\w|\.(com|org|net|html?)\b", re.I)
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|all rights reserved", re.I)
_NUMBERED = re.compile(r"^(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s")
_CODE_CHARS = frozenset("{}[]()<>=;_$#\\/`~^")


def _log_scale(value: float, top: float) -> float:
    """log1p(value) / log1p(top), capped at 1: 0 stays 0, `top` and beyond become 1."""
    return min(math.log1p(value) / math.log1p(top), 1.0)


def normalise(line: str) -> str:
    """The form in which two lines count as "the same": case, digits and spacing ignored."""
    return re.sub(r"\s+", " ", re.sub(r"\d", "0", line.strip().lower()))


def shape_features(body: str) -> list[float]:
    """What one line looks like on its own, in `SHAPE_NAMES` order."""
    text = body.strip()
    if not text:
        return [1.0] + [0.0] * (len(SHAPE_NAMES) - 1)
    n = len(text)
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    return [
        0.0,
        _log_scale(n, 1000),
        _log_scale(len(words), 200),
        min(sum(len(w) for w in words) / len(words) / 12.0, 1.0),
        float(text[-1] in _TERMINAL),
        float(text[-1] == ":"),
        len(letters) / n,
        sum(c.isdigit() for c in text) / n,
        (sum(c.isupper() for c in letters) / len(letters)) if letters else 0.0,
        sum(not c.isalnum() and not c.isspace() for c in text) / n,
        sum(c in _CODE_CHARS for c in text) / n,
        sum(1 for w in words if w[:1].isupper()) / len(words),
        _log_scale(len(body) - len(body.lstrip()), 16),
        float(text.startswith(_BULLETS)),
        float(bool(_NUMBERED.match(text))),
        _log_scale(len(_SEPARATOR.findall(text)), 10),
        float(bool(_COPYRIGHT.search(text))),
        float(bool(_YEAR.search(text))),
        float(bool(_URL.search(text))),
    ]


def line_features(bodies: Sequence[str], corpus_freq: Sequence[float] | None = None) -> np.ndarray:
    """Features of every line of one document, shape (lines, N_FEATURES), float32.

    `corpus_freq`, when the caller has one (e.g. a per-host document frequency of each normalised
    line, scaled to [0, 1]), fills the corpus columns; without it they stay 0 and the model knows.
    """
    n = len(bodies)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return out
    keys = [normalise(b) for b in bodies]
    counts = Counter(k for k in keys if k)
    chars = [len(b.strip()) for b in bodies]
    doc_lines = _log_scale(n, 2000)
    for i, body in enumerate(bodies):
        prev_chars = chars[i - 1] if i > 0 else 0
        next_chars = chars[i + 1] if i + 1 < n else 0
        context = [
            i / (n - 1) if n > 1 else 0.0,
            _log_scale(i, 200),
            _log_scale(n - 1 - i, 200),
            float(bool(keys[i]) and counts[keys[i]] > 1),
            _log_scale(prev_chars, 1000),
            _log_scale(next_chars, 1000),
            float(i > 0 and prev_chars == 0),
            float(i + 1 < n and next_chars == 0),
            doc_lines,
            float(corpus_freq[i]) if corpus_freq is not None else 0.0,
            float(corpus_freq is not None),
        ]
        out[i] = shape_features(body) + context
    return out
