"""What several test files share: where the repository and the fakes are, writing a JSONL corpus, and a
run's outputs read back byte for byte (to compare two runs). `tests/conftest.py` puts this folder on
`sys.path`, so a test file says `from helpers import write_jsonl`."""

from __future__ import annotations

import json
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FAKES = TESTS / "refine"  # fake_refiner, fake_backend, ...; `--mode fake_refiner` imports them by name


def write_jsonl(path: Path, records) -> Path:
    """One record per line: a dict as JSON, a string as it is (to write broken lines on purpose)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of a run's data/, programs/ and quarantine/, by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for d in ("data", "programs", "quarantine")
            for p in sorted((out / d).glob("*"))}
