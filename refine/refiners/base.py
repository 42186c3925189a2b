"""The contract of every refiner: documents in, one `Refinement` per document out.

A refiner decides; it never edits text itself. Program refiners return program texts with the line
scope each was written for, which the pipeline parses and applies with `programs.apply`; rewrite
refiners return the accepted text. Either way the audit row is built from the `Refinement`.
Every refiner subclasses `Refiner`: `refine` is the one method to write, and this file lists every
hook the pipeline and the executors call, each with a default that does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from refine.document import Document
from refine.options import DEFAULT_BATCH_SIZE


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


class Refiner:
    """Subclass it and write `refine`; override a hook only to use it.

    `name` goes into every audit row (`refiner`) and the summary; a class that sets none, and inherits
    none, is named after itself. An instance may set its own in `__init__`.
    """

    name: str | None = None
    #: True while `refine` needs `prepare` first: one pass over the whole planned input (e.g. line
    #: frequencies for `linefreq=auto`). A property in refiners whose need depends on their options.
    needs_prepare: bool = False
    #: Documents per `refine` call unless `--batch-size` says otherwise.
    batch_size: int = DEFAULT_BATCH_SIZE

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "name", None) is None:
            cls.name = cls.__name__

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        """One `Refinement` per document, in order; a document it could not refine (a backend that gave
        up after its retries) comes back with `error` set."""
        raise NotImplementedError(f"{type(self).__name__} must implement refine(docs)")

    def validate(self, doc: Document) -> tuple[str, str] | None:
        """(code, message) when the record cannot be refined, so the pipeline quarantines it before
        `refine` sees it (`refine apply`: a program field that does not parse); None to refine it."""
        return None

    def prepare(self, docs: Iterable[Document]) -> None:
        """The first pass that `needs_prepare` asks for, over every planned document (done shards too,
        so a resumed run refines as an uninterrupted one)."""

    def close(self) -> None:
        """Release what the refiner holds (a model, a server connection, a temporary index)."""
