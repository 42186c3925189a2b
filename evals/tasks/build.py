"""Build the shipped local task suite (cloze.jsonl, next_sentence.jsonl) from Python's stdlib docstrings.

Clean prose that nobody on the team wrote, and outside the synthetic corpora's held-out sources
(man pages, licenses), so a model trained on a held-out synthetic corpus has not seen these sentences.
Deterministic for a given Python installation and seed; the JSONL files in this folder are its output:

    python evals/tasks/build.py            # rewrites evals/tasks/*.jsonl
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHOICES = 4
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")
_PROSE = re.compile(r"^[A-Z][A-Za-z0-9 ,;:'()\-]*[a-z)]\.$")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\b", re.IGNORECASE)


def prose_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph that read as plain prose: 8–30 words, no code, no abbreviations."""
    if _ABBREVIATION.search(paragraph):
        return []
    keep = []
    for sentence in _SENTENCE_END.split(paragraph.strip()):
        words = sentence.split()
        if 8 <= len(words) <= 30 and _PROSE.match(sentence):
            keep.append(sentence)
    return keep


def paragraphs_by_module() -> list[list[list[str]]]:
    """For each stdlib module (in a stable order), its paragraphs as lists of prose sentences."""
    sys.path.insert(0, str(HERE.parents[1]))
    from refine.annotate.sources import PARA, stdlib_docstrings

    modules = []
    for doc in stdlib_docstrings():
        paragraphs = [prose_sentences(text) for kind, text in doc.blocks if kind == PARA]
        paragraphs = [p for p in paragraphs if p]
        if paragraphs:
            modules.append(paragraphs)
    return modules


def _unique(sentences):
    seen, out = set(), []
    for s in sentences:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def cloze_items(modules, n: int, rng: random.Random) -> list[dict]:
    """Predict a sentence's last word among 4 (LAMBADA-style); distractors are other sentences' last words."""
    sentences = _unique(s for module in modules for para in module for s in para)
    candidates = []
    for s in sentences:
        head, _, last = s[:-1].rpartition(" ")
        if last.isalpha() and last.islower() and len(last) >= 4:
            candidates.append((head, last))
    pool = sorted({last for _, last in candidates})
    rng.shuffle(candidates)
    items = []
    for head, last in candidates[:n]:
        distractors = rng.sample([w for w in pool if w != last], CHOICES - 1)
        gold = rng.randrange(CHOICES)
        choices = distractors[:gold] + [last] + distractors[gold:]
        items.append({"id": f"cloze-{len(items)}", "query": head, "choices": choices, "gold": gold})
    return items


def next_sentence_items(modules, n: int, rng: random.Random) -> list[dict]:
    """Which of 4 sentences follows this one in the same paragraph; distractors come from other modules."""
    pairs = []
    for m, module in enumerate(modules):
        for para in module:
            for first, second in zip(para, para[1:]):
                pairs.append((m, first, second))
    rng.shuffle(pairs)
    everything = [(m, s) for m, module in enumerate(modules) for para in module for s in para]
    items, used = [], set()
    for m, first, second in pairs:
        if first in used or len(items) == n:
            continue
        used.add(first)
        distractors = []
        while len(distractors) < CHOICES - 1:
            other_module, sentence = rng.choice(everything)
            if other_module != m and sentence not in distractors and sentence != second:
                distractors.append(sentence)
        gold = rng.randrange(CHOICES)
        choices = distractors[:gold] + [second] + distractors[gold:]
        items.append({"id": f"next-{len(items)}", "query": first, "choices": choices, "gold": gold})
    return items


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(n: int = 400, seed: int = 0) -> None:
    modules = paragraphs_by_module()
    write_jsonl(HERE / "cloze.jsonl", cloze_items(modules, n, random.Random(seed)))
    write_jsonl(HERE / "next_sentence.jsonl", next_sentence_items(modules, n, random.Random(seed + 1)))
    print(f"wrote {HERE / 'cloze.jsonl'} and {HERE / 'next_sentence.jsonl'} from {len(modules)} modules")


if __name__ == "__main__":
    main()
