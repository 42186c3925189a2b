"""The threshold sweep cuts recorded scores as the tagger would, the keep-words rule included."""

from evals.gold import GoldDoc
from evals.threshold_sweep import sweep


def row(drop_prob: float, kept_words: int | None, kept: bool = True) -> dict:
    audit = {"remove_probs": [0.9, 0.1], "drop_prob": drop_prob}
    if kept_words is not None:
        audit |= {"kept_words": kept_words, "keep_words": 50}
    return {"kept": kept, "audit": audit}


def test_a_page_the_keep_words_rule_keeps_is_never_dropped_by_a_lower_doc_threshold():
    gold = {"long": GoldDoc(frozenset({0}), False), "short": GoldDoc(frozenset({0}), True)}
    ids, texts = ["long", "short"], ["Menu\nA long article.\n", "Menu\nTags\n"]
    # both pages score 0.9 to drop; the long one's kept lines hold 80 words, so the tagger keeps it
    audit = {"long": row(0.9, kept_words=80), "short": row(0.9, kept_words=1, kept=False)}
    at = {p["threshold"]: p for p in sweep(gold, ids, texts, audit)["documents"]}
    assert at[0.5]["precision"] == at[0.5]["recall"] == 1.0  # only "short" is dropped
    # an audit without the counts (an older run): the curve reads the drop probability alone
    audit["long"] = row(0.9, kept_words=None)
    at = {p["threshold"]: p for p in sweep(gold, ids, texts, audit)["documents"]}
    assert at[0.5]["precision"] == 0.5 and at[0.5]["recall"] == 1.0
