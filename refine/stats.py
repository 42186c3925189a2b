"""Run statistics: named counters that each shard fills and the run merges (datatrove's way).

A counter name is flat ("docs_in") or grouped with a slash ("ops/remove_lines", "errors/not_found",
"drop_reasons/drop_doc"); `to_dict` nests the groups for `stats.json`, `from_dict` reads them back, so a
shard's completion marker and the run's summary are the same value.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

#: Counters every summary shows, in this order, even at zero.
MAIN_COUNTERS = ("docs_in", "docs_kept", "docs_dropped", "docs_changed", "docs_unchanged", "docs_reverted",
                 "docs_quarantined", "chars_in", "chars_out", "words_in", "words_out",
                 "prompt_tokens", "completion_tokens")


#: Counters an earlier version wrote under another name (they always counted whitespace-split words).
RENAMED = {"tokens_in": "words_in", "tokens_out": "words_out"}


class Stats:
    def __init__(self, counters: dict[str, float] | None = None):
        self.counters: Counter = Counter(counters or {})

    def update(self, name: str, n: float = 1) -> None:
        self.counters[name] += n

    def merge(self, other: "Stats") -> "Stats":
        self.counters.update(other.counters)
        return self

    @classmethod
    def merged(cls, parts: Iterable["Stats"]) -> "Stats":
        total = cls()
        for part in parts:
            total.merge(part)
        return total

    def __getitem__(self, name: str) -> float:
        return self.counters.get(name, 0)

    def group(self, prefix: str) -> dict[str, float]:
        """The counters under `prefix/`, largest first."""
        head = prefix + "/"
        items = [(k[len(head):], v) for k, v in self.counters.items() if k.startswith(head)]
        return dict(sorted(items, key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict:
        out: dict = {name: _number(self[name]) for name in MAIN_COUNTERS}
        for name in sorted(self.counters):
            if "/" in name:
                group, key = name.split("/", 1)
                out.setdefault(group, {})[key] = _number(self.counters[name])
            elif name not in out:
                out[name] = _number(self.counters[name])
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Stats":
        stats = cls()
        for name, value in d.items():
            name = RENAMED.get(name, name)
            if isinstance(value, dict):
                for key, v in value.items():
                    stats.counters[f"{name}/{key}"] = v
            elif isinstance(value, (int, float)):
                stats.counters[name] = value
        return stats

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stats) and +self.counters == +other.counters

    def __repr__(self) -> str:
        return f"Stats({dict(self.counters)!r})"


def _number(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(v, 3)


def summary_table(stats: Stats, title: str = "refine", elapsed: float | None = None, this_run: "Stats | None" = None):
    """A rich table of what a run did: documents, text volume, operations, errors and drop reasons.

    `elapsed`: this command's wall time, start-up included; the rate is over the documents it refined
    (`this_run`), not over shards an earlier run did. Without it, the shards' own summed time."""
    from rich.table import Table

    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    docs_in = stats["docs_in"]

    def share(n: float, of: float) -> str:
        return f"{100 * n / of:.1f}%" if of else ""

    for name in ("docs_in", "docs_kept", "docs_dropped", "docs_changed", "docs_unchanged", "docs_reverted"):
        table.add_row(name.replace("_", " "), f"{int(stats[name]):,}", share(stats[name], docs_in))
    table.add_row("docs quarantined", f"{int(stats['docs_quarantined']):,}",
                  share(stats["docs_quarantined"], docs_in + stats["docs_quarantined"]))
    table.add_row("chars in → out", f"{int(stats['chars_in']):,} → {int(stats['chars_out']):,}",
                  share(stats["chars_out"], stats["chars_in"]))
    table.add_row("words in → out", f"{int(stats['words_in']):,} → {int(stats['words_out']):,}",
                  share(stats["words_out"], stats["words_in"]))
    if stats["prompt_tokens"] or stats["completion_tokens"]:
        table.add_row("model tokens (prompt / completion)",
                      f"{int(stats['prompt_tokens']):,} / {int(stats['completion_tokens']):,}", "")
    for group, label in (("ops", "op"), ("errors", "error"), ("drop_reasons", "dropped:"),
                         ("quarantine", "quarantined:")):
        for key, n in stats.group(group).items():
            table.add_row(f"  {label} {key}", f"{int(n):,}", "")
    if elapsed is not None:
        docs = (this_run or stats)["docs_in"]
        table.add_row("wall time (this run)", f"{elapsed:.1f} s", f"{docs / elapsed:.1f} docs/s" if elapsed > 0 else "")
    elif stats["wall_s"]:
        table.add_row("shard time", f"{stats['wall_s']:.1f} s", f"{stats['docs_in'] / stats['wall_s']:.1f} docs/s")
    return table
