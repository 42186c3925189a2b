"""The harness's metrics as `evaluate` modules: `evaluate.load(evals.metrics.path("line_f1"))`.

Each folder holds one module script that calls the plain function in `evals/`; loading by path works
offline (`evaluate.load("line_f1")` would look on the hub instead).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ("line_f1", "doc_f1", "novel_words", "deletion_subsequence", "distinct_n", "compression_ratio")


def path(name: str) -> str:
    """The folder `evaluate.load` takes for the metric `name`."""
    if name not in NAMES:
        raise ValueError(f"no metric {name!r}; choose from {', '.join(NAMES)}")
    return str(HERE / name)
