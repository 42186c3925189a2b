"""Scores a PII rewrite of the benchmark (`evals.pii_bench`) against its known answers.

- Recall, per kind: a planted span counts as removed unless it survives in the output (names by their
  last word, numbers by any run of five or more of their digits, emails by their local part, URLs by
  their user name, addresses by number and street; every kind also verbatim).
- Precision: removed PII spans / (removed PII spans + public spans lost). A public fact (company,
  public figure, product number, year) is lost when the output holds it fewer times than the source.
  GDR (arXiv 2509.08653) counts the same two errors: personal data left in, non-personal data changed.
- Novel words per 1,000 output words, outside PII spans: inventions in ordinary text (`refine.align`).
- Consistency: of the people named more than once, those whose every mention got the same stand-in
  (by first word).
A dropped document (output None) removes its PII and loses its public facts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Mapping

from evals.pii_bench import PII_KINDS, PUBLIC_KINDS, BenchDoc, Span
from refine.align import changes, mapped_text, novel_outside

GDR_ANCHOR = {"gdr_zero_shot": {"recall": 0.99, "precision": 0.80, "f1": 0.88},
              "detect_and_redact": {"recall": 0.53, "precision": 0.52, "f1": 0.52}}

_DIGIT_RUN = re.compile(r"\d(?:[\s().+/-]*\d)*")


def _digit_runs(text: str) -> list[str]:
    return [re.sub(r"\D", "", m.group()) for m in _DIGIT_RUN.finditer(text)]


def _word_in(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def survives(span: Span, output: str) -> bool:
    """Whether personal data `span` is still in `output` (see the module docstring for each kind)."""
    low = output.casefold()
    if span.text.casefold() in low:
        return True
    if span.kind == "name":
        return _word_in(span.text.split()[-1], output)
    if span.kind == "email":
        local = span.text.split("@")[0]
        return len(local) >= 3 and f"{local.casefold()}@" in low
    if span.kind == "url":
        user = re.split(r"[/~]", span.text.rstrip("/"))[-1]
        return len(user) >= 4 and user.casefold() in low
    if span.kind == "address":
        return span.text.split(",")[0].casefold() in low
    runs = _digit_runs(output)
    return any(len(d) >= 5 and any(d in r for r in runs) for d in _digit_runs(span.text))


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(docs: list[BenchDoc], outputs: Mapping[str, str | None]) -> dict:
    """Every figure of the benchmark for one system's outputs (id -> text, None: dropped)."""
    pii_total, pii_left = defaultdict(int), defaultdict(int)
    pub_total, pub_lost = defaultdict(int), defaultdict(int)
    novel = words = dropped = missing = 0
    people = consistent = 0
    for doc in docs:
        if doc.id not in outputs:
            missing += 1
        out = outputs.get(doc.id)
        if out is None:
            dropped += 1
        for span in doc.pii:
            pii_total[span.kind] += 1
            pii_left[span.kind] += out is not None and survives(span, out)
        counted: set[str] = set()
        for span in doc.public:
            pub_total[span.kind] += 1
            if span.text in counted:
                continue
            counted.add(span.text)
            n = len([s for s in doc.public if s.text == span.text])
            have = 0 if out is None else out.count(span.text)
            pub_lost[span.kind] += max(0, min(n, doc.text.count(span.text)) - have)
        if out is None:
            continue
        bad, n_words = novel_outside(doc.text, out, [(s.start, s.end) for s in doc.pii])
        novel, words = novel + len(bad), words + n_words
        found = changes(doc.text, out)
        by_person = defaultdict(list)
        for span in doc.pii:
            if span.kind == "name" and not survives(span, out):
                by_person[span.entity.split(".")[0]].append(mapped_text(doc.text, out, span.start, span.end, found))
        for mentions in by_person.values():
            if len(mentions) > 1:
                people += 1
                consistent += len({(m.split() or [""])[0] for m in mentions}) == 1
    removed = sum(pii_total.values()) - sum(pii_left.values())
    lost = sum(pub_lost.values())
    recall = _ratio(removed, sum(pii_total.values()))
    precision = _ratio(removed, removed + lost)
    f1 = round(2 * recall * precision / (recall + precision), 4) if recall and precision else 0.0
    return {
        "docs": len(docs), "dropped": dropped, "missing": missing,
        "recall": recall, "precision": precision, "f1": f1,
        "recall_by_kind": {k: _ratio(pii_total[k] - pii_left[k], pii_total[k]) for k in PII_KINDS if pii_total[k]},
        "pii_spans": dict(pii_total),
        "public_kept_by_kind": {k: _ratio(pub_total[k] - pub_lost[k], pub_total[k]) for k in PUBLIC_KINDS
                                if pub_total[k]},
        "public_spans": dict(pub_total),
        "novel_words_per_1k_outside_pii": round(1000 * novel / words, 2) if words else 0.0,
        "consistent_people": _ratio(consistent, people), "people_named_twice": people,
    }
