"""A trained model's record, `train.json`: what `refine train` writes beside the weights (the prompt
budgets, dialect and stages it trained with) so that `refine run` and `refine eval` prompt the model
the way it was trained. A leaf module: reading a record needs neither torch nor the training loop."""

from __future__ import annotations

import json
from pathlib import Path

RECORD = "train.json"


def write_record(output_dir: str | Path, record: dict) -> None:
    (Path(output_dir) / RECORD).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_record(model_dir: str | Path) -> dict:
    """What `train.json` says about a trained model directory or a named adapter ({} for any other model)."""
    from refine.named_models import is_named, record

    if is_named(model_dir):
        return record(model_dir)
    path = Path(model_dir) / RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
