"""How a document is cut into numbered lines: once, here, for prompts and the interpreter alike.

Lines end at "\n" only (not at the other characters `str.splitlines` breaks on, which models never
see as line breaks). Each line keeps its own terminator ("\n" or "\r\n"), so joining the lines gives
back the text byte for byte; a final terminator does not start an extra, empty line.
"""

from __future__ import annotations

from typing import Iterable


def split_lines(text: str) -> list[str]:
    """Lines with their terminators; `"".join(split_lines(t)) == t`."""
    if not text:
        return []
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def line_body(line: str) -> str:
    """A line without its terminator."""
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n"):
        return line[:-1]
    return line


def line_terminator(line: str) -> str:
    return line[len(line_body(line)):]


def runs(flags: Iterable) -> list[tuple[int, int]]:
    """Inclusive (start, end) line ranges of consecutive true flags: what `remove_lines` calls remove
    for per-line labels or decisions."""
    out: list[tuple[int, int]] = []
    start = None
    i = -1
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, i))
    return out
