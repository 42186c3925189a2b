"""A detector of personal data in text: the checker of `--instruction pii` rewrites and of the evals.

Regexes find emails, phone numbers, IPv4/IPv6 addresses, credit-card numbers (Luhn- and prefix-
checked), IBANs (mod-97 checked), US social security numbers and street addresses. Person names need a
named-entity model: an installed spaCy pipeline with an NER component (through presidio-analyzer when
that is installed too); without one, names are not detected and `name_detector()` says so (for the
audit). No model is ever downloaded.
Checksums and context rules favour precision: a random digit string is not reported as a card.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable


@dataclass(frozen=True)
class PiiSpan:
    kind: str  # "email" | "phone" | "ipv4" | "ipv6" | "card" | "iban" | "ssn" | "address" | "url" | "dob"
    #            | "account" | "id" | "name"
    start: int
    end: int
    text: str


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w-])"
    r"|(?<![\w+])\+\d{7,14}(?!\w)"
)
# Shapes the phone pattern would take that are dates, year ranges ("1999-2004", "2019 2020": a
# local number of two such groups is rare), or SSN-shaped ids that failed the SSN rules.
_NOT_PHONE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{3}-\d{2}-\d{4}"
                        r"|(?:1[89]|20)\d\d[ ./-](?:1[89]|20)\d\d)$")
_STREET_WORDS = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
    "Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Alley|Crescent|Close"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?(?: [A-Z][a-z]+\.?| [NSEW]\.?){{1,4}} (?:{_STREET_WORDS})\b"
    r"(?:,? (?:Apt|Suite|Unit|#) ?\w+)?"
)

# Context rules: a value is personal when its label or its surroundings say so (regexes cannot tell a
# name or an account number from any other capitalised word or number). `(?i:...)` makes only the
# label case-insensitive; the value keeps its shape.
_CAP = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_PERSON = rf"{_CAP}(?: {_CAP}){{0,2}}"
_NAME_LABEL = (r"(?i:full name|name|customer|client|user|applicant|patient|holder|account holder|owner|"
               r"employee|member|sender|recipient|contact person|signed)")
_NAME_CONTEXT = re.compile(
    rf"(?:^|(?<=\n))[ \t]*{_NAME_LABEL}[ \t]*:[ \t]*(?P<a>{_PERSON})[ \t]*$"
    rf"|\b(?:(?:Dear|Hi|Hello)(?: (?:Mr|Mrs|Ms|Dr)\.?)?|(?:Mr|Mrs|Ms|Dr)\.?) (?P<b>{_PERSON})\b"
    rf"|(?i:regards|cheers|thanks|sincerely|best|warmly|yours)[,!.]?[ \t]*\n+[ \t]*(?P<c>{_PERSON})[ \t]*(?=\n|$)",
    re.M,
)
_DATE = (r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}, \d{4})")
_DOB = re.compile(rf"(?i:date of birth|birth date|birthday|d\.?o\.?b\.?|born(?: on| in)?)[ \t]*[:(]?[ \t]*(?P<v>{_DATE})")
_ACCOUNT = re.compile(
    r"(?i:account(?: number| no\.?)?|acct\.?(?: no\.?)?|bank account|payments? go to|sort code)"
    r"[ \t]*[:#]?[ \t]*(?P<v>[A-Z]{0,4}[-]?\d[\dA-Z -]{4,30}\d)")
_ID = re.compile(
    r"(?i:id(?: number| no\.?)?|passport(?: no\.?| number)?|staff(?: no\.?| number)?|employee(?: no\.?| number)?|"
    r"member(?: no\.?| number)?|licen[cs]e(?: no\.?| number)?)"
    r"[ \t]*[:#]?[ \t]*(?P<v>[A-Z]{0,4}-?\d[\d-]{3,20}\d)")
_PROFILE_URL = re.compile(
    r"(?:https?://)?(?:www\.)?(?:(?:github|gitlab|twitter|x|linkedin|instagram|facebook|bitbucket|medium|reddit)"
    r"\.com(?:/in|/u|/user)?/[\w.-]{2,40}|[\w.-]+\.[a-z]{2,}(?:/[\w.-]+)*/(?:users?|u|in|profile|people|members?)/[\w.-]{2,40}"
    r"|[\w.-]+\.[a-z]{2,}/~[\w.-]{2,40})/?",
)

_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62)")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _iban_length(text: str) -> int:
    """Length of the longest valid IBAN that `text` starts with, dropping trailing groups that are
    another word (`... 0130 00 AND`), or 0."""
    while text:
        if iban_ok(text):
            return len(text)
        cut = text.rfind(" ")
        text = text[:cut] if cut > 4 else ""
    return 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _card_ok(text: str) -> bool:
    d = _digits(text)
    return 13 <= len(d) <= 19 and bool(_CARD_PREFIX.match(d)) and luhn_ok(d)


def _phone_ok(text: str) -> bool:
    d = _digits(text)
    return 7 <= len(d) <= 15 and not _NOT_PHONE.match(text.strip()) and len(set(d)) > 1


def _ipv6_ok(text: str) -> bool:
    if text.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _whole(ok):
    """A yes/no validator as an accepted-length one."""
    return lambda text: len(text) if ok(text) else 0


def _any(text: str) -> int:
    return len(text)


# Each validator returns how much of the candidate it accepts (0: none). Priority order: when two
# candidates overlap, the earlier kind wins (an SSN is not also a phone number).
_DETECTORS = (
    ("email", _EMAIL, _any),
    ("iban", _IBAN, _iban_length),
    ("ipv6", _IPV6, _whole(_ipv6_ok)),
    ("ipv4", _IPV4, _any),
    ("card", _CARD, _whole(_card_ok)),
    ("ssn", _SSN, _any),
    ("url", _PROFILE_URL, lambda text: len(text.rstrip(".-"))),
    ("address", _ADDRESS, _any),
    ("phone", _PHONE, _whole(_phone_ok)),
)
# Kinds found by context: (kind, pattern); the value is the named group(s). Earlier kinds win overlaps.
# Labelled values go first: "Account number: 4481 2291 03" is an account even though it looks like a phone.
_LABELLED = (("dob", _DOB), ("account", _ACCOUNT), ("id", _ID))


def detect_pii(text: str, names: bool = True, known_names: Iterable[str] = ()) -> list[PiiSpan]:
    """Non-overlapping personal-data spans of `text`, in order. `names=False` skips the NER model;
    `known_names` are names found elsewhere in the same document (another chunk), found here too."""
    taken: list[PiiSpan] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s.start or start >= s.end for s in taken)

    def by_context(kind: str, pattern: re.Pattern) -> None:
        for m in pattern.finditer(text):
            for group, value in m.groupdict().items():
                if value is not None:
                    start = m.start(group)
                    value = value.rstrip(" -")
                    if free(start, start + len(value)):
                        taken.append(PiiSpan(kind, start, start + len(value), value))

    for kind, pattern in _LABELLED:
        by_context(kind, pattern)
    for kind, pattern, accept in _DETECTORS:
        for m in pattern.finditer(text):
            end = m.start() + accept(m.group())
            if end > m.start() and free(m.start(), end):
                taken.append(PiiSpan(kind, m.start(), end, text[m.start() : end]))
    by_context("name", _NAME_CONTEXT)
    _other_mentions(text, taken, free, known_names)
    if names:
        detector = _name_detector()
        if detector is not None:
            for start, end in detector[1](text):
                if free(start, end):
                    taken.append(PiiSpan("name", start, end, text[start:end]))
    return sorted(taken, key=lambda s: s.start)


def _other_mentions(text: str, taken: list[PiiSpan], free, known: Iterable[str] = ()) -> None:
    """A name found by its context is a name everywhere: its other mentions, whole or by its first or
    last word ("Dear Anna Berg ... Anna said"), are added too."""
    found = [s.text for s in taken if s.kind == "name"] + list(known)
    words = {w for name in found for w in (name, *name.split())}
    for word in sorted(words, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            if free(m.start(), m.end()):
                taken.append(PiiSpan("name", m.start(), m.end(), word))


def name_detector() -> str:
    """Which person-name detector `detect_pii` uses, or why there is none (for the audit)."""
    detector = _name_detector()
    if detector is None:
        return ("none (regex only: install a spaCy model with NER to detect names, e.g. "
                "`python -m spacy download en_core_web_sm`; presidio-analyzer is used on top when installed)")
    return detector[0]


@lru_cache(maxsize=1)
def _name_detector():
    """(description, text -> [(start, end)]) from an installed spaCy NER model, through presidio when
    presidio is installed; None when no such model is installed. Never downloads a model."""
    try:
        import spacy
        import spacy.util

        models = sorted(spacy.util.get_installed_models())
    except Exception:  # spaCy missing or broken: regex only
        return None
    for model in models:
        nlp = spacy.load(model)
        if "ner" not in nlp.pipe_names:
            continue
        try:
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider
        except ImportError:

            def spacy_names(text: str, nlp=nlp):
                return [(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "PERSON"]

            return (f"spacy:{model}", spacy_names)
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
        engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine())

        def presidio_names(text: str, engine=engine):
            return [(r.start, r.end) for r in engine.analyze(text=text, entities=["PERSON"], language="en")]

        return (f"presidio:{model}", presidio_names)
    return None


_PLACEHOLDER = re.compile(
    r"\[(?:REDACTED|REMOVED|HIDDEN|PII|[A-Z][A-Z_]{2,}(?:_\d+)?)\]"
    r"|<(?:REDACTED|PII|[A-Z][A-Z_]{2,}(?:_\d+)?)>"
    r"|\{(?:REDACTED|[A-Z][A-Z_]{2,})\}"
    r"|\b[Xx]{3,}\b|\*{4,}|█+"
)


def placeholders(text: str) -> list[str]:
    """Redaction marks (`[REDACTED]`, `<NAME>`, `XXX`, `****`, `█`) found in `text`."""
    return [m.group() for m in _PLACEHOLDER.finditer(text)]
