"""Checks a rewrite must pass before it replaces its source (GDR's verification, made explicit).

Each guard is a plain function of (source, rewrite) returning a `GuardResult`; `check` runs the ones an
instruction's `GuardSpec` asks for. Thresholds are per instruction: a PII rewrite may add the stand-ins
it invents, a `clean` rewrite may only delete.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from refine.align import Change, changes, replaces
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
    facts: bool = False  # numbers, URLs and named entities outside personal data neither vanish nor appear
    min_kept_words: float | None = None  # share of the source's other words the rewrite keeps as they were


GENERIC = GuardSpec()
SPECS: dict[str, GuardSpec] = {
    # a PII rewrite replaces personal data and nothing else: few new words, most old ones kept
    "pii": GuardSpec(0.5, 1.3, 60.0, pii=True, facts=True, min_kept_words=0.8),
    "detox": GuardSpec(0.5, 1.3, 150.0, facts=True, min_kept_words=0.6),
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
    With `exclude_pii`, words that replaced personal data detected in the source (the stand-ins), or
    a person-name-shaped run of capitalised words (see `_allowed`), are exempt."""
    known = {w.lower() for w in _WORD.findall(source)}
    words = list(_WORD.finditer(rewrite))
    allowed = [(c.out_start, c.out_end) for c in _allowed(source, rewrite)] if exclude_pii else []
    novel = [m.group() for m in words
             if m.group().lower() not in known and not any(a <= m.start() < b for a, b in allowed)]
    rate = 1000.0 * len(novel) / max(len(words), MIN_WORDS_FOR_RATE)
    return GuardResult("novel_words_per_1k", rate <= max_per_1k, round(rate, 2), max_per_1k,
                       ", ".join(novel[:5]))


def _pii_spans(source: str, known_names: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in detect_pii(source, known_names=known_names)]


_CAPITALISED = re.compile(r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?")


def _name_swap(source: str, change: Change) -> bool:
    """A change that swaps a person-name-shaped run for another: capitalised words on both sides, as
    many of them, and on the source side two or more words or one that the source also uses inside a
    longer capitalised run (a first name mentioned alone). "Siemens" -> "Bosch" is not one."""
    old = source[change.src_start:change.src_end].split()
    new = list(change.out_words)
    if not old or len(old) != len(new) or not all(_CAPITALISED.fullmatch(w) for w in old + new):
        return False
    if len(old) > 1:
        return True
    return re.search(rf"\b{re.escape(old[0])} [A-Z][a-z]+|[A-Z][a-z]+ {re.escape(old[0])}\b", source) is not None


def name_swaps(source: str, rewrite: str) -> list[str]:
    """Source texts that the rewrite swapped as names (see `_name_swap`): what a model took for a
    person's name, even where the detector found none."""
    return [source[c.src_start:c.src_end] for c in changes(source, rewrite) if _name_swap(source, c)]


def _allowed(source: str, rewrite: str, spans: list[tuple[int, int]] | None = None) -> list[Change]:
    """The changes a PII rewrite may make: replacing detected personal data, or swapping a name-shaped
    run (names a regex cannot detect)."""
    spans = _pii_spans(source) if spans is None else spans
    return [c for c in changes(source, rewrite) if replaces(c, spans, source) or _name_swap(source, c)]


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*(?![\w])")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_ENTITY = re.compile(r"(?<![\w'-])[A-Z][\w'-]*\w")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n)[\s\"'(\[*+>#-]*$")


def _items(kind: str, text: str, exempt: list[tuple[int, int]]) -> list[re.Match]:
    """Numbers, URLs or capitalised words (not starting a line or a sentence: a heuristic for named
    entities, no NER model) of `text` outside the `exempt` ranges and, except for URLs, outside URLs."""
    pattern = {"numbers": _NUMBER, "urls": _URL, "entities": _ENTITY}[kind]
    urls = [] if kind == "urls" else [m.span() for m in _URL.finditer(text)]
    emails = [(s.start, s.end) for s in detect_pii(text, names=False) if s.kind == "email"]
    skip = exempt + urls + emails
    found = []
    for m in pattern.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in skip):
            continue
        if kind == "entities" and _SENTENCE_START.search(text[max(0, m.start() - 12):m.start()]):
            continue
        found.append(m)
    return found


def facts_kept(kind: str, source: str, rewrite: str, pii_spans: list[tuple[int, int]],
               allowed: list[Change]) -> GuardResult:
    """Numbers, URLs or named entities of the source (outside its personal data) that the rewrite
    lost (`-x`), and ones it brought that the source lacks (`+y`), except in the `allowed` changes
    (personal data replaced, names swapped). Counted by value: "1985" twice must stay twice."""
    swapped = [(c.src_start, c.src_end) for c in allowed if _name_swap(source, c)]
    src = [m.group() for m in _items(kind, source, pii_spans + swapped)]
    out_all = [m.group() for m in _items(kind, rewrite, [])]
    out_new = [m.group() for m in _items(kind, rewrite, [(c.out_start, c.out_end) for c in allowed])]
    lost = []
    for value in dict.fromkeys(src):
        lost += [value] * max(0, src.count(value) - out_all.count(value))
    known = {m.group() for m in _items(kind, source, [])}
    new = [v for v in out_new if v not in known]
    detail = ", ".join([f"-{v}" for v in lost[:4]] + [f"+{v}" for v in new[:4]])
    return GuardResult(f"{kind}_kept", not lost and not new, len(lost) + len(new), 0, detail)


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


def pii_removed(source: str, rewrite: str, known_names: tuple[str, ...] = ()) -> GuardResult:
    """No personal data detected in the source appears in the rewrite (numbers compared by their
    digits, so `555-123-4567` and `(555) 123 4567` are the same phone)."""
    runs = _digit_runs(rewrite)
    leaked = []
    for span in detect_pii(source, known_names=known_names):
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


def check(spec: GuardSpec, source: str, rewrite: str, finish_reason: str = "stop",
          known_names: tuple[str, ...] = ()) -> list[GuardResult]:
    """The guards `spec` asks for; `known_names`: person names detected elsewhere in the document."""
    results = [finished(finish_reason), length_ratio(source, rewrite, spec.min_ratio, spec.max_ratio)]
    if spec.max_novel_per_1k is not None:
        results.append(novel_words(source, rewrite, spec.max_novel_per_1k, exclude_pii=spec.pii))
    if spec.subsequence:
        results.append(deletion_subsequence(source, rewrite))
    if spec.facts or spec.min_kept_words is not None:
        spans = _pii_spans(source, known_names) if spec.pii else []
        allowed = _allowed(source, rewrite, spans) if spec.pii else []
    if spec.min_kept_words is not None:
        results.append(kept_words(source, rewrite, spec.min_kept_words, spans, allowed))
    if spec.facts:
        results += [facts_kept(kind, source, rewrite, spans, allowed) for kind in ("numbers", "urls", "entities")]
    if spec.pii:
        results += [pii_removed(source, rewrite, known_names), no_placeholders(source, rewrite)]
    return results


def kept_words(source: str, rewrite: str, min_share: float, pii_spans: list[tuple[int, int]],
               allowed: list[Change]) -> GuardResult:
    """The share of the source's words outside personal data (and outside swapped names) that the
    rewrite left where they were: a rewrite that says something else fails, however short it is."""
    exempt = pii_spans + [(c.src_start, c.src_end) for c in allowed]
    words = [m for m in _WORD.finditer(source) if not any(a <= m.start() < b for a, b in exempt)]
    if not words:
        return GuardResult("kept_words", True, 1.0, min_share)
    changed = [(c.src_start, c.src_end) for c in changes(source, rewrite) if c.src_words]
    lost = [m.group() for m in words if any(a <= m.start() < b for a, b in changed)]
    share = 1 - len(lost) / len(words)
    return GuardResult("kept_words", share >= min_share, round(share, 4), min_share, ", ".join(lost[:5]))


def describe_failures(results: list[GuardResult]) -> str:
    """The failed guards in a few words, for the retry prompt and the audit."""
    return "; ".join(
        f"{r.name} was {r.value} (allowed: {r.threshold})" + (f" [{r.detail}]" if r.detail else "")
        for r in results if not r.passed
    )
