"""Real documentation pages, labelled per line by the page's own markup.

The documentation generators users' corpora are full of (Sphinx with its common themes, MkDocs,
Doxygen, Javadoc, pdoc) mark the main content of every page they write: `role="main"`, Read the Docs'
`itemprop="articleBody"`, Material's `md-content__inner`, Doxygen's `div.contents`. So a site built
by the real generator from a real project's sources is a documentation page whose gold labels nobody
had to write: a line is content when most of its text lies inside that element. `bench/build_docpages.sh`
builds the sites (projects' sources from their PyPI sdists; never Debian's `*-doc` packages) and this
module turns them into `bench/data/docpages.jsonl.gz`, read by `bench/bench_docpages.py`.

The text view is the naive one of `../shared/data/realweb`'s raw pages: every visible line of the
`<body>`, block elements and `<br>` breaking lines, script, style and the like left out, no blank lines.
Pages a corpus does not want whole (the general index, search page, module index, Doxygen's file and
symbol lists, Javadoc's index and tree pages, 404 pages) become the doc-level set: every line remove,
the page drop.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

BLOCK = set("""address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption
figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th
thead tr ul option select button label legend""".split())
HIDDEN = {"script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Rendering errors of a build without the project's own extensions: not on any real page.
DROPPED_CLASSES = {"system-message", "problematic"}
# Navigation inside a content region: Doxygen's "Macros | Typedefs | Functions" jump links
# (Javadoc's `section.summary` is its member tables: content).
NOT_MAIN = {("div", "summary")}

# Where each generator puts the main content, most specific first: the first group any element of
# the page matches names the content regions (Doxygen's title and body are two siblings).
MAIN_GROUPS: list[list[tuple[str | None, str, str]]] = [
    [(None, "itemprop", "articleBody")],  # Read the Docs theme (Sphinx and MkDocs)
    [("article", "class", "bd-article")],  # PyData / Book themes
    [("article", "class", "md-content__inner")],  # Material for MkDocs
    [("article", "role", "main")],  # Furo
    [(None, "role", "main")],  # Sphinx basic themes, MkDocs' own theme, Javadoc
    [("main", "class", "pdoc")],
    [("div", "class", "header"), ("div", "class", "contents")],  # Doxygen
    [("main", None, None)],
]

UNWANTED = re.compile(r"""(^|/)(genindex(-\w+)?|search|py-modindex|404|index-all|allclasses-index|allpackages-index
    |overview-tree|package-tree|deprecated-list|constant-values|serialized-form|files|globals(_\w+)?|annotated
    |classes|functions(_\w+)?|hierarchy|dirs|\w+-members)\.html$""", re.X)
# Not documentation pages: source listings, Doxygen's directory and include-graph pages, generator help.
SKIPPED = re.compile(r"(^|/)(_modules/|.*_source\.html$|dir_\w+\.html$|.*__incl\.html$|help-doc\.html$"
                     r"|.*-summary\.html$|allclasses\.html$|.*-frame\.html$|graph_legend\.html$)")


def _matches(tag: str, attrs: dict, rule: tuple[str | None, str | None, str | None]) -> bool:
    want_tag, attr, value = rule
    if want_tag is not None and tag != want_tag:
        return False
    if attr is None:
        return True
    got = attrs.get(attr) or ""
    return value in got.split() if attr == "class" else got == value


class _Events(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("start", tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.events.append(("end", tag))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.events.append(("text", data))


def html_lines(html: str) -> list[tuple[str, bool]]:
    """The page's visible lines, each with whether it is main content (most of its characters are)."""
    parser = _Events()
    parser.feed(html)
    parser.close()
    starts = [(e[1], e[2]) for e in parser.events if e[0] == "start"]
    group = next((g for g in MAIN_GROUPS if any(_matches(t, a, r) for t, a in starts for r in g)), [])

    lines: list[tuple[str, bool]] = []
    parts: list[tuple[str, bool]] = []

    def flush():
        text = "".join(p for p, _ in parts)
        if text.strip():
            inside = sum(len(p.strip()) for p, main in parts if main)
            lines.append((" ".join(text.split()) if not pre_depth else text.rstrip(),
                          inside * 2 >= len("".join(p.strip() for p, _ in parts))))
        parts.clear()

    stack: list[tuple[str, bool, bool, bool, bool]] = []  # tag, opened: main, hidden, pre, navigation in main
    main_depth = hidden_depth = pre_depth = outside_depth = 0
    in_body = not any(t == "body" for t, _ in starts)
    for event in parser.events:
        kind = event[0]
        if kind == "start":
            tag, attrs = event[1], event[2]
            if tag == "body":
                in_body = True
            if tag in BLOCK:
                flush()
            if tag in VOID:
                continue
            classes = set((attrs.get("class") or "").split())
            opens_main = bool(group) and not main_depth and any(_matches(tag, attrs, r) for r in group)
            leaves_main = bool(main_depth) and any(tag == t and c in classes for t, c in NOT_MAIN)
            opens_hidden = tag in HIDDEN or bool(DROPPED_CLASSES & classes)
            main_depth += opens_main
            outside_depth += leaves_main
            hidden_depth += opens_hidden
            pre_depth += tag == "pre"
            stack.append((tag, opens_main, opens_hidden, tag == "pre", leaves_main))
        elif kind == "end":
            tag = event[1]
            if tag in VOID:
                if tag == "br":
                    flush()
                continue
            if not any(t == tag for t, *_ in stack):
                continue  # a stray end tag
            while stack:
                t, m, h, p, o = stack.pop()
                if t in BLOCK:
                    flush()
                main_depth -= m
                outside_depth -= o
                hidden_depth -= h
                pre_depth -= p
                if t == tag:
                    break
        elif in_body and not hidden_depth:
            data, main = event[1], main_depth > 0 and not outside_depth
            if pre_depth:
                chunks = data.split("\n")
                for i, chunk in enumerate(chunks):
                    if i:
                        flush()
                    parts.append((chunk, main))
            else:
                parts.append((re.sub(r"\s+", " ", data), main))
    flush()
    return lines


def page_record(path: Path, site_root: Path, family: str, project: str) -> dict | None:
    """One page as a labelled record (`content` per line, or a drop page), None when skipped."""
    rel = path.relative_to(site_root).as_posix()
    if SKIPPED.search(rel):
        return None
    lines = html_lines(path.read_text(encoding="utf-8", errors="replace"))
    if not lines:
        return None
    record = {"id": f"{family}:{project}:{rel}", "source": family, "project": project, "path": rel,
              "text": "\n".join(t for t, _ in lines)}
    if UNWANTED.search(rel):
        record.update(labels=[1] * len(lines), doc_label=1, kind="unwanted")
        return record
    content = [int(main) for _, main in lines]
    if not any(content):
        return None  # no main element found: nothing to score against
    record.update(content=content, kind="content")
    return record


def collect(sites: list[tuple[str, str, Path]], per_project: int, seed: int) -> list[dict]:
    """Records of every site, at most `per_project` content pages and a third as many unwanted pages
    each (seeded samples), so no one project (or Doxygen's dozens of symbol lists) outweighs the rest."""
    rng = random.Random(seed)
    records = []
    for family, project, root in sites:
        pages = [r for p in sorted(root.rglob("*.html")) if (r := page_record(p, root, family, project))]
        content = [r for r in pages if r["kind"] == "content"]
        unwanted = [r for r in pages if r["kind"] == "unwanted"]
        if len(content) > per_project:
            content = sorted(rng.sample(content, per_project), key=lambda r: r["id"])
        if len(unwanted) > per_project // 3:
            unwanted = sorted(rng.sample(unwanted, per_project // 3), key=lambda r: r["id"])
        records += content + unwanted
    return records


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", action="append", required=True, metavar="FAMILY:PROJECT:DIR",
                    help="a built site: its generator family, project name and output directory")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data/docpages.jsonl.gz")
    ap.add_argument("--per-project", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sites = []
    for spec in args.site:
        family, project, root = spec.split(":", 2)
        sites.append((family, project, Path(root)))
    records = collect(sites, args.per_project, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out, "wb", mtime=0) as raw:
        for r in records:
            raw.write((json.dumps(r, ensure_ascii=False) + "\n").encode())
    for (family, kind), n in sorted(Counter((r["source"], r["kind"]) for r in records).items()):
        print(f"{family:12} {kind:9} {n}")
    print(f"wrote {len(records)} pages to {args.out}")


if __name__ == "__main__":
    main()
