"""The tagger's inputs beyond each line's text: its features, with corpus counts and rule verdicts.

Training and inference build features the same way, here: `Signals().features(...)` for a document
whose corpus was counted into `linefreq` (a first pass, `refine.linefreq`), or with no table when
there is no corpus to count (one document on its own) — the corpus columns then say "missing".
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from refine.linefreq import LineFrequency
from refine.tagger.features import CorpusCounts, line_features
from refine.tagger.stacking import RuleJudge


#: Lines are cut to this many characters before the rules judge them, when the document is that long
#: on average: the verdicts are features, and a huge line must not cost more than a long one.
MAX_RULE_CHARS_PER_LINE = 4000


class Signals:
    def __init__(self, rules: bool = True):
        self.judge = RuleJudge() if rules else None

    def features(self, bodies: Sequence[str], text: str, host: str | None = None,
                 linefreq: LineFrequency | None = None) -> np.ndarray:
        """`line_features` of one document (its line bodies, its text, its host or None), with the
        counts of the corpus `linefreq` was filled from."""
        counts = None
        if linefreq is not None and linefreq.documents:
            corpus, in_host = linefreq.lookup(list(bodies), host)
            counts = CorpusCounts(corpus, linefreq.documents, in_host)
        rules = None
        if self.judge is not None:
            if len(text) > MAX_RULE_CHARS_PER_LINE * max(len(bodies), 1):
                # a huge line: the rules read its start (they would split 50 MB into millions of words)
                rules = self.judge.signals("\n".join(b[:MAX_RULE_CHARS_PER_LINE] for b in bodies))
            else:
                rules = self.judge.signals(text, list(bodies))
        return line_features(bodies, counts, rules)


def count_corpus(docs, url_field: str = "url") -> LineFrequency:
    """A line-frequency table over documents that have `.bodies` and a URL (`.url` or a record field)."""
    table = LineFrequency(url_field=url_field)
    for doc in docs:
        table.add(doc.bodies, page_host(doc, url_field))
    return table


def page_host(doc, url_field: str = "url") -> str | None:
    """The host of a `TaggedDoc` (its `url`) or an engine `Document` (its record's `url_field`)."""
    from refine.document import Document
    from refine.linefreq import url_host

    return url_host(doc.fields.get(url_field) if isinstance(doc, Document) else getattr(doc, "url", None))
