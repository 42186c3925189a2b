"""`--mode crash_refiner`: the fake refiner, except that the process running it dies (`os._exit`, as a
preempted or OOM-killed worker would) the first time it meets document `--set crash_on=ID`. It leaves
`--set crash_dir=DIR`/ID behind, so the retried attempt goes through and a test can see the crash happened."""

from __future__ import annotations

import os
from pathlib import Path

from fake_refiner import FakeRefiner


class CrashRefiner(FakeRefiner):
    def __init__(self, crash_on: str, crash_dir: str, delay: float = 0.0):
        super().__init__(delay)
        self.crash_on, self.crash_dir = crash_on, Path(crash_dir)

    def refine(self, docs):
        if any(doc.id == self.crash_on for doc in docs):
            try:
                with open(self.crash_dir / self.crash_on, "x"):
                    pass
            except FileExistsError:
                pass  # a retry: this time, refine
            else:
                os._exit(1)
        return super().refine(docs)


def from_options(opts):
    return CrashRefiner(str(opts.extra["crash_on"]), str(opts.extra["crash_dir"]), float(opts.extra.get("delay", 0)))
