"""Reports: the files, self-contained HTML with inline SVG plots, and a headless Chromium screenshot."""

from __future__ import annotations

import json
import math
import re
import struct
import sys
import zlib
from pathlib import Path

import pytest

from evals import plots
from evals.report import Figure, Section, Table, format_value, render_html, write_report

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from screenshot_report import find_chromium, screenshot  # noqa: E402

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def sample_sections() -> list[Section]:
    return [
        Section("Lengths", "Two paragraphs.\n\nThe second one <escaped>.",
                [Table(["", "raw", "refined"], [["docs", 10, 7], ["ratio", 0.123456, None]], "Volume")],
                [Figure("lengths", plots.histogram({"raw": [1, 2, 2, 3, 9], "refined": [1, 1, 2]},
                                                   title="Length", xlabel="words"))]),
        Section("Curves", "", [], [
            Figure("curve", plots.learning_curves({"raw": [(0, 50.0, 2.0), (100, 30.0, 1.5), (200, 25.0, 1.0)],
                                                   "refined": [(0, 50.0, 2.0), (100, 28.0, 1.0), (200, 22.0, None)]}),
                   "Held-out perplexity."),
            Figure("bars", plots.bar_chart(["a", "b"], {"x": [1.0, -0.5], "y": [None, 2.0]}, title="Bars")),
        ]),
    ]


def test_write_report_files_json_and_markdown(tmp_path):
    paths = write_report(tmp_path, "Test report", sample_sections(),
                         {"a": 1, "nested": {"nan": math.nan, "inf": math.inf, "x": [1.5, None]}}, "sub")
    assert {p.name for p in paths.values()} == {"report.json", "report.md", "report.html"}
    assert json.loads(paths["json"].read_text()) == {"a": 1, "nested": {"nan": None, "inf": None, "x": [1.5, None]}}
    md = paths["md"].read_text()
    assert "| docs | 10 | 7 |" in md and "| ratio | 0.1235 | n/a |" in md
    for name in ("lengths", "curve", "bars"):
        assert f"(plots/{name}.svg)" in md
        svg = (tmp_path / "plots" / f"{name}.svg").read_text()
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_html_is_self_contained_with_inline_svgs(tmp_path):
    html = write_report(tmp_path, "T", sample_sections(), {})["html"].read_text()
    assert html.count("<svg ") == 3 and html.count("</svg>") == 3
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "&lt;escaped&gt;" in html and "<escaped>" not in html
    assert "<polygon" in html  # the error band of the learning curves


def test_figure_names_must_be_unique_file_stems(tmp_path):
    fig = Figure("same", plots.empty_plot("x"))
    with pytest.raises(ValueError, match="unique"):
        write_report(tmp_path, "T", [Section("a", figures=[fig, fig])], {})
    with pytest.raises(ValueError, match="file stems"):
        write_report(tmp_path, "T", [Section("a", figures=[Figure("../x", fig.svg)])], {})


def test_plots_draw_their_data():
    svg = plots.histogram({"only": [0, 0, 1, 5]}, title="h", bins=5, value_range=(0, 5))
    assert len(re.findall(r"<rect x=", svg)) == 3  # bins [0,1), [1,2) and [4,5] hold data
    assert "no data" in plots.histogram({"x": []}, title="h")
    assert "no data" in plots.bar_chart(["a"], {"x": [None]}, title="b")
    assert "no data" in plots.line_chart({"x": [(1, math.nan)]}, title="l")
    assert plots.nice_ticks(0, 9.3) == [0, 2, 4, 6, 8, 10]
    assert format_value(1234567) == "1,234,567" and format_value(None) == "n/a" and format_value(2.0) == "2"


# --------------------------------------------------------------------------------------------------
# Chromium


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_pixels(path: Path) -> tuple[int, int, int, bytes]:
    """(width, height, channels, unfiltered rows) of an 8-bit RGB/RGBA PNG, decoded with zlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0
    bpp = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, ul = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + left) & 255
            elif ftype == 2:
                line[i] = (line[i] + up) & 255
            elif ftype == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif ftype == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
        out += line
        prev = line
    return width, height, bpp, bytes(out)


def colourful_pixels(path: Path) -> int:
    """Pixels whose channels differ by more than 60: plot colours, never text, rules or background."""
    width, height, bpp, px = png_pixels(path)
    return sum(1 for i in range(0, len(px), bpp) if max(px[i:i + 3]) - min(px[i:i + 3]) > 60)


needs_chromium = pytest.mark.skipif(find_chromium() is None,
                                    reason="Chromium not installed (apt-get install -y chromium)")


@needs_chromium
def test_chromium_renders_the_plots(tmp_path):
    figure = Figure("h", plots.bar_chart(["a", "b", "c"], {"x": [3.0, 1.0, 2.0], "y": [1.0, 2.0, 3.0]}, title="B"))
    with_plot = tmp_path / "with.html"
    with_plot.write_text(render_html("T", [Section("S", figures=[figure])]))
    without_plot = tmp_path / "without.html"
    without_plot.write_text(render_html("T", [Section("S", "the same page with no plot")]))
    shot = screenshot(with_plot, tmp_path / "with.png", width=700, height=480)
    assert png_size(shot) == (700, 480)
    assert colourful_pixels(shot) > 3000  # six bars, each at least ~25 x 20 pixels
    assert colourful_pixels(screenshot(without_plot, tmp_path / "without.png", width=700, height=480)) < 50


@needs_chromium
def test_screenshot_script_on_a_written_report(tmp_path):
    html = write_report(tmp_path / "report", "T", sample_sections(), {})["html"]
    from screenshot_report import main

    assert main([str(html), str(tmp_path / "shot.png"), "--width", "900", "--height", "1400"]) == 0
    assert png_size(tmp_path / "shot.png") == (900, 1400)
    assert main([str(tmp_path / "missing.html"), str(tmp_path / "x.png")]) == 1
