"""Reports: sections of text, tables and plots, written as report.json, report.md and report.html.

Every evaluation (data, compare, train, probe) builds `Section`s and a dict of numbers and calls
`write_report`. The HTML is self-contained: inline CSS and inline SVG, no script, no network, so it
opens from a file in any browser; the Markdown links the same plots saved under `plots/`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Sequence

from evals.plots import standalone

REPORT_JSON, REPORT_MD, REPORT_HTML, PLOTS_DIR = "report.json", "report.md", "report.html", "plots"


@dataclass
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]  # cells: text, numbers (formatted by `format_value`) or None ("n/a")
    caption: str = ""


@dataclass
class Figure:
    name: str  # file stem under plots/ (letters, digits, - and _)
    svg: str  # an <svg> element, as the functions of `evals.plots` return
    caption: str = ""


@dataclass
class Section:
    title: str
    text: str = ""  # plain paragraphs, separated by blank lines
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def format_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.4g}" if abs(v) >= 1e-3 else f"{v:.3g}"
    return str(v)


def pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def jsonable(value: Any) -> Any:
    """Numbers as JSON has them: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------------------
# Markdown


def _md_cell(v: Any) -> str:
    return format_value(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    out = [f"# {title}", ""]
    if subtitle:
        out += [subtitle, ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.text:
            out += [section.text.strip(), ""]
        for table in section.tables:
            if table.caption:
                out += [f"**{table.caption}**", ""]
            out.append("| " + " | ".join(_md_cell(c) for c in table.columns) + " |")
            out.append("|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(table.columns))) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            out.append("")
        for fig in section.figures:
            out += [f"![{fig.caption or fig.name}]({PLOTS_DIR}/{fig.name}.svg)", ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;
color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;
margin-top:2rem}.subtitle{color:#666;margin-top:0}p{max-width:60rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}caption{text-align:left;font-weight:600;
padding-bottom:.3rem}th,td{border:1px solid #ddd;padding:.25rem .6rem}th{background:#f4f4f4;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.figures{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0}figcaption{font-size:.85rem;color:#555;max-width:640px}svg.plot{border:1px solid #eee}
"""
_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?$|^n/a$")


def _html_cell(v: Any, tag: str = "td") -> str:
    text = format_value(v)
    cls = ' class="num"' if tag == "td" and _NUMBER.match(text) else ""
    return f"<{tag}{cls}>{escape(text)}</{tag}>"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


def render_html(title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{escape(title)}</h1>"]
    if subtitle:
        out.append(f'<p class="subtitle">{escape(subtitle)}</p>')
    for section in sections:
        out.append(f"<section><h2>{escape(section.title)}</h2>")
        if section.text:
            out.append(_paragraphs(section.text))
        for table in section.tables:
            out.append("<table>")
            if table.caption:
                out.append(f"<caption>{escape(table.caption)}</caption>")
            out.append("<thead><tr>" + "".join(_html_cell(c, "th") for c in table.columns) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in table.rows]
            out.append("</tbody></table>")
        if section.figures:
            out.append('<div class="figures">')
            for fig in section.figures:
                caption = f"<figcaption>{escape(fig.caption)}</figcaption>" if fig.caption else ""
                out.append(f"<figure>{fig.svg}{caption}</figure>")
            out.append("</div>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------
# Writing


def write_report(out_dir: str | Path, title: str, sections: Sequence[Section], numbers: dict,
                 subtitle: str = "") -> dict[str, Path]:
    """report.json (`numbers`), report.md, report.html and plots/*.svg in `out_dir`; their paths."""
    out = Path(out_dir)
    (out / PLOTS_DIR).mkdir(parents=True, exist_ok=True)
    names = [fig.name for s in sections for fig in s.figures]
    bad = [n for n in names if not re.fullmatch(r"[A-Za-z0-9_-]+", n)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"figure names must be unique file stems ([A-Za-z0-9_-]+): {names}")
    for section in sections:
        for fig in section.figures:
            (out / PLOTS_DIR / f"{fig.name}.svg").write_text(standalone(fig.svg), encoding="utf-8")
    paths = {"json": out / REPORT_JSON, "md": out / REPORT_MD, "html": out / REPORT_HTML}
    paths["json"].write_text(json.dumps(jsonable(numbers), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(title, sections, subtitle), encoding="utf-8")
    paths["html"].write_text(render_html(title, sections, subtitle), encoding="utf-8")
    return paths
