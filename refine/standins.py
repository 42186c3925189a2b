"""Realistic stand-ins for detected personal data, as an edit program: the rewrite refiner's fallback
when a model's PII rewrite fails its guards twice.

Deleting personal data leaves broken sentences ("Call  or write to ."); GDR's point is realistic
substitutes. Each detected span becomes a `normalize(source_str=..., target_str=...)` with a stand-in
of the same kind and shape: digits replaced digit for digit (separators kept), IPs from the
documentation ranges (192.0.2.0/24, 2001:db8::/32), names word for word from a fixed pool. Stand-ins
are a hash of (document id, value), so within a document the same person gets the same stand-in
(and "Anna" the first word of "Anna Berg"'s), while across documents the mapping differs and does not
link people. A span whose text also occurs inside a longer word is left out (normalize would edit the
longer word); the guards then see it is still there.
"""

from __future__ import annotations

import hashlib
import re

from programs.ops import Normalize, Program
from refine.pii import PiiSpan

_FIRST = ("Alex", "Robin", "Sam", "Jordan", "Casey", "Morgan", "Taylor", "Jamie", "Avery", "Riley", "Quinn",
          "Rowan", "Emery", "Harper", "Reese", "Sidney", "Dana", "Lee", "Kim", "Drew")
_LAST = ("Ashby", "Brook", "Calder", "Dorsey", "Ellery", "Fairley", "Garland", "Hollis", "Ingram", "Jarvis",
         "Kendall", "Lowell", "Merrick", "Norwood", "Oakley", "Prescott", "Radley", "Sutton", "Thorne", "Whitley")
_STREETS = ("Linden", "Harrow", "Juniper", "Copper", "Alder", "Fennel", "Larch", "Marsh", "Heron", "Bramble")
_HANDLES = ("bluefern", "greyfinch", "quietbay", "northpine", "amberleaf", "stillwater", "redbrook", "softrain")


def _draw(doc_id: str, value: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.sha256(f"{doc_id}\x00{salt}\x00{value}".encode()).digest()[:8], "big")


def _digits(doc_id: str, text: str) -> str:
    """Every digit replaced by a different one, the same way for the same text; separators kept. A run
    does not start with 0 where the original's did not (a phone number stays a phone number)."""
    out = []
    for i, ch in enumerate(text):
        if not ch.isdigit():
            out.append(ch)
            continue
        d = (int(ch) + 1 + _draw(doc_id, text, str(i)) % 9) % 10  # never the same digit in the same place
        if d == 0 and ch != "0" and (i == 0 or not text[i - 1].isdigit()):
            d = 1 if ch != "1" else 2
        out.append(str(d))
    return "".join(out)


def _name(doc_id: str, text: str, surnames: frozenset[str] = frozenset()) -> str:
    """Word for word: a full name's first word from the first-name pool, the others (and any word seen
    as a surname elsewhere in the document) from the surname pool."""
    words = text.split()
    pools = [_LAST if (i > 0 or w in surnames) else _FIRST for i, w in enumerate(words)]
    return " ".join(pool[_draw(doc_id, w) % len(pool)] for pool, w in zip(pools, words))


def _email(doc_id: str, text: str) -> str:
    n = _draw(doc_id, text)
    return f"{_FIRST[n % 20].lower()}.{_LAST[n // 20 % 20].lower()}@example.org"


def _date(doc_id: str, text: str) -> str:
    n = _draw(doc_id, text)

    def group(m: re.Match) -> str:
        nonlocal n
        n, r = divmod(n, 97)
        g = m.group()
        if len(g) == 4:
            return str(1950 + r % 50)
        return f"{1 + r % 12:0{len(g)}d}"
    return re.sub(r"\d+", group, text)


def _url(doc_id: str, text: str) -> str:
    head, sep, user = text.rstrip("/").rpartition("/~") if "/~" in text else text.rstrip("/").rpartition("/")
    return f"{head}{sep}{_HANDLES[_draw(doc_id, user) % len(_HANDLES)]}{_draw(doc_id, user) % 90 + 10}"


def _address(doc_id: str, text: str) -> str:
    m = re.match(r"(\d+[A-Za-z]?)((?: [A-Z][a-z]+\.?| [NSEW]\.?){1,4})( \w+)(.*)", text)
    if not m:
        return _digits(doc_id, text)
    number, _, kind, rest = m.groups()
    street = _STREETS[_draw(doc_id, text) % len(_STREETS)]
    return f"{_digits(doc_id, number)} {street}{kind}{_digits(doc_id, rest)}"


def _ip(doc_id: str, text: str) -> str:
    n = _draw(doc_id, text)
    return f"2001:db8::{n % 65535:x}" if ":" in text else f"192.0.2.{1 + n % 254}"


_MAKERS = {"email": _email, "dob": _date, "url": _url, "address": _address,
           "ipv4": _ip, "ipv6": _ip}


def standin(doc_id: str, span: PiiSpan, surnames: frozenset[str] = frozenset()) -> str:
    """The stand-in for one detected span (digits replaced for numbers of every other kind)."""
    if span.kind == "name":
        return _name(doc_id, span.text, surnames)
    return _MAKERS.get(span.kind, _digits)(doc_id, span.text)


def _word_bounded(text: str, value: str) -> bool:
    """Every occurrence of `value` in `text` stands alone (no letter or digit glued to either side)."""
    for m in re.finditer(re.escape(value), text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if (value[0].isalnum() and before.isalnum()) or (value[-1].isalnum() and after.isalnum()):
            return False
    return True


def standin_program(doc_id: str, text: str, spans: list[PiiSpan], scope: tuple[int, int] | None = None) -> Program:
    """`normalize` operations replacing each detected value of `text` (longest first, each once) with
    its stand-in; values that cannot be replaced alone are left out."""
    surnames = frozenset(w for s in spans if s.kind == "name" for w in s.text.split()[1:])
    ops, seen = [], set()
    for span in sorted(spans, key=lambda s: -len(s.text)):
        value = span.text
        if value in seen or value not in text or "\n" in value or "\r" in value or not _word_bounded(text, value):
            continue
        seen.add(value)
        target = standin(doc_id, span, surnames)
        if target == value:
            continue
        ops.append(Normalize(value, target))
        text = text.replace(value, target)
    return Program(tuple(ops), scope)
