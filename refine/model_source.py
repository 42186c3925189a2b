"""Tell a mistyped local model path from a hub name before transformers tries to load it: for a path
that does not exist, transformers answers with hub repo-id syntax rules, which name neither the path
nor the fix."""

from __future__ import annotations

import re
from pathlib import Path

# A hub repo id: `name` or `org/name`, letters, digits, '-', '_' and '.', not starting with '.' or '-'.
HUB_NAME = re.compile(r"[A-Za-z0-9_][\w.-]*(/[A-Za-z0-9_][\w.-]*)?")


def local_model_problem(model: str) -> str | None:
    """Why `model` cannot be loaded, when it is plainly a local path that is not a model directory (to
    follow "cannot load model 'X': "); None when it is a directory or could be a hub name."""
    path = Path(model).expanduser()
    if path.is_dir():
        return None
    if path.exists():
        return "it is a file, not a model directory (one with config.json and tokenizer files)"
    if model.startswith((".", "/", "~")) or not HUB_NAME.fullmatch(model):
        return "no such directory (give a local model directory, or a hub name org/name)"
    return None
