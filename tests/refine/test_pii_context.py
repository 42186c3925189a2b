"""The detector's context rules: names, dates of birth, account and ID numbers, profile URLs."""

from __future__ import annotations

import pytest

from refine.pii import detect_pii


def kinds(text):
    return [(s.kind, s.text) for s in detect_pii(text, names=False)]


@pytest.mark.parametrize("text, expected", [
    ("Name: Anna Berg\nEmail: a@b.example.org", [("name", "Anna Berg"), ("email", "a@b.example.org")]),
    ("Dear Jonas Weber, thanks.", [("name", "Jonas Weber")]),
    ("Best regards,\nMaria Costa\n", [("name", "Maria Costa")]),
    ("Dear Ms Holm,\nHolm will call.", [("name", "Holm"), ("name", "Holm")]),
    ("Date of birth: 14 March 1985", [("dob", "14 March 1985")]),
    ("She was born on March 14, 1985 in Ghent.", [("dob", "March 14, 1985")]),
    ("Account number: 4481 2291 03", [("account", "4481 2291 03")]),
    ("Passport no.: P12345678", [("id", "P12345678")]),
    ("See https://github.com/annaberg.", [("url", "https://github.com/annaberg")]),
    ("Profile: https://forum.example.com/users/jb77", [("url", "https://forum.example.com/users/jb77")]),
    ("Page http://example.net/~kweber here", [("url", "http://example.net/~kweber")]),
])
def test_context_rules(text, expected):
    assert kinds(text) == expected


def test_a_name_found_by_context_is_found_at_its_other_mentions():
    text = "Dear Anna Berg,\nwe met Anna and Mrs Berg yesterday."
    assert [s.text for s in detect_pii(text, names=False) if s.kind == "name"] == ["Anna Berg", "Anna", "Berg"]


@pytest.mark.parametrize("text", [
    "Siemens introduced the model T-800 in 1985.",            # companies, products, years are public
    "The Name of the Rose was published in 1980.",            # no label colon: not a form field
    "Visit https://www.example.com/about for details.",       # a page, not a user's profile
    "An account of the trip, ID cards and birth records.",     # labels without a value
    "In 2019, Marie Curie Street was renamed.",               # capitalised words without a context
])
def test_context_rules_keep_public_text(text):
    assert kinds(text) == []
