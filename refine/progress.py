"""Progress of a run on the terminal: documents/s, tokens/s and the share of documents kept."""

from __future__ import annotations

import threading
import time


class ProgressLike:
    """What the pipeline reports as it goes; the default does nothing."""

    def start(self, total: int) -> None: ...
    def advance(self, rows: int = 0, docs: int = 0, kept: int = 0, tokens: int = 0) -> None: ...
    def stop(self) -> None: ...


class NullProgress(ProgressLike):
    pass


class RichProgress(ProgressLike):
    """A progress bar with documents/s, tokens/s and the share of documents kept."""

    def __init__(self, console=None, description: str = "refining"):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.description = description
        self._progress = None

    def start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[rates]}"), TimeElapsedColumn(),
                                  console=self.console, disable=not self.console.is_terminal)
        self._task = self._progress.add_task(self.description, total=total, rates="")
        self._t0 = time.perf_counter()
        self._docs = self._kept = self._tokens = 0
        self._lock = threading.Lock()  # the reader (quarantined rows) and the writer thread both advance
        self._progress.start()

    def advance(self, rows: int = 0, docs: int = 0, kept: int = 0, tokens: int = 0) -> None:
        with self._lock:
            self._advance(rows, docs, kept, tokens)

    def _advance(self, rows: int, docs: int, kept: int, tokens: int) -> None:
        self._docs += docs
        self._kept += kept
        self._tokens += tokens
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        rates = (f"{self._docs / elapsed:,.1f} docs/s · {self._tokens / elapsed:,.0f} tok/s · "
                 f"kept {100 * self._kept / self._docs:.1f}%") if self._docs else ""
        self._progress.update(self._task, advance=rows, rates=rates)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
