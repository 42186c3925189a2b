"""Unwanted whole pages (`refine.annotate.listings`) as tagger training documents, made from real pages.

Real labelled pages lend the material: their content lines give headlines and sentences, their
leading and trailing boilerplate the chrome of a raw page. Half the pages come without chrome, as an
extractor leaves them. Every line is labelled remove and the document drop.
"""

from __future__ import annotations

import random
from typing import Sequence

from refine.annotate.listings import Material, listing_page
from refine.tagger.data import TaggedDoc

_TERMINAL = ".!?:;\"'”’"


def material_from(pages: Sequence[TaggedDoc], max_chrome: int = 60) -> Material:
    """Titles, sentences and chrome from labelled pages (labels 1 = boilerplate)."""
    titles, sentences, heads, tails = [], [], [], []
    for page in pages:
        bodies = [b.strip() for b in page.bodies]
        content = [i for i, label in enumerate(page.labels) if not label and bodies[i]]
        for i in content:
            words = len(bodies[i].split())
            if 3 <= words <= 14 and bodies[i][-1] not in _TERMINAL:
                titles.append(bodies[i])
            elif words >= 12:
                sentences.append(bodies[i])
        if content:
            head = [b for b in bodies[: content[0]] if b][-max_chrome:]
            tail = [b for b in bodies[content[-1] + 1:] if b][:max_chrome]
            if len(head) >= 3:
                heads.append(head)
            if len(tail) >= 3:
                tails.append(tail)
    if not titles or not sentences:
        raise ValueError("listing pages need labelled pages with content lines to borrow titles and sentences from")
    return Material(titles, sentences, heads, tails)


def junk_pages(n: int, seed: int, material: Material, chrome_share: float = 0.5,
               kinds: Sequence[str] | None = None) -> list[TaggedDoc]:
    """`n` unwanted pages of random `kinds` (default: every maker), seeded."""
    from refine.annotate.listings import MAKERS

    rng = random.Random(seed)
    kinds = sorted(kinds or MAKERS)
    docs = []
    for _ in range(n):
        kind, lines = listing_page(rng, material, rng.choice(kinds), chrome=rng.random() < chrome_share)
        docs.append(TaggedDoc("\n".join(lines) + "\n", [1] * len(lines), True,
                              f"junk/{kind}"))
    return docs
