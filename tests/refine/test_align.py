"""Word alignment of a rewrite to its source: the changes, what a span became, inventions outside PII."""

from __future__ import annotations

from refine.align import changes, mapped_text, novel_outside, replaces


def test_changes_are_found_line_by_line():
    src = "Attendees:\n- Anna Berg (anna@example.com)\n- Jonas Weber (jonas@example.com)"
    out = "Attendees:\n- Lena Holm (lena@example.org)\n- Sam Brook (sam@example.org)"
    found = changes(src, out)
    assert [c.src_words for c in found] == [("Anna", "Berg", "anna"), ("com",), ("Jonas", "Weber", "jonas"), ("com",)]
    assert mapped_text(src, out, src.index("Jonas Weber"), src.index("Jonas Weber") + 11) == "Sam Brook (sam"


def test_an_insertion_next_to_personal_data_is_a_stand_in_and_elsewhere_an_invention():
    src = "Call 555-867-5309 today."
    phone = [(5, 17)]
    assert novel_outside(src, "Call +1 555-201-7788 today.", phone) == ([], 6)
    assert novel_outside(src, "Please call 555-201-7788 today.", phone)[0] == ["Please"]


def test_a_change_that_swallowed_the_sentence_around_a_name_is_not_a_stand_in():
    src = "Dear Anna Berg, the parcel is ready."
    name = [(5, 14)]
    (swap,) = changes(src, "Dear Lena Holm, the parcel is ready.")
    assert replaces(swap, name, src)
    (whole,) = changes(src, "Unrelated words that fail.")
    assert not replaces(whole, name, src)
