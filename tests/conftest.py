"""Tests never touch a model hub: a hub name fails fast instead of retrying for ~46 s. Test files import
the shared helpers (`helpers`) and the fakes (`fake_refiner`, `fake_backend`, `oracle_pii_refiner`, ...)
by name, and `--mode fake_refiner` finds its module on `sys.path`: their folders are put there once, here."""

import os
import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent
for _folder in (_TESTS / "evals", _TESTS / "refine", _TESTS):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
