"""What the classic rules say of a document, as tagger inputs (stacking), not as decisions.

C4's line rules and the Gopher/FineWeb document rules are right about most of what they flag and
wrong in known ways (a dateline has no terminal punctuation; a short clean article has few
sentences). Given their verdicts as features, the tagger learns when to trust them, from labelled
pages, instead of obeying them. The rules are `refine.refiners.rules`, run as `--mode rules` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Per-line verdicts of the `web` preset's line rules, then document verdicts copied onto every line.
LINE_RULE_NAMES: tuple[str, ...] = ("rule_line_removed", "rule_no_terminal_punct", "rule_few_words", "rule_js_or_policy")
DOC_RULE_NAMES: tuple[str, ...] = ("rule_web_drop", "rule_fineweb_drop", "rule_kept_share", "has_rules")
RULE_NAMES: tuple[str, ...] = LINE_RULE_NAMES + DOC_RULE_NAMES


@dataclass
class RuleSignals:
    line_rules: list[str | None]  # the line rule that fired on each line, or None
    web_drop: bool  # the `web` preset (C4 lines, then Gopher on what is left) drops the page
    fineweb_drop: bool  # FineWeb's document rules drop the page as it is
    kept_share: float  # share of non-blank lines the line rules keep

    def matrix(self) -> np.ndarray:
        """(lines, len(RULE_NAMES)) float32, in `RULE_NAMES` order."""
        n = len(self.line_rules)
        out = np.zeros((n, len(RULE_NAMES)), np.float32)
        for i, rule in enumerate(self.line_rules):
            if rule is not None:
                out[i, 0] = 1.0
                out[i, 1] = rule == "c4_terminal_punct"
                out[i, 2] = rule == "c4_few_words"
                out[i, 3] = rule in ("c4_javascript", "c4_policy")
        out[:, 4:] = (float(self.web_drop), float(self.fineweb_drop), self.kept_share, 1.0)
        return out


class RuleJudge:
    """Runs the rules on documents; one instance per process (the rule sets are built once)."""

    def __init__(self):
        from refine.refiners.rules import PRESETS, RulesConfig, RulesRefiner, parse_rules

        rules, overrides = parse_rules("web")
        self._web = RulesRefiner(RulesConfig(rules=rules, **overrides))
        self._fineweb = RulesRefiner(RulesConfig(rules=PRESETS["fineweb"][0]))

    def signals(self, text: str, bodies: list[str] | None = None) -> RuleSignals:
        """The verdicts on `text`; `bodies`, when given, are its line bodies already split (not again)."""
        from refine.document import Document

        doc = Document("-", text)
        if bodies is not None and len(bodies) == len(doc.lines):
            doc.__dict__["bodies"] = bodies  # what the cached property would compute
        web = self._web.judge(doc)
        fineweb = self._fineweb.judge(doc)
        nonblank = [i for i, b in enumerate(doc.bodies) if b.strip()]
        kept = sum(1 for i in nonblank if web.line_rules[i] is None) / len(nonblank) if nonblank else 0.0
        line_rules = web.line_rules or [None] * len(doc.bodies)
        return RuleSignals(line_rules, web.drop_reason is not None, fineweb.drop_reason is not None, kept)
