"""The contract of every refiner: documents in, one `Refinement` per document out.

A refiner decides; it never edits text itself. Program refiners return program texts with the line
scope each was written for, which the pipeline parses and applies with `programs.apply`; rewrite
refiners return the accepted text. Either way the audit row is built from the `Refinement`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from refine.document import Document


class OptionError(ValueError):
    """A `--set` option the refiner does not have, or a value it cannot use; the message names it."""


@dataclass
class ScopedProgram:
    """Program text as produced (model output, rule output) and the document lines it covers."""

    text: str
    scope: tuple[int, int] | None = None  # inclusive line range of the chunk; None = whole document
    stage: str = "chunk"  # "doc" | "chunk"


@dataclass
class Refinement:
    doc_id: str
    programs: list[ScopedProgram] = field(default_factory=list)
    rewrite: str | None = None  # rewrite refiners: the accepted text (None: fall back to programs/original)
    audit: dict = field(default_factory=dict)  # refiner-specific facts: guard results, scores, retries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # a refiner failure for this document (backend error after retries)


class Refiner(Protocol):
    name: str

    def refine(self, docs: Sequence[Document]) -> list[Refinement]: ...

    def close(self) -> None: ...
