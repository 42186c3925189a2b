"""The edit-program language's values: operations, programs, errors, policies and results.

Everything here is plain, frozen data so that programs can be hashed, cached, compared and
serialised. Parsing (`parse.py`), applying (`apply.py`), deriving (`derive.py`) and rendering
(`render.py`) all speak these types. Line numbers are always the document's own, 0-based and
inclusive, whatever dialect the text was written in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True, slots=True)
class KeepDoc:
    """Doc stage: keep the document (ProX alias: `untouch_doc()`)."""


@dataclass(frozen=True, slots=True)
class DropDoc:
    """Doc stage: drop the document. Wins over every other operation."""


@dataclass(frozen=True, slots=True)
class KeepChunk:
    """Chunk stage: leave the chunk as it is (RefineX alias: `keep_all()`)."""


@dataclass(frozen=True, slots=True)
class RemoveLines:
    """Remove lines `line_start`..`line_end`, inclusive, in the document's original numbering."""

    line_start: int
    line_end: int


@dataclass(frozen=True, slots=True)
class RemoveStr:
    """Remove the one occurrence of `del_str` in line `line`."""

    line: int
    del_str: str


@dataclass(frozen=True, slots=True)
class Normalize:
    """Replace every `source_str` with `target_str` within the program's scope."""

    source_str: str
    target_str: str = ""


Operation = Union[KeepDoc, DropDoc, KeepChunk, RemoveLines, RemoveStr, Normalize]

#: Operation name in program text -> class. Aliases live in the dialects (`dialects.py`).
OPERATIONS: dict[str, type] = {
    "keep_doc": KeepDoc,
    "drop_doc": DropDoc,
    "keep_chunk": KeepChunk,
    "remove_lines": RemoveLines,
    "remove_str": RemoveStr,
    "normalize": Normalize,
}
OP_NAMES: dict[type, str] = {cls: name for name, cls in OPERATIONS.items()}


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed program: its operations in order, and the document lines it was written for.

    `scope` is the inclusive line range of the chunk the model saw (chunk stage), or None for the
    whole document. Line-local edits (`remove_str`, `normalize`) act only inside the scope.
    """

    ops: tuple[Operation, ...] = ()
    scope: tuple[int, int] | None = None


ProgramErrorCode = Literal[
    "syntax", "unknown_op", "bad_argument", "not_literal", "too_large", "not_allowed", "encoding", "empty"
]


class ProgramError(Exception):
    """Program text that is not a valid program. A value the interpreter counts, and an exception
    `parse()` raises; `code` is machine-readable, `line`/`col` are 1-based positions in the text."""

    def __init__(self, code: str, message: str, line: int | None = None, col: int | None = None):
        super().__init__(f"{code}: {message}" + (f" (line {line}, col {col})" if line is not None else ""))
        self.code = code
        self.message = message
        self.line = line
        self.col = col

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProgramError) and (self.code, self.message, self.line, self.col) == (
            other.code, other.message, other.line, other.col)

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.line, self.col))

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "line": self.line, "col": self.col}


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits checked on the raw text before libcst sees it."""

    max_chars: int = 20_000
    max_calls: int = 256
    max_string: int = 4_096
    max_int: int = 10_000_000


ErrorCode = Literal["out_of_range", "not_found", "ambiguous", "conflict"]


@dataclass(frozen=True, slots=True)
class OpError:
    """Why one operation (or one unparseable program, `op=None`) could not apply."""

    code: str  # an ErrorCode, or a ProgramErrorCode for a program that did not parse
    message: str
    op: Operation | None = None
    program_index: int = 0
    op_index: int | None = None
    # As a JSON record (the operation as program text): `programs.render.error_record`.


@dataclass(frozen=True, slots=True)
class OpEffect:
    """What one successful operation did."""

    op: Operation
    program_index: int
    op_index: int
    lines_removed: int = 0
    chars_removed: int = 0
    replacements: int = 0


OnError = Literal["skip", "keep_original", "drop"]


@dataclass(frozen=True, slots=True)
class Policy:
    """What failing operations mean for the document.

    - `skip` (default): failing operations are skipped, the rest apply.
    - `keep_original`: with `max_errors` or more errors the document is kept unchanged (ProX: 2).
    - `drop`: with `max_errors` or more errors the document is dropped.
    `min_kept_ratio` / `min_words` drop documents that refining all but emptied: kept chars ≤ the ratio,
    or fewer than `min_words` words left (ProX drops at ≤ 0.05 and at ≤ 10 words, i.e. min_words=11).
    """

    on_error: OnError = "skip"
    max_errors: int = 1
    min_kept_ratio: float = 0.0
    min_words: int = 0

    @classmethod
    def prox(cls) -> "Policy":
        return cls(on_error="keep_original", max_errors=2, min_kept_ratio=0.05, min_words=11)


Outcome = Literal["applied", "unchanged", "reverted", "dropped"]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """The refined document and an account of every operation."""

    text: str
    kept: bool
    outcome: Outcome
    effects: tuple[OpEffect, ...] = ()
    errors: tuple[OpError, ...] = ()
    drop_reason: str | None = None  # "drop_doc", "errors", "min_kept_ratio", "min_words", "empty"

    @property
    def changed(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True, slots=True)
class Derivation:
    """The minimal deletion-only program from raw to edited text, and what it could not express."""

    program: Program
    unexpressed: tuple[dict, ...] = field(default=())  # {"kind": "insert"|"replace", "at": int, "raw": str, "edited": str}
    unexpressed_chars: int = 0
    deleted_chars: int = 0
    rejected: bool = False
    reason: str | None = None
