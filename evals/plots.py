"""Small SVG plots for the reports: histograms, grouped bars, line charts with error bands.

Hand-written SVG keeps reports self-contained and dependency-free (no matplotlib, no JavaScript): each
function returns an `<svg>` element as text, to be inlined in HTML or saved with `standalone()`.
"""

from __future__ import annotations

import math
from html import escape
from typing import Mapping, Sequence

import numpy as np

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 48
PALETTE = ("#4269d0", "#ef8a28", "#3ca951", "#ff725c", "#a463f2", "#97bbf5", "#9c6b4e", "#6cc5b0")
SVG_NS = "http://www.w3.org/2000/svg"
RAW_COLOR = "#8c8c8c"


def standalone(svg: str) -> str:
    """The same plot as a file of its own (an SVG file needs its namespace; inline SVG does not)."""
    return svg.replace("<svg ", f'<svg xmlns="{SVG_NS}" ', 1)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


def fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10_000 or a < 0.01:
        return f"{v:.2g}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:.3g}"


class _Frame:
    """Axes mapping data to pixels, with a title, gridlines and tick labels."""

    def __init__(self, title: str, xlabel: str, ylabel: str, x_range: tuple[float, float],
                 y_range: tuple[float, float], width: int = WIDTH, height: int = HEIGHT):
        self.w, self.h = width, height
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.parts = [f'<svg class="plot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                      f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
                      f"<title>{escape(title)}</title>",
                      f'<rect width="{width}" height="{height}" fill="#fff"/>',
                      f'<text x="{LEFT}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>']
        if xlabel:
            self.parts.append(f'<text x="{LEFT + self.plot_w / 2}" y="{height - 8}" text-anchor="middle">'
                              f"{escape(xlabel)}</text>")
        if ylabel:
            self.parts.append(f'<text transform="translate(14 {TOP + self.plot_h / 2}) rotate(-90)" '
                              f'text-anchor="middle">{escape(ylabel)}</text>')

    @property
    def plot_w(self) -> float:
        return self.w - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return self.h - TOP - BOTTOM

    def x(self, v: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return LEFT + (v - self.x0) / span * self.plot_w

    def y(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return TOP + self.plot_h - (v - self.y0) / span * self.plot_h

    def y_axis(self, ticks: Sequence[float]) -> None:
        for t in ticks:
            py = self.y(t)
            self.parts.append(f'<line x1="{LEFT}" x2="{LEFT + self.plot_w}" y1="{py:.1f}" y2="{py:.1f}" '
                              f'stroke="#e5e5e5"/>')
            self.parts.append(f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
        self.parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + self.plot_h}" stroke="#333"/>')

    def x_axis(self, ticks: Sequence[float]) -> None:
        base = TOP + self.plot_h
        self.parts.append(f'<line x1="{LEFT}" x2="{LEFT + self.plot_w}" y1="{base}" y2="{base}" stroke="#333"/>')
        for t in ticks:
            px = self.x(t)
            self.parts.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{base}" y2="{base + 4}" stroke="#333"/>')
            self.parts.append(f'<text x="{px:.1f}" y="{base + 16}" text-anchor="middle">{fmt(t)}</text>')

    def legend(self, names: Sequence[str], colors: Mapping[str, str] | None = None) -> None:
        """One row above the plot area, right-aligned, so it never hides data."""
        if len(names) < 2:
            return
        x = self.w - RIGHT
        for i, name in reversed(list(enumerate(names))):
            x -= 10
            self.parts.append(f'<rect x="{x}" y="{TOP - 14}" width="10" height="10" fill="{pick(colors, name, i)}"/>')
            self.parts.append(f'<text x="{x - 4}" y="{TOP - 5}" text-anchor="end">{escape(name)}</text>')
            x -= 4 + 6.5 * len(name) + 12  # about 6.5 px per character at 11 px

    def add(self, element: str) -> None:
        self.parts.append(element)

    def svg(self) -> str:
        return "\n".join(self.parts + ["</svg>"])


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def pick(colors: Mapping[str, str] | None, name: str, i: int) -> str:
    """`colors[name]` when given (a report keeps one colour per variant across its plots), else the i-th."""
    return (colors or {}).get(name) or color(i)


def variant_colors(names: Sequence[str], raw: str | None = "raw") -> dict[str, str]:
    """One colour per variant, in order, and grey for the raw corpus: the same in every plot of a report."""
    out = {name: color(i) for i, name in enumerate(n for n in names if n != raw)}
    if raw is not None:
        out[raw] = RAW_COLOR
    return out


def empty_plot(title: str, message: str = "no data") -> str:
    frame = _Frame(title, "", "", (0, 1), (0, 1), height=120)
    frame.add(f'<text x="{WIDTH / 2}" y="70" text-anchor="middle" fill="#888">{escape(message)}</text>')
    return frame.svg()


def histogram(series: Mapping[str, Sequence[float]], *, title: str, xlabel: str = "", ylabel: str = "documents",
              bins: int = 20, value_range: tuple[float, float] | None = None,
              colors: Mapping[str, str] | None = None) -> str:
    """Overlaid histograms on shared bins (e.g. raw vs refined document lengths)."""
    arrays = {k: np.asarray(list(v), dtype=float) for k, v in series.items()}
    arrays = {k: a[np.isfinite(a)] for k, a in arrays.items()}
    if not any(a.size for a in arrays.values()):
        return empty_plot(title)
    if value_range is None:
        lo = min(float(a.min()) for a in arrays.values() if a.size)
        hi = max(float(a.max()) for a in arrays.values() if a.size)
        value_range = (lo, hi if hi > lo else lo + 1.0)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    counts = {k: np.histogram(a, bins=edges)[0] for k, a in arrays.items()}
    y_ticks = nice_ticks(0, max(int(c.max()) for c in counts.values()) or 1)
    frame = _Frame(title, xlabel, ylabel, (float(edges[0]), float(edges[-1])), (0, y_ticks[-1]))
    frame.y_axis(y_ticks)
    opacity = 0.55 if len(counts) > 1 else 0.85
    for i, (name, c) in enumerate(counts.items()):
        for k, n in enumerate(c):
            if not n:
                continue
            x0, x1 = frame.x(edges[k]), frame.x(edges[k + 1])
            y = frame.y(n)
            frame.add(f'<rect x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                      f'height="{frame.y(0) - y:.1f}" fill="{pick(colors, name, i)}" fill-opacity="{opacity}">'
                      f"<title>{escape(name)}: {int(n)} in [{fmt(edges[k])}, {fmt(edges[k + 1])})</title></rect>")
    frame.x_axis([t for t in nice_ticks(float(edges[0]), float(edges[-1]), 6) if edges[0] <= t <= edges[-1]])
    frame.legend(list(counts), colors)
    return frame.svg()


def bar_chart(categories: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str,
              ylabel: str = "", errors: Mapping[str, Sequence[tuple[float, float] | None]] | None = None,
              colors: Mapping[str, str] | None = None) -> str:
    """Grouped vertical bars: one group per category, one bar per series (None: no bar); `errors` gives
    (low, high) whiskers per bar, e.g. confidence intervals."""
    errors = errors or {}
    values = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    values += [b for es in errors.values() for e in es if e is not None for b in e if math.isfinite(b)]
    if not categories or not values:
        return empty_plot(title)
    lo, hi = min(0.0, min(values)), max(values)
    ticks = nice_ticks(lo, hi if hi > lo else lo + 1.0)  # all zero: a 0..1 axis, not 1e-12 ticks
    frame = _Frame(title, "", ylabel, (0, len(categories)), (ticks[0], ticks[-1]))
    frame.y_axis(ticks)
    names = list(series)
    group_w = frame.plot_w / len(categories)
    bar_w = group_w * 0.8 / max(len(names), 1)
    zero = frame.y(0.0)
    for ci, cat in enumerate(categories):
        gx = LEFT + ci * group_w + group_w * 0.1
        for si, name in enumerate(names):
            v = series[name][ci]
            if v is None or not math.isfinite(v):
                continue
            y = frame.y(v)
            top, height = min(y, zero), abs(zero - y)
            frame.add(f'<rect x="{gx + si * bar_w:.1f}" y="{top:.1f}" width="{bar_w * 0.92:.1f}" '
                      f'height="{max(height, 0.5):.1f}" fill="{pick(colors, name, si)}">'
                      f"<title>{escape(name)} · {escape(cat)}: {fmt(v)}</title></rect>")
            err = errors.get(name, [None] * len(categories))[ci]
            if err is not None and all(math.isfinite(b) for b in err):
                cx, y_lo, y_hi = gx + si * bar_w + bar_w * 0.46, frame.y(err[0]), frame.y(err[1])
                frame.add(f'<path d="M{cx:.1f},{y_lo:.1f}V{y_hi:.1f}M{cx - 4:.1f},{y_lo:.1f}h8M{cx - 4:.1f},'
                          f'{y_hi:.1f}h8" stroke="#222" stroke-width="1.2" fill="none"/>')
        label = cat if len(cat) <= 18 else cat[:17] + "…"
        frame.add(f'<text x="{LEFT + (ci + 0.5) * group_w:.1f}" y="{TOP + frame.plot_h + 16}" '
                  f'text-anchor="middle">{escape(label)}</text>')
    frame.add(f'<line x1="{LEFT}" x2="{LEFT + frame.plot_w}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#333"/>')
    frame.legend(names, colors)
    return frame.svg()


Point = tuple  # (x, y) or (x, y, err): err draws a band y ± err


def _err(p: Point) -> float:
    return (p[2] or 0.0) if len(p) > 2 else 0.0


def line_chart(series: Mapping[str, Sequence[Point]], *, title: str, xlabel: str = "", ylabel: str = "",
               log_y: bool = False) -> str:
    """Lines with optional error bands, e.g. learning curves of several corpora over training steps."""
    pts = {k: [p for p in v if p[1] is not None and math.isfinite(p[1])] for k, v in series.items()}
    if not any(pts.values()):
        return empty_plot(title)
    tr = (lambda v: math.log10(max(v, 1e-12))) if log_y else (lambda v: v)
    xs = [p[0] for v in pts.values() for p in v]
    lows = [tr(p[1] - _err(p)) for v in pts.values() for p in v]
    highs = [tr(p[1] + _err(p)) for v in pts.values() for p in v]
    x_ticks = nice_ticks(min(xs), max(xs), 6)
    y_ticks = nice_ticks(min(lows), max(highs))
    frame = _Frame(title, xlabel, ylabel + (" (log10)" if log_y else ""), (x_ticks[0], x_ticks[-1]),
                   (y_ticks[0], y_ticks[-1]))
    frame.y_axis(y_ticks)
    frame.x_axis(x_ticks)
    for i, (name, v) in enumerate(pts.items()):
        v = sorted(v, key=lambda p: p[0])
        if not v:
            continue
        if any(_err(p) for p in v):
            upper = [(frame.x(p[0]), frame.y(tr(p[1] + _err(p)))) for p in v]
            lower = [(frame.x(p[0]), frame.y(tr(p[1] - _err(p)))) for p in reversed(v)]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower)
            frame.add(f'<polygon points="{path}" fill="{color(i)}" fill-opacity="0.18" stroke="none"/>')
        line = " ".join(f"{frame.x(p[0]):.1f},{frame.y(tr(p[1])):.1f}" for p in v)
        frame.add(f'<polyline points="{line}" fill="none" stroke="{color(i)}" stroke-width="2"/>')
        for p in v:
            frame.add(f'<circle cx="{frame.x(p[0]):.1f}" cy="{frame.y(tr(p[1])):.1f}" r="2.5" fill="{color(i)}">'
                      f"<title>{escape(name)}: {fmt(p[0])} → {fmt(p[1])}</title></circle>")
    frame.legend(list(pts))
    return frame.svg()


def learning_curves(curves: Mapping[str, Sequence[tuple[float, float, float | None]]], *,
                    title: str = "Learning curves", xlabel: str = "training tokens",
                    ylabel: str = "held-out perplexity", log_y: bool = False) -> str:
    """Curves of (step or tokens, mean over seeds, standard deviation over seeds) per corpus."""
    return line_chart(curves, title=title, xlabel=xlabel, ylabel=ylabel, log_y=log_y)
