"""The classic heuristics (C4, Gopher, FineWeb) as edit programs: no model, fast, the baseline.

Line rules mark lines to remove, emitted as `remove_lines` spans in the document's own numbering;
document rules then judge the text that remains and may emit `drop_doc()`, with the rule's name in
`Refinement.audit["drop_reason"]`. Judging what remains, not the raw page, is what a refiner wants: a page
whose boilerplate is gone should not be dropped for that boilerplate. One pass over the lines, then
whole-text operations (regexes, `str.split`, numpy n-gram hashes) for the document statistics.

Sources: C4 = Raffel et al. 2020 §2.2 and tfds `c4_utils.py` (as ported by datatrove's `C4QualityFilter`);
Gopher = Rae et al. 2021, Appendix A.1.1 and Table A1; FineWeb = Penedo et al. 2024 and datatrove's
`FineWebQualityFilter`. Words are whitespace tokens, as in the papers (datatrove uses spaCy tokens, so
its ratios differ slightly). C4's bad-words page filter is left out: it needs a downloaded word list,
and it judges topic, not boilerplate.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from typing import Sequence

import numpy as np

from programs.lines import runs
from programs.ops import DropDoc, KeepDoc, Program, RemoveLines
from programs.render import render
from refine.document import Document
from refine.linefreq import CountsLines, LineFrequency, LineFrequencyOption, host_of
from refine.refiners.base import Refinement, Refiner, ScopedProgram

# -- rule names (they appear in audits and `--set rules=...`) -------------------------------------
LINE_RULES = (
    "c4_long_word",       # C4 code: a word longer than 1,000 characters
    "c4_terminal_punct",  # C4: keep only lines ending in terminal punctuation (not an ellipsis)
    "c4_few_words",       # C4: keep only lines with at least 3 words
    "c4_javascript",      # C4: lines mentioning "javascript"
    "c4_policy",          # C4 code: cookie / terms-of-use / privacy-policy boilerplate
)
#: CCNet-style (Wenzek et al. 2020 remove paragraphs repeated across a corpus shard): short lines found in
#: many documents of their host, or of the corpus. Runs whenever the refiner has a frequency table.
LINEFREQ_RULE = "linefreq"
DOC_RULES = (
    "c4_lorem_ipsum",          # C4: a page with "lorem ipsum"
    "c4_curly_bracket",        # C4: a page with "{" (its code filter)
    "c4_few_sentences",        # C4: a page with fewer than 5 sentences
    "gopher_doc_words",        # Gopher: 50 to 100,000 words
    "gopher_word_length",      # Gopher: mean word length 3 to 10 characters
    "gopher_symbol_ratio",     # Gopher: "#" or ellipsis to word ratio above 0.1
    "gopher_bullet_lines",     # Gopher: over 90% of lines start with a bullet
    "gopher_ellipsis_lines",   # Gopher: over 30% of lines end with an ellipsis
    "gopher_alpha_words",      # Gopher: under 80% of words contain a letter
    "gopher_stop_words",       # Gopher: fewer than 2 of "the, be, to, of, and, that, have, with"
    "gopher_dup_lines",        # Gopher Table A1: duplicate line fraction / char fraction
    "gopher_dup_paragraphs",   # Gopher Table A1: duplicate paragraph fraction / char fraction
    "gopher_top_ngrams",       # Gopher Table A1: top 2/3/4-gram character fraction
    "gopher_dup_ngrams",       # Gopher Table A1: duplicate 5..10-gram character fraction
    "fineweb_line_punct",      # FineWeb: under 12% of lines end in terminal punctuation
    "fineweb_short_lines",     # FineWeb: over 67% of lines are 30 characters or shorter
    "fineweb_dup_line_chars",  # FineWeb: duplicate lines over 1% of the characters
    "fineweb_list_ratio",      # FineWeb: newlines to words above 0.3
)
ALL_RULES = LINE_RULES + DOC_RULES
_C4 = frozenset(r for r in ALL_RULES if r.startswith("c4_"))
_GOPHER = frozenset(r for r in ALL_RULES if r.startswith("gopher_"))
_FINEWEB = frozenset(r for r in ALL_RULES if r.startswith("fineweb_"))

#: preset -> (rules, threshold overrides). The linefreq rule joins any preset when a table is given.
#: "web" (the default): C4's line rules with unpunctuated lines of 10+ words kept (long unpunctuated
#: lines are usually content, short ones navigation), C4's lorem-ipsum filter (not its "{" filter, which
#: drops every page with code), and Gopher's document rules on what remains.
PRESETS: dict[str, tuple[frozenset[str], dict]] = {
    "c4": (_C4, {}),
    "gopher": (_GOPHER, {}),
    "fineweb": (_FINEWEB, {}),
    "all": (frozenset(ALL_RULES), {}),
    "web": (frozenset(LINE_RULES) | {"c4_lorem_ipsum"} | _GOPHER, {"punct_exempt_words": 10}),
}
DEFAULT_PRESET = "web"
#: Removals per program: a long page with many separate spans gets several programs, each well inside
#: the parser's default limits (256 calls, 20,000 characters).
CALLS_PER_PROGRAM = 128
_KEEP_DOC = render(Program((KeepDoc(),)))
_DROP_DOC = render(Program((DropDoc(),)))


@dataclass(frozen=True)
class RulesConfig:
    """Which rules run and their thresholds (the sources' values unless a preset or `--set` changes them)."""

    rules: frozenset[str] = PRESETS[DEFAULT_PRESET][0]
    # C4
    min_words_per_line: int = 3
    max_word_length: int = 1000
    punct_exempt_words: int = 0  # lines with this many words or more skip c4_terminal_punct (0: none do)
    min_sentences: int = 5
    # Gopher quality
    min_doc_words: int = 50
    max_doc_words: int = 100_000
    min_mean_word_length: float = 3.0
    max_mean_word_length: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines_ratio: float = 0.9
    max_ellipsis_lines_ratio: float = 0.3
    min_alpha_words_ratio: float = 0.8
    min_stop_words: int = 2
    # Gopher repetition (Table A1)
    max_dup_line_frac: float = 0.3
    max_dup_line_char_frac: float = 0.2
    max_dup_para_frac: float = 0.3
    max_dup_para_char_frac: float = 0.2
    top_ngrams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_ngrams: tuple[tuple[int, float], ...] = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
    # FineWeb
    min_line_punct_ratio: float = 0.12
    short_line_chars: int = 30
    max_short_line_ratio: float = 0.67
    max_dup_line_chars_ratio: float = 0.01
    max_newline_word_ratio: float = 0.3
    # Line frequency: a line of fewer than `linefreq_max_words` words found in at least
    # `linefreq_host_min` documents of its host, or `linefreq_global_min` documents overall.
    linefreq_max_words: int = 10
    linefreq_host_min: int = 3
    linefreq_global_min: int = 20

    @classmethod
    def from_extra(cls, extra: dict) -> "RulesConfig":
        """Read `--set key=value` options: `rules` (presets and rule names, comma-separated, `-name`
        removes one), `linefreq` (handled by the refiner), and any threshold above by its field name."""
        extra = dict(extra)
        extra.pop("linefreq", None)
        extra.pop("linefreq_width", None)
        extra.pop("linefreq_depth", None)
        rules, overrides = parse_rules(str(extra.pop("rules", DEFAULT_PRESET)))
        thresholds = {f.name for f in fields(cls) if f.name != "rules"}
        values: dict = dict(overrides)
        for key, raw in extra.items():
            if key not in thresholds:
                raise ValueError(f"rules refiner: unknown option {key!r}; known: rules, linefreq, "
                                 f"linefreq_width, linefreq_depth, {', '.join(sorted(thresholds))}")
            values[key] = _coerce(key, raw, cls.__dataclass_fields__[key].default)
        return replace(cls(rules=rules), **values)


def parse_rules(spec: str) -> tuple[frozenset[str], dict]:
    """"c4,gopher,-c4_curly_bracket" -> rule names, and the threshold overrides of the presets named."""
    rules: set[str] = set()
    overrides: dict = {}
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        remove = item.startswith("-")
        name = item[1:] if remove else item
        if name in PRESETS:
            names, preset_overrides = PRESETS[name]
            overrides.update(preset_overrides)
        elif name in ALL_RULES:
            names = frozenset([name])
        else:
            raise ValueError(f"rules refiner: unknown rule or preset {name!r}; presets: {', '.join(PRESETS)}; "
                             f"rules: {', '.join(ALL_RULES)}")
        rules = rules - names if remove else rules | names
    return frozenset(rules), overrides


def _coerce(key: str, raw, default):
    if not isinstance(raw, str):
        return raw
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):  # "2:0.2,3:0.18" -> ((2, 0.2), (3, 0.18))
            return tuple((int(n), float(f)) for n, f in (p.split(":") for p in raw.split(",") if p))
    except ValueError as e:
        raise ValueError(f"rules refiner: bad value {raw!r} for {key} ({e})") from e
    return raw


# -- patterns, compiled once ------------------------------------------------------------------------
_END_PUNCT = (".", "!", "?", '"', "'")  # tfds c4_utils _END_MARKS, plus "'" as datatrove has it
_ELLIPSES = ("...", "…")
_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")  # C4 removes these before the end check
_POLICY = re.compile(r"terms of use|privacy policy|cookie policy|uses cookies|use of cookies|use cookies")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
# Whole tokens without a letter; those without a letter or digit either are Gopher's "symbols".
# Matching these rare exceptions is much faster than matching every ordinary word.
_NON_ALPHA_TOKEN = re.compile(r"(?<!\S)(?:[\d_]|[^\w\s])+(?!\S)")
_WORD_CHAR = re.compile(r"\w")
_TOKEN_RULES = frozenset({"gopher_doc_words", "gopher_word_length", "gopher_alpha_words"})
_NGRAM_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: n-gram hashes as polynomials of token hashes, mod 2^64
_STOP_WORD = re.compile(r"\b(?:the|be|to|of|and|that|have|with)\b", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n")
_BULLETS = ("•", "-", "*", "‣", "◦", "·", "▪", "●")
# FineWeb's stop characters (datatrove TERMINAL_PUNCTUATION holds many scripts; the common ones here).
_FW_STOP = (".", "!", "?", "。", "！", "？", "…", "؟", "।", '"', "'", "”", "’", ")")


@dataclass
class Verdict:
    """What the rules decided for one document, before it becomes a program."""

    removed: list[tuple[int, int]] = field(default_factory=list)  # inclusive spans
    line_reasons: Counter = field(default_factory=Counter)
    line_rules: list[str | None] = field(default_factory=list)  # the line rule that fired, per line
    drop_reason: str | None = None
    drop_detail: str | None = None


class RulesRefiner(CountsLines, Refiner):
    """Heuristic rules as programs (see the module docstring). `prepare(docs)` is the hook for
    `linefreq=auto`: the pipeline calls it with the whole input once before refining."""

    name = "rules"

    def __init__(self, config: RulesConfig | None = None, linefreq: LineFrequency | str | None = None,
                 linefreq_width: int = 1 << 20, linefreq_depth: int = 4):
        self.config = config or RulesConfig()
        self._linefreq = LineFrequencyOption(linefreq, linefreq_width, linefreq_depth)

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        if self.needs_prepare:
            raise RuntimeError("rules refiner: linefreq=auto needs a first pass over the corpus; call "
                               "RulesRefiner.prepare(docs) before refine(), or pass --set linefreq=PATH.npz")
        return [self._refine_one(doc) for doc in docs]

    def close(self) -> None:
        pass

    # -- one document ---------------------------------------------------------------------------
    def _refine_one(self, doc: Document) -> Refinement:
        verdict = self.judge(doc)
        audit: dict = {}
        if verdict.line_reasons:
            audit["removed_lines"] = dict(verdict.line_reasons)
        if verdict.drop_reason is not None:
            audit["drop_reason"] = verdict.drop_reason
            audit["drop_detail"] = verdict.drop_detail
            program = ScopedProgram(_DROP_DOC, None, "doc")
        elif verdict.removed:
            spans = verdict.removed
            return Refinement(doc_id=doc.id, audit=audit, programs=[
                ScopedProgram(render(Program(tuple(RemoveLines(a, b) for a, b in spans[i:i + CALLS_PER_PROGRAM]))),
                              None, "chunk")
                for i in range(0, len(spans), CALLS_PER_PROGRAM)])
        else:
            program = ScopedProgram(_KEEP_DOC, None, "doc")
        return Refinement(doc_id=doc.id, programs=[program], audit=audit)

    def judge(self, doc: Document) -> Verdict:
        """The lines to remove and, if a document rule fires on what remains, why to drop it."""
        cfg = self.config
        rules = cfg.rules
        bodies = doc.bodies
        verdict = Verdict()
        n = len(bodies)
        if n == 0:
            verdict.drop_reason, verdict.drop_detail = "empty", "no text"
            return verdict

        freq_host = freq_global = None
        if self.linefreq is not None:
            freq_global, freq_host = self.linefreq.lookup(bodies, host_of(doc, self.linefreq.url_field))

        r_long = "c4_long_word" in rules
        r_punct = "c4_terminal_punct" in rules
        r_few = "c4_few_words" in rules
        r_js = "c4_javascript" in rules
        r_policy = "c4_policy" in rules
        min_words, max_wlen, exempt = cfg.min_words_per_line, cfg.max_word_length, cfg.punct_exempt_words
        lf_words, lf_host, lf_global = cfg.linefreq_max_words, cfg.linefreq_host_min, cfg.linefreq_global_min

        # state: 1 = removed, 0 = kept, -1 = blank (settled after the pass: `_settle_blank_lines`)
        state = [0] * n
        verdict.line_rules = [None] * n
        reasons = verdict.line_reasons
        scanned = bodies
        if not (r_long or r_punct or r_few or r_js or r_policy or freq_global is not None):
            # document rules only (the fineweb preset): no line can be removed, only blanks to mark
            state = [0 if body.strip() else -1 for body in bodies]
            scanned = ()
        for i, body in enumerate(scanned):
            s = body.strip()
            if not s:
                state[i] = -1
                continue
            words = s.split()
            nw = len(words)
            reason = None
            if r_long and len(s) > max_wlen and max(map(len, words)) > max_wlen:
                reason = "c4_long_word"
            elif r_punct and (exempt <= 0 or nw < exempt) and not _ends_terminal(s):
                reason = "c4_terminal_punct"
            elif r_few and nw < min_words:
                reason = "c4_few_words"
            else:
                if r_js or r_policy:
                    low = s.lower()
                    if r_js and "javascript" in low:
                        reason = "c4_javascript"
                    elif r_policy and _POLICY.search(low):
                        reason = "c4_policy"
                if reason is None and freq_global is not None and nw < lf_words and (
                        freq_global[i] >= lf_global or (freq_host is not None and freq_host[i] >= lf_host)):
                    reason = LINEFREQ_RULE
            if reason is not None:
                state[i] = 1
                reasons[reason] += 1
                verdict.line_rules[i] = reason

        _settle_blank_lines(state)
        verdict.removed = _spans(state)
        kept_lines = [bodies[i].strip() for i in range(n) if state[i] == 0]
        if not kept_lines:
            verdict.drop_reason, verdict.drop_detail = "no_lines_kept", "every line was removed"
            return verdict
        lines = doc.lines
        reason = self._doc_rules("".join([lines[i] for i in range(n) if state[i] != 1]), kept_lines)
        if reason is not None:
            verdict.drop_reason, verdict.drop_detail = reason
        return verdict

    def _doc_rules(self, text: str, lines: list[str]) -> tuple[str, str] | None:
        """The first document rule that fires on the kept `text` (non-blank stripped `lines`), or None."""
        cfg, rules = self.config, self.config.rules
        if "c4_lorem_ipsum" in rules and "lorem ipsum" in text.lower():
            return "c4_lorem_ipsum", 'contains "lorem ipsum"'
        if "c4_curly_bracket" in rules and "{" in text:
            return "c4_curly_bracket", 'contains "{"'
        if "c4_few_sentences" in rules:
            sentences = len(_SENTENCE_END.findall(text))
            if sentences < cfg.min_sentences:
                return "c4_few_sentences", f"{sentences} sentences < {cfg.min_sentences}"

        tokens = text.split()
        n_tokens = len(tokens) or 1
        n_lines = len(lines)
        if rules & _GOPHER:
            found = _gopher(cfg, rules, text, tokens, n_tokens, lines, n_lines)
            if found is not None:
                return found
        if rules & _FINEWEB:
            return _fineweb(cfg, rules, text, n_tokens, lines, n_lines)
        return None


def _ends_terminal(s: str) -> bool:
    if s.endswith("]") and "[" in s:
        s = _CITATION.sub("", s)
    return s.endswith(_END_PUNCT) and not s.endswith(_ELLIPSES)


def _settle_blank_lines(state: list[int]) -> None:
    """Blank lines (-1) are neutral; decide them so removals leave the layout of what remains intact.

    Between two kept lines, a stretch holding removed lines keeps only its first run of blank lines (so
    paragraphs stay apart, and no gap doubles); before the first kept line and after the last, such a
    stretch goes entirely (no leading or trailing blank lines). Stretches of blanks alone stay.
    """
    n = len(state)
    kept = [i for i in range(n) if state[i] == 0]
    for lo, hi in zip([-1] + kept, kept + [n]):
        if hi - lo < 3 or 1 not in state[lo + 1:hi]:
            continue
        keep_from = keep_to = -1
        if lo >= 0 and hi < n:
            for i in range(lo + 1, hi):
                if state[i] == -1:
                    keep_from = keep_to = i
                    while keep_to + 1 < hi and state[keep_to + 1] == -1:
                        keep_to += 1
                    break
        for i in range(lo + 1, hi):
            if not keep_from <= i <= keep_to:
                state[i] = 1


def _spans(state: list[int]) -> list[tuple[int, int]]:
    return runs(s == 1 for s in state)


def _dup_stats(items: list[str]) -> tuple[int, int]:
    """(duplicate items, characters in duplicates): every occurrence after the first counts."""
    unique = set(items)
    return len(items) - len(unique), sum(map(len, items)) - sum(map(len, unique))


def _gopher(cfg: RulesConfig, rules: frozenset[str], text: str, tokens: list[str], n_tokens: int,
            lines: list[str], n_lines: int) -> tuple[str, str] | None:
    """Gopher quality and repetition rules (Rae et al. 2021, A.1.1 and Table A1)."""
    n_chars = len(text) or 1
    non_alpha = _NON_ALPHA_TOKEN.findall(text) if rules & _TOKEN_RULES else []
    if rules & {"gopher_doc_words", "gopher_word_length"}:
        symbols = [t for t in non_alpha if not _WORD_CHAR.search(t)]
        n_words = len(tokens) - len(symbols)
        if "gopher_doc_words" in rules and not cfg.min_doc_words <= n_words <= cfg.max_doc_words:
            return "gopher_doc_words", f"{n_words} words, outside {cfg.min_doc_words}..{cfg.max_doc_words}"
        if "gopher_word_length" in rules:
            chars = sum(map(len, tokens)) - sum(map(len, symbols))
            mean = chars / n_words if n_words else 0.0
            if not cfg.min_mean_word_length <= mean <= cfg.max_mean_word_length:
                return "gopher_word_length", (f"mean word length {mean:.2f}, outside "
                                              f"{cfg.min_mean_word_length}..{cfg.max_mean_word_length}")
    if "gopher_symbol_ratio" in rules:
        for symbol, count in (("#", text.count("#")), ("ellipsis", text.count("...") + text.count("…"))):
            if count / n_tokens > cfg.max_symbol_word_ratio:
                return "gopher_symbol_ratio", f"{symbol} per word {count / n_tokens:.3f} > {cfg.max_symbol_word_ratio}"
    if n_lines and "gopher_bullet_lines" in rules:
        ratio = sum(1 for s in lines if s.startswith(_BULLETS)) / n_lines
        if ratio > cfg.max_bullet_lines_ratio:
            return "gopher_bullet_lines", f"{ratio:.2f} of lines start with a bullet > {cfg.max_bullet_lines_ratio}"
    if n_lines and "gopher_ellipsis_lines" in rules:
        ratio = sum(1 for s in lines if s.endswith(_ELLIPSES)) / n_lines
        if ratio > cfg.max_ellipsis_lines_ratio:
            return "gopher_ellipsis_lines", f"{ratio:.2f} of lines end with an ellipsis > {cfg.max_ellipsis_lines_ratio}"
    if "gopher_alpha_words" in rules:
        ratio = 1.0 - len(non_alpha) / n_tokens
        if ratio < cfg.min_alpha_words_ratio:
            return "gopher_alpha_words", f"{ratio:.2f} of words have a letter < {cfg.min_alpha_words_ratio}"
    if "gopher_stop_words" in rules:
        seen: set[str] = set()
        for m in _STOP_WORD.finditer(text):
            seen.add(m.group().lower())
            if len(seen) >= cfg.min_stop_words:
                break
        if len(seen) < cfg.min_stop_words:
            return "gopher_stop_words", f"{len(seen)} distinct stop words < {cfg.min_stop_words}"
    if "gopher_dup_paragraphs" in rules:
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        dups, dup_chars = _dup_stats(paragraphs)
        if dups / len(paragraphs) > cfg.max_dup_para_frac:
            return "gopher_dup_paragraphs", f"{dups}/{len(paragraphs)} paragraphs repeated > {cfg.max_dup_para_frac}"
        if dup_chars / n_chars > cfg.max_dup_para_char_frac:
            return "gopher_dup_paragraphs", f"repeated paragraphs are {dup_chars / n_chars:.2f} of the characters"
    if n_lines and "gopher_dup_lines" in rules:
        dups, dup_chars = _dup_stats(lines)
        if dups / n_lines > cfg.max_dup_line_frac:
            return "gopher_dup_lines", f"{dups}/{n_lines} lines repeated > {cfg.max_dup_line_frac}"
        if dup_chars / n_chars > cfg.max_dup_line_char_frac:
            return "gopher_dup_lines", f"repeated lines are {dup_chars / n_chars:.2f} of the characters"
    if rules & {"gopher_top_ngrams", "gopher_dup_ngrams"} and len(tokens) > 1:
        return _ngram_rules(cfg, rules, tokens, n_chars)
    return None


def _ngram_rules(cfg: RulesConfig, rules: frozenset[str], tokens: list[str], n_chars: int) -> tuple[str, str] | None:
    """Gopher's n-gram repetition rules, on 64-bit n-gram hashes built incrementally with numpy (a
    Python loop over n-grams would cost more than every other rule together). Token hashes are
    Python's `hash`, salted per process: only equality within one document matters."""
    ids = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)
    lens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    cum = np.concatenate(([0], np.cumsum(lens)))
    wanted = {}
    if "gopher_top_ngrams" in rules:
        wanted.update((n, ("top", limit)) for n, limit in cfg.top_ngrams)
    if "gopher_dup_ngrams" in rules:
        # Words in a repeated (n+1)-gram are in repeated n-grams too, so the fraction can only shrink
        # with n: once it is below every later limit, no later n can fire.
        dup = sorted(cfg.dup_ngrams)
        wanted.update((n, ("dup", limit, min(lim for _, lim in dup[i + 1:]) if i + 1 < len(dup) else 0.0))
                      for i, (n, limit) in enumerate(dup))
    h = ids
    for n in range(1, max(wanted, default=0) + 1):
        if n > 1:
            h = h[:-1] * _NGRAM_MULT + ids[n - 1:]
        if n not in wanted or not len(h):
            continue
        kind, limit = wanted[n][:2]
        order = np.argsort(h, kind="stable")  # equal hashes form runs, each led by its first occurrence
        sorted_h = h[order]
        leads = np.empty(len(h), dtype=bool)
        leads[0] = True
        np.not_equal(sorted_h[1:], sorted_h[:-1], out=leads[1:])
        if leads.all():  # no n-gram repeats, so no longer one does either
            if kind == "dup":
                break
            continue
        if kind == "top":  # the most frequent n-gram (the longest among ties): its characters, times its count
            run_starts = np.flatnonzero(leads)
            counts = np.diff(np.append(run_starts, len(h)))
            first = order[run_starts]
            top = counts.max()
            gram_chars = cum[first + n] - cum[first] + (n - 1)
            frac = top * int(gram_chars[counts == top].max()) / n_chars
            if frac > limit:
                return "gopher_top_ngrams", f"top {n}-gram covers {frac:.2f} of the characters > {limit}"
        else:  # characters of words inside an n-gram that repeats an earlier one, each word once
            starts = order[~leads]
            edges = np.zeros(len(tokens) + 1, dtype=np.int64)
            np.add.at(edges, starts, 1)
            np.add.at(edges, starts + n, -1)
            covered = np.cumsum(edges[:-1]) > 0
            frac = int(lens[covered].sum()) / n_chars
            if frac > limit:
                return "gopher_dup_ngrams", f"repeated {n}-grams cover {frac:.2f} of the characters > {limit}"
            if frac <= wanted[n][2]:
                break
    return None


def _fineweb(cfg: RulesConfig, rules: frozenset[str], text: str, n_tokens: int,
             lines: list[str], n_lines: int) -> tuple[str, str] | None:
    """FineWeb's quality rules (Penedo et al. 2024; datatrove FineWebQualityFilter)."""
    if not n_lines:
        return None
    if "fineweb_line_punct" in rules:
        ratio = sum(1 for s in lines if s.endswith(_FW_STOP)) / n_lines
        if ratio < cfg.min_line_punct_ratio:
            return "fineweb_line_punct", f"{ratio:.2f} of lines end in punctuation < {cfg.min_line_punct_ratio}"
    if "fineweb_short_lines" in rules:
        limit = cfg.short_line_chars
        ratio = sum(1 for s in lines if len(s) <= limit) / n_lines
        if ratio > cfg.max_short_line_ratio:
            return "fineweb_short_lines", f"{ratio:.2f} of lines have <= {limit} characters > {cfg.max_short_line_ratio}"
    if "fineweb_dup_line_chars" in rules:
        chars = (len(text) - text.count("\n")) or 1
        ratio = _dup_stats(lines)[1] / chars
        if ratio > cfg.max_dup_line_chars_ratio:
            return "fineweb_dup_line_chars", f"repeated lines are {ratio:.3f} of the characters > {cfg.max_dup_line_chars_ratio}"
    if "fineweb_list_ratio" in rules:
        ratio = text.count("\n") / n_tokens
        if ratio > cfg.max_newline_word_ratio:
            return "fineweb_list_ratio", f"{ratio:.2f} newlines per word > {cfg.max_newline_word_ratio}"
    return None


def from_options(opts) -> RulesRefiner:
    """`--mode rules`: `--set rules=PRESET[,RULE,-RULE...]`, `--set linefreq=PATH.npz|auto`, thresholds."""
    extra = opts.extra or {}
    linefreq = extra.get("linefreq") or None
    return RulesRefiner(RulesConfig.from_extra(extra), linefreq=linefreq,
                        linefreq_width=int(extra.get("linefreq_width", 1 << 20)),
                        linefreq_depth=int(extra.get("linefreq_depth", 4)))
