"""Rewrite guards (each passing and failing) and the PII detector's precision on hand-made cases."""

from __future__ import annotations

import pytest

from refine.guards import (
    GENERIC,
    SPECS,
    GuardSpec,
    check,
    deletion_subsequence,
    describe_failures,
    finished,
    length_ratio,
    no_placeholders,
    novel_words,
    pii_removed,
    spec_for,
)
from refine.pii import detect_pii, iban_ok, luhn_ok, name_detector, placeholders
from refine.prompts import Instruction

# ---- the detector -------------------------------------------------------------------------------


def kinds(text):
    return [(s.kind, s.text) for s in detect_pii(text, names=False)]


@pytest.mark.parametrize("text, expected", [
    ("Write to jane.roe+news@mail.example.co.uk today.", [("email", "jane.roe+news@mail.example.co.uk")]),
    ("Call +1 (555) 123-4567 or 555-867-5309.", [("phone", "+1 (555) 123-4567"), ("phone", "555-867-5309")]),
    ("Ring +44 20 7946 0958.", [("phone", "+44 20 7946 0958")]),
    ("Pay with 4111 1111 1111 1111.", [("card", "4111 1111 1111 1111")]),
    ("Amex 3782-822463-10005 works.", [("card", "3782-822463-10005")]),
    ("Host 192.168.10.254 answered.", [("ipv4", "192.168.10.254")]),
    ("Use 2001:db8:85a3::8a2e:370:7334 now.", [("ipv6", "2001:db8:85a3::8a2e:370:7334")]),
    ("IBAN DE89 3704 0044 0532 0130 00 AND more", [("iban", "DE89 3704 0044 0532 0130 00")]),
    ("SSN 123-45-6789.", [("ssn", "123-45-6789")]),
    ("She lives at 221B Baker Street, London.", [("address", "221B Baker Street")]),
    ("Send it to 1600 Pennsylvania Avenue.", [("address", "1600 Pennsylvania Avenue")]),
])
def test_detects_each_kind(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "Card 4111 1111 1111 1112 fails Luhn.",          # invalid checksum
    "Order number 1234567890123456 shipped.",         # Luhn fails, no card prefix
    "Released on 2023-01-15 and 15.01.2023.",         # dates are not phones
    "He served 1999-2004, then from 2019 2020 on.",   # year ranges are not phones
    "In 2019 sales rose 12% to 1,234,567 units.",     # plain numbers
    "Version 1.2.3 and meeting at 10:30:45.",         # versions and times
    "IBAN DE00 3704 0044 0532 0130 00 is wrong.",     # bad mod-97 checksum
    "Area 000-12-3456 is not an SSN.",                # invalid SSN area
    "Call 555-5555 now.",                             # one repeated digit
    "The address is on the main street.",             # no number: not an address
])
def test_does_not_report_lookalikes(text):
    assert kinds(text) == []


def test_spans_are_positions_in_the_text():
    text = "a x@y.org b 10.0.0.1"
    for span in detect_pii(text, names=False):
        assert text[span.start:span.end] == span.text


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert luhn_ok("79927398713")
    assert iban_ok("GB29 NWBK 6016 1331 9268 19") and not iban_ok("GB29 NWBK 6016 1331 9268 18")


def test_name_detector_reports_what_it_uses():
    status = name_detector()
    assert status.startswith(("presidio:", "spacy:", "none (regex only"))


def test_placeholders():
    assert placeholders("Hi [NAME], mail [REDACTED] or <EMAIL>; SSN XXX-XX-1234; card ****") == [
        "[NAME]", "[REDACTED]", "<EMAIL>", "XXX", "****"]
    assert placeholders("Xavier and Max met at 10 am.") == []


# ---- the guards ---------------------------------------------------------------------------------

SOURCE = "Contact Anna at anna.berg@example.com or 555-867-5309. The meeting is on Friday."


def test_length_ratio():
    assert length_ratio("abcd", "abc", 0.5, 1.3).passed
    r = length_ratio("abcd", "a", 0.5, 1.3)
    assert not r.passed and r.value == 0.25 and r.threshold == (0.5, 1.3)
    assert not length_ratio("ab", "abcdef", 0.5, 1.3).passed
    assert length_ratio("  ", "", 0.5, 1.3).passed  # nothing to compare


def test_novel_words_rate_and_exemption_of_pii_stand_ins():
    source = " ".join(["word"] * 200)
    same = novel_words(source, source, 1.0)
    assert same.passed and same.value == 0
    one = novel_words(source, source + " fresh", 10.0)
    assert one.passed and one.value == pytest.approx(1000 / 201, abs=0.01) and one.detail == "fresh"
    assert not novel_words(source, source + " fresh", 1.0).passed
    # a short text counts as 100 words: one novel word in five is 10 per 1,000, not 200
    assert novel_words("a b c d", "a b c e", 15.0).value == 10.0
    standin = "Contact Anna at lena.holm@example.org or 555-201-7788. The meeting is on Friday."
    strict = novel_words(SOURCE, standin, 10.0)
    assert not strict.passed
    assert novel_words(SOURCE, standin, 10.0, exclude_pii=True).passed


def test_deletion_subsequence():
    source = "Home | News | Share\nThe river rose 3 metres overnight.\nCookies: accept?"
    assert deletion_subsequence(source, "The river rose 3 metres overnight.").passed
    assert deletion_subsequence(source, "Home\nThe river rose overnight.").passed
    reordered = deletion_subsequence(source, "The river rose 3 metres overnight.\nHome")
    assert not reordered.passed and reordered.value == 1 and reordered.detail == "Home"
    added = deletion_subsequence(source, "The river rose 3 metres overnight, sadly.")
    assert not added.passed and "sadly" in added.detail


def test_pii_removed():
    good = "Contact Mia at mia.lund@example.net or 555-201-7788. The meeting is on Friday."
    assert pii_removed(SOURCE, good).passed
    leaked = pii_removed(SOURCE, "Contact Mia at anna.berg@example.com or 555-201-7788.")
    assert not leaked.passed and leaked.value == 1 and "anna.berg@example.com" in leaked.detail
    # the same phone number in another format still leaks
    reformatted = pii_removed(SOURCE, "Contact Mia at mia@example.net or (555) 867 5309.")
    assert not reformatted.passed and "phone" in reformatted.detail


def test_no_placeholders_counts_only_new_marks():
    assert not no_placeholders(SOURCE, "Contact [NAME] at [EMAIL].").passed
    assert no_placeholders("Press [ENTER] to go on.", "Press [ENTER] to go on.").passed


def test_finished():
    assert finished("stop").passed and not finished("length").passed


def test_check_runs_the_guards_of_each_spec():
    names = lambda spec: [r.name for r in check(spec, "a b", "a b")]
    assert names(SPECS["pii"]) == ["finished", "length_ratio", "novel_words_per_1k", "kept_words", "numbers_kept", "urls_kept",
                                   "entities_kept", "pii_removed", "no_placeholders"]
    assert names(SPECS["clean"]) == ["finished", "length_ratio", "novel_words_per_1k", "deletion_subsequence"]
    assert names(GuardSpec(max_novel_per_1k=None)) == ["finished", "length_ratio"]


def test_spec_for_instructions():
    assert spec_for(Instruction("pii", "x")) == SPECS["pii"]
    assert spec_for(Instruction("mine", "x")) == GENERIC
    assert spec_for(Instruction("mine", "x", "clean", {"max_ratio": 1.0})) == GuardSpec(0.2, 1.0, 1.0, subsequence=True)
    with pytest.raises(ValueError, match="unknown guard settings"):
        spec_for(Instruction("mine", "x", guards={"max_ration": 1}))


def test_describe_failures():
    results = check(SPECS["pii"], SOURCE, "Contact [NAME] at [EMAIL] or 555-867-5309.")
    text = describe_failures(results)
    assert "pii_removed" in text and "no_placeholders" in text and "finished" not in text
