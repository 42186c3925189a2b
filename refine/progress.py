"""Progress of a run: documents/s, words/s, the share of documents kept and the time left.

On a terminal, a bar; without one (CI logs, pipes, `nohup`), a plain line every `interval` seconds, so a
log shows a long run moving instead of nothing until the end.
"""

from __future__ import annotations

import threading
import time


class ProgressLike:
    """What the pipeline reports as it goes; the default does nothing."""

    def start(self, total: int) -> None: ...
    def advance(self, rows: int = 0, docs: int = 0, kept: int = 0, words: int = 0) -> None: ...
    def stop(self) -> None: ...


class NullProgress(ProgressLike):
    pass


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RichProgress(ProgressLike):
    """A progress bar (terminal) or a progress line every `interval` seconds (no terminal)."""

    def __init__(self, console=None, description: str = "refining", interval: float = 5.0):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.description = description
        self.interval = interval
        self._progress = None

    def start(self, total: int) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self._total = total
        self._rows = self._docs = self._kept = self._words = 0
        self._t0 = self._last_line = time.perf_counter()
        self._lock = threading.Lock()  # the reader (quarantined rows) and the writer thread both advance
        self._plain = not self.console.is_terminal
        if self._plain:
            return
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                  TimeRemainingColumn(), console=self.console)
        self._task = self._progress.add_task(self.description, total=total, rates="")
        self._progress.start()

    def advance(self, rows: int = 0, docs: int = 0, kept: int = 0, words: int = 0) -> None:
        with self._lock:
            self._rows += rows
            self._docs += docs
            self._kept += kept
            self._words += words
            now = time.perf_counter()
            if self._progress is not None:
                self._progress.update(self._task, advance=rows, rates=self._rates(now))
            elif now - self._last_line >= self.interval:
                self._last_line = now
                self.console.print(self.line(now), highlight=False, soft_wrap=True)

    def _rates(self, now: float) -> str:
        elapsed = max(now - self._t0, 1e-9)
        if not self._docs:
            return ""
        return (f"{self._docs / elapsed:,.1f} docs/s · {self._words / elapsed:,.0f} words/s · "
                f"kept {100 * self._kept / self._docs:.1f}%")

    def line(self, now: float | None = None) -> str:
        """'refining: 1,200/10,000 rows (12.0%) · 40.0 docs/s · … · kept 81.0% · ETA 3:40'."""
        now = time.perf_counter() if now is None else now
        elapsed = max(now - self._t0, 1e-9)
        rate = self._rows / elapsed
        eta = (self._total - self._rows) / rate if rate > 0 else None
        share = f" ({100 * self._rows / self._total:.1f}%)" if self._total else ""
        rates = self._rates(now)
        return (f"{self.description}: {self._rows:,}/{self._total:,} rows{share}"
                f"{' · ' + rates if rates else ''} · ETA {format_eta(eta)}")

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
