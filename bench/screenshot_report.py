"""Screenshot a report.html with headless Chromium: proof that the report renders its plots offline.

    python bench/screenshot_report.py REPORT_DIR/report.html out.png [--width 1200] [--height 3000]

Chromium runs sandboxed from the network's point of view (no background networking, no component
updates, no sync) with a throwaway profile. Install it with `apt-get install -y chromium` (Debian).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--disable-dev-shm-usage")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html: str | Path, out_png: str | Path, *, width: int = 1200, height: int = 3000,
               chromium: str | None = None, timeout_s: float = 60.0) -> Path:
    """Render `html` (a local file) to `out_png`; raises RuntimeError with Chromium's output on failure."""
    binary = chromium or find_chromium()
    if binary is None:
        raise RuntimeError("no Chromium found: apt-get install -y chromium")
    html, out_png = Path(html).resolve(), Path(out_png).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no such report: {html}")
    out_png.parent.mkdir(parents=True, exist_ok=True)
    out_png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="refine-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={out_png}", html.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if not out_png.is_file() or out_png.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return out_png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html")
    parser.add_argument("out_png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)
    try:
        path = screenshot(args.html, args.out_png, width=args.width, height=args.height)
    except (RuntimeError, FileNotFoundError, subprocess.TimeoutExpired) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
