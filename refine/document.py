"""A corpus record as the engine sees it: an id, the text to refine, and the record's other fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from programs.lines import line_body, split_lines


@dataclass
class Document:
    id: str
    text: str
    fields: dict = field(default_factory=dict)  # every other field of the input record, kept as is

    @cached_property
    def lines(self) -> list[str]:
        """Lines with terminators (see `programs.lines`); line i is `[i]` in prompts and programs."""
        return split_lines(self.text)

    @cached_property
    def bodies(self) -> list[str]:
        return [line_body(line) for line in self.lines]
