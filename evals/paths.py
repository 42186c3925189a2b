"""Paths as a committed report may show them: relative, or by name, never this machine's absolute ones.

A report records which files it read so that its run can be repeated; an absolute path (/tmp/…, a home
or checkout directory) says nothing on another machine and leaks this one's layout.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout (or installed tree) holding the packages: shipped files are shown relative to it.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def shown_path(spec: str | os.PathLike) -> str:
    """`spec` relative to the working directory or the package root when under either; a remote URL
    (s3://…) or a relative path as given; any other absolute path by its file or directory name."""
    text = os.fspath(spec)
    if "://" in text or not os.path.isabs(text):
        return text
    path = Path(text).resolve()
    for root in (Path.cwd().resolve(), PACKAGE_ROOT):
        if path == root or root in path.parents:
            return path.relative_to(root).as_posix() or "."
    return path.name or text
