"""A deterministic stand-in for a model refiner, usable as `--mode fake_refiner` (tests put this folder on
the import path): it removes lines mentioning cookies, drops documents shouting "BUY NOW", and fails
documents containing `--set fail_on=WORD`, as a backend that gave up after its retries would."""

from __future__ import annotations

import time

from refine.refiners.base import Refinement, Refiner, ScopedProgram


class FakeRefiner(Refiner):
    name = "fake"

    def __init__(self, delay: float = 0.0, fail_on: str | None = None):
        self.delay, self.fail_on = delay, fail_on
        self.calls = 0

    def refine(self, docs):
        self.calls += 1
        out = []
        for doc in docs:
            time.sleep(self.delay)
            if self.fail_on and self.fail_on in doc.text:
                out.append(Refinement(doc.id, error="backend error after 5 retries: HTTP 503"))
            elif "BUY NOW" in doc.text:
                out.append(Refinement(doc.id, programs=[ScopedProgram("drop_doc()", None, "doc")]))
            else:
                ops = [f"remove_lines(line_start={i}, line_end={i})"
                       for i, line in enumerate(doc.lines) if "cookie" in line.lower()]
                programs = [ScopedProgram("keep_doc()", None, "doc")]
                if ops:
                    programs.append(ScopedProgram("\n".join(ops), (0, len(doc.lines) - 1), "chunk"))
                out.append(Refinement(doc.id, programs=programs, prompt_tokens=len(doc.text.split()),
                                      completion_tokens=4 * len(programs)))
        return out

    def close(self):
        pass


def from_options(opts):
    time.sleep(float(opts.extra.get("load_delay", 0)))  # a model that takes a while to load
    return FakeRefiner(float(opts.extra.get("delay", 0)), opts.extra.get("fail_on"))


def make_corpus(n: int, seed: int = 0) -> list[dict]:
    """Web-like records: some with a cookie banner, some spam, all with distinct ids."""
    import random

    rng = random.Random(seed)
    words = "the refine corpus model data line page text with of and to a is for on".split()
    records = []
    for i in range(n):
        body = [" ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) + "." for _ in range(rng.randint(2, 6))]
        if i % 3 == 0:
            body.insert(rng.randint(0, len(body)), "We use cookies. Accept all cookies?")
        if i % 7 == 5:
            body.append("BUY NOW cheap pills")
        records.append({"id": f"doc-{i:04d}", "text": "\n".join(body), "url": f"https://site{i % 4}.test/p/{i}"})
    return records
