"""Checks a rewrite must pass before it replaces its source (GDR's verification, made explicit).

Each guard is a plain function of (source, rewrite) returning a `GuardResult`; `check` runs the ones an
instruction's `GuardSpec` asks for. Thresholds are per instruction: a PII rewrite may add the stand-ins
it invents, a `clean` rewrite may only delete.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from refine.pii import detect_pii, placeholders


@dataclass(frozen=True)
class GuardResult:
    name: str
    passed: bool
    value: float
    threshold: float | tuple[float, float]
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        if isinstance(self.threshold, tuple):
            d["threshold"] = list(self.threshold)
        return d


@dataclass(frozen=True)
class GuardSpec:
    min_ratio: float = 0.5  # rewrite chars / source chars (both stripped)
    max_ratio: float = 1.3
    max_novel_per_1k: float | None = 150.0  # None: not checked
    subsequence: bool = False  # the rewrite deletes only (word level)
    pii: bool = False  # none of the source's detected personal data, no redaction marks


GENERIC = GuardSpec()
SPECS: dict[str, GuardSpec] = {
    "pii": GuardSpec(0.5, 1.3, 150.0, pii=True),
    "detox": GuardSpec(0.5, 1.3, 150.0),
    "clean": GuardSpec(0.2, 1.05, 1.0, subsequence=True),
}


def spec_for(instruction) -> GuardSpec:
    """The guards of a `prompts.Instruction`: its base's (or its own name's) spec, with its overrides."""
    spec = SPECS.get(instruction.base or instruction.name, GENERIC)
    known = {f.name for f in fields(GuardSpec)}
    if unknown := sorted(set(instruction.guards) - known):
        raise ValueError(f"instruction {instruction.name!r}: unknown guard settings {unknown}; known: {sorted(known)}")
    return replace(spec, **instruction.guards)


_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_DIGIT_RUN = re.compile(r"\d(?:[\s().+-]*\d)*")
MIN_WORDS_FOR_RATE = 100  # novelty is per 1,000 words, but a short text counts as 100 words


def length_ratio(source: str, rewrite: str, lo: float, hi: float) -> GuardResult:
    src, out = len(source.strip()), len(rewrite.strip())
    ratio = out / src if src else 1.0
    return GuardResult("length_ratio", lo <= ratio <= hi, round(ratio, 4), (lo, hi))


def novel_words(source: str, rewrite: str, max_per_1k: float, exclude_pii: bool = False) -> GuardResult:
    """Words of the rewrite that the source does not contain, per 1,000 words of the rewrite.
    With `exclude_pii`, words inside personal data detected in the rewrite (the stand-ins) are exempt."""
    known = {w.lower() for w in _WORD.findall(source)}
    exempt: list[tuple[int, int]] = []
    if exclude_pii:
        exempt = [(s.start, s.end) for s in detect_pii(rewrite)]
    words = list(_WORD.finditer(rewrite))
    novel = [
        m.group() for m in words
        if m.group().lower() not in known and not any(a <= m.start() < b for a, b in exempt)
    ]
    rate = 1000.0 * len(novel) / max(len(words), MIN_WORDS_FOR_RATE)
    return GuardResult("novel_words_per_1k", rate <= max_per_1k, round(rate, 2), max_per_1k,
                       ", ".join(novel[:5]))


def deletion_subsequence(source: str, rewrite: str) -> GuardResult:
    """The rewrite's words and punctuation, in order, are a subsequence of the source's: it only deletes.
    The value counts the rewrite tokens that could not be matched in order."""
    src = _TOKEN.findall(source)
    unmatched, at = [], 0
    for tok in _TOKEN.findall(rewrite):
        try:
            at = src.index(tok, at) + 1
        except ValueError:
            unmatched.append(tok)
    return GuardResult("deletion_subsequence", not unmatched, len(unmatched), 0, " ".join(unmatched[:8]))


def _digit_runs(text: str) -> set[str]:
    return {re.sub(r"\D", "", m.group()) for m in _DIGIT_RUN.finditer(text)}


def pii_removed(source: str, rewrite: str) -> GuardResult:
    """No personal data detected in the source appears in the rewrite (numbers compared by their
    digits, so `555-123-4567` and `(555) 123 4567` are the same phone)."""
    runs = _digit_runs(rewrite)
    leaked = []
    for span in detect_pii(source):
        digits = re.sub(r"\D", "", span.text)
        by_digits = span.kind in ("phone", "card", "ssn", "iban") and len(digits) >= 7
        if span.text in rewrite or (by_digits and any(digits in run for run in runs)):
            leaked.append(f"{span.kind}:{span.text}")
    return GuardResult("pii_removed", not leaked, len(leaked), 0, "; ".join(leaked[:5]))


def no_placeholders(source: str, rewrite: str) -> GuardResult:
    """No redaction marks (`[REDACTED]`, `<NAME>`, `XXX`) that the source did not already have."""
    new = [p for p in placeholders(rewrite) if p not in source]
    return GuardResult("no_placeholders", not new, len(new), 0, ", ".join(new[:5]))


def finished(finish_reason: str) -> GuardResult:
    """A rewrite cut off by the token limit is incomplete, whatever its other checks say."""
    return GuardResult("finished", finish_reason != "length", float(finish_reason == "length"), 0, finish_reason)


def check(spec: GuardSpec, source: str, rewrite: str, finish_reason: str = "stop") -> list[GuardResult]:
    results = [finished(finish_reason), length_ratio(source, rewrite, spec.min_ratio, spec.max_ratio)]
    if spec.max_novel_per_1k is not None:
        results.append(novel_words(source, rewrite, spec.max_novel_per_1k, exclude_pii=spec.pii))
    if spec.subsequence:
        results.append(deletion_subsequence(source, rewrite))
    if spec.pii:
        results += [pii_removed(source, rewrite), no_placeholders(source, rewrite)]
    return results


def describe_failures(results: list[GuardResult]) -> str:
    """The failed guards in a few words, for the retry prompt and the audit."""
    return "; ".join(
        f"{r.name} was {r.value} (allowed: {r.threshold})" + (f" [{r.detail}]" if r.detail else "")
        for r in results if not r.passed
    )
