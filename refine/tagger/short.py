"""Short content pages cut from real labelled ones: pages the doc stage must keep.

Real corpora are full of short articles (a news brief, a blog post of two paragraphs, an extractor's
output of a page with little text), and the unwanted pages the tagger learns to drop
(`refine.tagger.junk`) are short too and built from the same real sentences. These pages measure
whether short articles are kept (`bench/bench_realweb.py`'s short set) and can be trained on
(`--short N`; tried, no clear gain: `bench/results/tagger.md`). Each is a real page cut after its
first paragraphs: its own head chrome, its first content lines up to a word budget, then its own
tail chrome, every line keeping its real label.
"""

from __future__ import annotations

import random
from typing import Sequence

from programs.lines import split_lines
from refine.tagger.data import TaggedDoc


def short_pages(pages: Sequence[TaggedDoc], n: int, seed: int, words: tuple[int, int] = (25, 200)) -> list[TaggedDoc]:
    """Up to `n` short pages (seeded, each from another page) cut from `pages` (labels 1 = boilerplate):
    the lines before the first content line, content lines until their words reach a budget drawn
    from `words` (boilerplate between them kept), and the lines after the last content line. Sources
    become `short/<source>`."""
    rng = random.Random(seed)
    candidates = [p for p in pages if not p.drop and _content_words(p) > words[1]]
    if not candidates:
        raise ValueError(f"short pages are cut from labelled pages with over {words[1]} content words; none given")
    out = []
    for page in rng.sample(candidates, min(n, len(candidates))):  # each page cut once: no repeated content
        lines, bodies = split_lines(page.text), page.bodies
        content = [i for i, (b, label) in enumerate(zip(bodies, page.labels)) if not label and b.strip()]
        budget, total, cut = rng.randint(*words), 0, content[0]
        for i in content:
            total, cut = total + len(bodies[i].split()), i
            if total >= budget:
                break
        keep = list(range(cut + 1)) + list(range(content[-1] + 1, len(lines)))
        out.append(TaggedDoc("".join(lines[i] for i in keep), [page.labels[i] for i in keep], False,
                             f"short/{page.source}", page.url))
    return out


def _content_words(page: TaggedDoc) -> int:
    return sum(len(b.split()) for b, label in zip(page.bodies, page.labels) if not label)
