"""The synthetic expert: clean text wrapped in web page chrome, with the edit program known by
construction.

A sample is one page: content lines from a clean document (`sources.py`), chrome blocks from the
templates of its split (`boilerplate.py`) placed where sites put them, or a whole junk page
(`negatives.py`) for the doc stage. Every line carries a label (1 = remove) and the program is the
label runs as `remove_lines`, plus `remove_str` for junk glued to a content line. Sample `i` of a
seed depends only on (seed, split, i), so any prefix of a run is reproducible.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from programs.lines import line_body, runs, split_lines
from programs.ops import DropDoc, KeepChunk, KeepDoc, Program, RemoveLines, RemoveStr
from refine.annotate import boilerplate as B
from refine.annotate import negatives as N
from refine.annotate import vocab as V
from refine.annotate import webcontent as W
from refine.annotate.sources import CODE, HEADING, ITEM, PARA, QUOTE, ROW, CleanDoc, load_split

SPLITS = ("train", "heldout", "all")


@dataclass(frozen=True)
class Sample:
    """One synthetic page and its ground truth."""

    id: str
    split: str
    source: str  # clean-text source name, or "negative"
    doc_ids: tuple[str, ...]  # the clean documents (or the negative maker) it was built from
    layout: str  # "plain", "light", "generic", "kit:<name>" or "negative:<maker>"
    templates: tuple[str, ...]  # chrome templates used, in page order
    text: str  # the raw page
    clean: str  # the page after the program ("" when dropped)
    labels: tuple[int, ...]  # one per line of split_lines(text): 1 = remove
    line_kinds: tuple[str, ...]  # "content:<block kind>", "sep", or the template name
    remove_strs: tuple[tuple[int, str], ...] = ()  # (line, del_str): junk inside kept content lines
    doc_label: int = 0  # 1 = drop the document

    @property
    def drop(self) -> bool:
        return bool(self.doc_label)

    def program(self, scope: tuple[int, int] | None = None) -> Program:
        """The chunk-stage program over `scope` (inclusive line range; None = the whole page)."""
        if self.doc_label:
            return Program((DropDoc(),), scope)
        lo, hi = scope if scope is not None else (0, len(self.labels) - 1)
        ops: list = [RemoveStr(line, s) for line, s in self.remove_strs if lo <= line <= hi]
        ops += [RemoveLines(a, b) for a, b in label_runs(self.labels[lo:hi + 1], offset=lo)]
        return Program(tuple(ops) or (KeepChunk(),), scope)

    def doc_program(self) -> Program:
        return Program((DropDoc(),) if self.doc_label else (KeepDoc(),))


def label_runs(labels, offset: int = 0) -> list[tuple[int, int]]:
    """Inclusive (start, end) ranges of consecutive 1-labels, shifted by `offset`."""
    return [(a + offset, b + offset) for a, b in runs(labels)]


# ---------------------------------------------------------------------------------------------


class _Pools:
    """What a split draws from: its clean documents, title-like lines, templates and negatives."""

    def __init__(self, split: str, sources: tuple[str, ...] | None, cache_dir):
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
        self.split = split
        self.families = ("train", "heldout") if split == "all" else (split,)
        self.docs = load_split(split, sources, cache_dir)
        self.source_names = sorted(self.docs)
        self.titles = _title_pool(self.docs)
        self.slots = {slot: [t for t in B.templates(self.families, slot) if t.kit == "generic"] for slot in B.SLOTS}
        self.kits = [k for f in self.families for k in B.KITS[f]]
        self.kit_templates = {k: {slot: B.templates(self.families, slot, kit=k) for slot in B.SLOTS} for k in self.kits}
        self.negatives = N.makers(self.families)
        self.junk = [j for f in self.families for j in B.INLINE_JUNK[f]]


def _title_pool(docs: dict[str, list[CleanDoc]]) -> list[str]:
    """Title-like lines (doc titles and headings of 3-12 words): what related-post lists show."""
    pool: list[str] = []
    for name in sorted(docs):
        for doc in docs[name]:
            for text in [doc.title] + [t for k, t in doc.blocks if k == HEADING]:
                words = text.split()
                if 3 <= len(words) <= 12 and not re.search(r"[()=_{}<>]", text):
                    pool.append(text[:1].upper() + text[1:])
    return sorted(set(pool)) or ["Getting started", "Frequently asked questions", "Release notes and changes"]


def _topics(doc: CleanDoc, rng: random.Random) -> list[str]:
    words = Counter(w.lower() for _, t in doc.blocks for w in re.findall(r"[A-Za-z][a-z]{3,14}", t)
                    if w.lower() not in V.STOP_WORDS)
    common = [w for w, _ in words.most_common(30)]
    return common if len(common) >= 6 else common + rng.sample(["news", "guides", "tips", "howto", "reviews", "updates"], 6)


# ---------------------------------------------------------------------------------------------
# Content rendering


@dataclass
class _Style:
    """Per-page rendering choices for content, so pages differ in shape and not only in words."""

    bullet: str
    wrap: int  # 0 = one line per paragraph (what text extraction of HTML gives)
    blank: bool  # blank lines between blocks
    max_blank: int  # up to this many blank lines per gap (text extractors often leave several)
    numbered: bool
    heading_case: str

    @classmethod
    def draw(cls, rng: random.Random) -> "_Style":
        return cls(bullet=rng.choice(("", "", "- ", "* ", "• ", "· ")),
                   wrap=rng.choice((0,) * 8 + (72, 80, 100)),
                   blank=rng.random() < 0.55,
                   max_blank=rng.choice((1, 1, 1, 2, 3)),
                   numbered=rng.random() < 0.15,
                   heading_case=rng.choice(("keep",) * 6 + ("upper", "title")))


def _wrap(text: str, width: int) -> list[str]:
    if not width or len(text) <= width:
        return [text]
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + ([cur] if cur else [])


def _render_block(kind: str, text: str, style: _Style, index: int) -> list[str]:
    if kind == HEADING:
        return [text.upper() if style.heading_case == "upper" and len(text) < 60 else
                text.title() if style.heading_case == "title" and len(text) < 60 and re.fullmatch(r"[\w\s,'-]+", text)
                else text]
    if kind == ITEM:
        prefix = f"{index + 1}. " if style.numbered else style.bullet
        return _wrap(prefix + text, style.wrap)
    if kind == CODE:
        return [line.rstrip() for line in text.split("\n")]
    if kind == ROW:
        return [text.replace("\t", style.bullet and " | " or "\t")]
    if kind == QUOTE:
        return _wrap(("> " if style.bullet else "") + text, style.wrap)
    return _wrap(text, style.wrap)


def _render_blocks(blocks, style: _Style) -> list[tuple[str, list[str]]]:
    """(kind, lines) per block; items are numbered within their run."""
    segments: list[tuple[str, list[str]]] = []
    item_index = 0
    for kind, text in blocks:
        item_index = item_index + 1 if kind == ITEM else 0
        lines = _render_block(kind, text, style, item_index - 1)
        if kind == CODE and not any(line.strip() for line in lines):
            continue
        segments.append((kind, lines))
    return segments


def _content_segments(docs: list[CleanDoc], style: _Style, rng: random.Random, with_title: bool) -> list[tuple[str, list[str]]]:
    """(kind, lines) per content block, titles of the documents included as headings."""
    segments: list[tuple[str, list[str]]] = []
    for d, doc in enumerate(docs):
        if with_title or d > 0:
            segments.append((HEADING, [doc.title]))
        segments += _render_blocks(doc.blocks, style)
    return segments


def _title_line(title: str, site: B.Site, rng: random.Random) -> str:
    """A page's own title as sites print it: as written, Title Case, sentence case, or with the
    site's name after it (the whole line is content)."""
    form = rng.random()
    if form < 0.2 and len(title) < 80:
        title = " ".join(w[:1].upper() + w[1:] for w in title.split(" "))
    elif form < 0.35:
        title = title[:1].upper() + title[1:]
    if rng.random() < 0.25:
        title = f"{title} {rng.choice(('|', '-', '–', '—', '::', '·'))} {site.name}"
    return title


def _web_sections(family: str, docs: list[CleanDoc], segments, style: _Style, rng: random.Random) -> None:
    """Insert one or two sections of short-line web content (`webcontent`) among the segments."""
    words = _topics(docs[0], rng)
    for _ in range(rng.choice((1, 1, 2))):
        _, blocks = W.section(rng, family, words)
        at = rng.randint(1, len(segments)) if segments else 0
        segments[at:at] = _render_blocks(blocks, style)


def _window(doc: CleanDoc, rng: random.Random) -> CleanDoc:
    """A page-sized run of a long document's blocks."""
    n = len(doc.blocks)
    size = rng.randint(6, 36)
    if n <= size:
        return doc
    start = 0 if rng.random() < 0.4 else rng.randint(0, n - size)
    return CleanDoc(doc.source, doc.id, doc.title, doc.blocks[start:start + size])


# ---------------------------------------------------------------------------------------------
# Page assembly


class _Page:
    """Segments in page order; each is (lines, remove, kind). Separators are added at the end."""

    def __init__(self) -> None:
        self.segments: list[tuple[list[str], bool, str]] = []

    def add(self, lines: list[str], remove: bool, kind: str) -> None:
        lines = [line for line in lines if line.strip() or kind.startswith("content:code")]
        if lines:
            self.segments.append((lines, remove, kind))

    def render(self, blank: bool, max_blank: int, rng: random.Random) -> tuple[list[str], list[int], list[str], list[int]]:
        """Lines, labels, kinds, and the first line of each segment."""
        lines: list[str] = []
        labels: list[int] = []
        kinds: list[str] = []
        starts: list[int] = []
        for i, (seg_lines, remove, kind) in enumerate(self.segments):
            if i and blank:
                prev_remove = self.segments[i - 1][1]
                for _ in range(rng.randint(1, max_blank)):
                    lines.append("")
                    labels.append(int(remove or prev_remove))
                    kinds.append("sep")
            starts.append(len(lines))
            lines.extend(seg_lines)
            labels.extend([int(remove)] * len(seg_lines))
            kinds.extend([kind] * len(seg_lines))
        return lines, labels, kinds, starts


def _chrome(pools: _Pools, ctx: B.Ctx, slot: str, kit: str | None) -> list[B.Template]:
    """Templates for one slot: the kit's own when a kit is set, else the generic pool."""
    if kit is not None and pools.kit_templates[kit][slot]:
        return pools.kit_templates[kit][slot]
    return pools.slots[slot]


def _use(page: _Page, used: list[str], choices: list[B.Template], ctx: B.Ctx) -> None:
    """One template from `choices`, preferring one the page does not show yet."""
    fresh = [t for t in choices if t.name not in used] or choices
    template = ctx.rng.choice(fresh)
    page.add(template.make(ctx), True, template.name)
    used.append(template.name)


class _Chrome:
    """Places boilerplate templates around a page's content, as its layout and kit say."""

    def __init__(self, pools: _Pools, ctx: B.Ctx, page: _Page, kit: str | None, title_line: str | None,
                 title_at: str | None):
        self.pools, self.ctx, self.page, self.kit = pools, ctx, page, kit
        self.title_line, self.title_at = title_line, title_at
        self.used: list[str] = []

    def maybe(self, slot: str, p: float, k: int = 1) -> None:
        for _ in range(k):
            if self.ctx.rng.random() < p:
                _use(self.page, self.used, _chrome(self.pools, self.ctx, slot, self.kit), self.ctx)

    def add_title(self, at: str) -> None:
        if self.title_line is not None and self.title_at == at:
            self.page.add([self.title_line], False, "content:title")

    def before(self, layout: str, rng: random.Random) -> tuple[str | None, bool]:
        """Chrome above the content; for a light layout, its one slot and whether it went on top."""
        slot, place_top = None, False
        if layout == "light":
            slot = rng.choice(("header", "footer", "post", "pre", "banner"))
            place_top = slot in ("header", "pre", "banner") and rng.random() < 0.7
            if place_top:
                self.maybe(slot, 1.0)
            self.add_title("before_pre")
            self.add_title("after_pre")
        elif layout != "plain":
            self.maybe("banner", 0.15)
            if self.kit:
                self.maybe("header", 0.9)
                self.maybe("header", 0.25)
            else:
                for p in (0.5, 0.5, 0.35, 0.2):
                    self.maybe("header", p)
            self.maybe("sidebar", 0.2 if self.kit is None else 0.5)
            self.add_title("before_pre")
            self.maybe("pre", 0.45)
            self.add_title("after_pre")
            self.maybe("pre", 0.15)
        else:
            self.add_title("before_pre")
            self.add_title("after_pre")
        return slot, place_top

    def after(self, layout: str, slot: str | None, place_top: bool, rng: random.Random) -> None:
        """Chrome below the content."""
        if layout == "light":
            if not place_top:
                self.maybe(slot, 1.0)
        elif layout != "plain":
            for p in (0.45, 0.3, 0.2):
                self.maybe("post", p)
            self.maybe("sidebar", 0.3, k=rng.randint(1, 3))
            for p in (0.8, 0.5, 0.3):
                self.maybe("footer", p)
            self.maybe("banner", 0.12)


def _source_docs(pools: _Pools, rng: random.Random) -> tuple[str, list[CleanDoc]]:
    """One source, and one to four windows of its documents (more while the page is short)."""
    source = rng.choice(pools.source_names)
    docs_of = pools.docs[source]
    docs = [_window(docs_of[rng.randrange(len(docs_of))], rng)]
    while sum(len(t) for d in docs for _, t in d.blocks) < 500 and rng.random() < 0.6 and len(docs) < 4:
        docs.append(_window(docs_of[rng.randrange(len(docs_of))], rng))
    return source, docs


def _page_content(docs: list[CleanDoc], family: str, style: _Style, ctx: B.Ctx, rng: random.Random,
                  title_at: str | None) -> tuple[str, list, str | None]:
    """(title, content segments, where the title goes): a product page now and then, else the
    documents' own blocks, sometimes with web sections."""
    title = docs[0].title
    if rng.random() < 0.08:  # a product page: its name, short feature and spec lines, a description
        blocks = W.product_page(rng, family, ctx.topics, [t for d in docs for k, t in d.blocks if k == PARA])
        title, content = blocks[0][1], _render_blocks(blocks[1:], style)
        ctx.title = title
        title_at = title_at or "before_pre"
        if title_at == "content":
            content.insert(0, (HEADING, [title]))
    else:
        content = _content_segments(docs, style, rng, with_title=title_at == "content")
        if rng.random() < 0.35:
            _web_sections(family, docs, content, style, rng)
    return title, content, title_at


def _glue_junk(lines: list[str], labels, content, content_starts: list[int],
               junk: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Append each piece of inline junk to its content line (in place) where it stays findable once:
    the `remove_str` operations that undo it."""
    remove_strs = []
    for seg_index, junk_text in junk:
        line_no = content_starts[seg_index] if seg_index < len(content_starts) else None
        if line_no is not None and lines[line_no] == content[seg_index][1][0] and lines[line_no].count(junk_text) == 0 and labels[line_no] == 0:
            lines[line_no] += junk_text
            if lines[line_no].count(junk_text) == 1:
                remove_strs.append((line_no, junk_text))
            else:
                lines[line_no] = lines[line_no][: -len(junk_text)]
    return remove_strs


def _positive(pools: _Pools, rng: random.Random, index: int, sid: str) -> Sample:
    source, docs = _source_docs(pools, rng)
    doc = docs[0]
    style = _Style.draw(rng)
    headings = [t for d in docs for k, t in d.blocks if k == HEADING][:10]
    ctx = B.Ctx(rng, B.Site.make(rng), doc.title, _topics(doc, rng), rng.sample(pools.titles, min(40, len(pools.titles))), headings)

    r = rng.random()
    layout = "plain" if r < 0.08 else "light" if r < 0.25 else "generic" if r < 0.75 else "kit"
    kit = rng.choice(pools.kits) if layout == "kit" else None
    if kit:
        layout = f"kit:{kit}"
    page = _Page()

    family = rng.choice(pools.families)
    r = rng.random()
    title_at = "content" if r < 0.3 else "before_pre" if r < 0.75 else "after_pre" if r < 0.9 else None
    title, content, title_at = _page_content(docs, family, style, ctx, rng, title_at)
    title_line = _title_line(title, ctx.site, rng) if title_at in ("before_pre", "after_pre") else None
    junk = _inline_junk(pools, content, rng)

    chrome = _Chrome(pools, ctx, page, kit, title_line, title_at)
    slot, place_top = chrome.before(layout, rng)
    inline_budget = 0 if layout in ("plain", "light") else rng.choice((0, 0, 1, 1, 2, 3))
    for i, (kind, lines) in enumerate(content):
        page.add(lines, False, f"content:{kind}")
        if inline_budget and 0 < i < len(content) - 1 and kind == PARA and rng.random() < 0.25:
            _use(page, chrome.used, pools.slots["inline"], ctx)
            inline_budget -= 1
    chrome.after(layout, slot, place_top, rng)

    lines, labels, kinds, starts = page.render(style.blank, style.max_blank, rng)
    content_starts = [start for start, seg in zip(starts, page.segments) if seg[2].startswith("content:") and seg[2] != "content:title"]
    remove_strs = _glue_junk(lines, labels, content, content_starts, junk)
    text = "\n".join(lines)
    if rng.random() < 0.5:
        text += "\n"
    clean = _clean_text(text, labels, remove_strs)
    return Sample(sid, pools.split, source, tuple(d.id for d in docs), layout, tuple(chrome.used), text, clean,
                  tuple(labels), tuple(kinds), tuple(remove_strs), 0)


def _inline_junk(pools: _Pools, content, rng: random.Random) -> list[tuple[int, str]]:
    """Which content segments get a piece of junk glued to their end (ProX/RefineX remove_str)."""
    if rng.random() >= 0.12 or not pools.junk:
        return []
    junk = rng.choice(pools.junk)
    kinds = (HEADING,) if junk.strip() in ("¶", "[edit]", "#", "[source]", "Permalink") else (PARA,)
    candidates = [i for i, (kind, lines) in enumerate(content) if kind in kinds and len(lines) == 1]
    return [(i, junk) for i in rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))]


def _clean_text(text: str, labels, remove_strs) -> str:
    """What the program leaves: kept lines, with the junk strings cut out of them."""
    cuts = dict(remove_strs)
    out = []
    for i, line in enumerate(split_lines(text)):
        if labels[i]:
            continue
        if i in cuts:
            body = line_body(line)
            at = body.find(cuts[i])
            line = body[:at] + body[at + len(cuts[i]):] + line[len(body):]
        out.append(line)
    lines = split_lines(text)
    if out and lines and labels[len(lines) - 1] and line_body(lines[-1]) == lines[-1]:
        out[-1] = line_body(out[-1])  # as `apply`: the page ends as it did, without a final newline
    return "".join(out)


def _negative(pools: _Pools, rng: random.Random, sid: str) -> Sample:
    name, make = rng.choice(pools.negatives)
    lines = [line for line in make(rng, pools.titles) if line.strip()]
    if rng.random() < 0.3:  # junk pages come with chrome too
        site = B.Site.make(rng)
        ctx = B.Ctx(rng, site, lines[0], ["deals", "news", "shop"], rng.sample(pools.titles, min(20, len(pools.titles))))
        lines = rng.choice(pools.slots["header"]).make(ctx) + lines + rng.choice(pools.slots["footer"]).make(ctx)
    text = "\n".join(lines) + ("\n" if rng.random() < 0.5 else "")
    n = len(split_lines(text))
    return Sample(sid, pools.split, "negative", (name,), f"negative:{name}", (), text, "", (1,) * n,
                  (f"negative:{name}",) * n, (), 1)


def generate_synthetic(n: int, seed: int = 0, split: str = "train", *, sources: tuple[str, ...] | None = None,
                       cache_dir: str | Path | None = None, negative_rate: float = 0.15) -> Iterator[Sample]:
    """`n` synthetic pages of `split` ("train", "heldout" or "all"); `negative_rate` of them are
    junk pages for the doc stage. Deterministic in (seed, split, index)."""
    pools = _Pools(split, sources, cache_dir)
    for i in range(n):
        rng = random.Random(f"{seed}/{split}/{i}")
        sid = f"synthetic-{split}-{seed}-{i:06d}"
        if rng.random() < negative_rate and pools.negatives:
            yield _negative(pools, rng, sid)
        else:
            yield _positive(pools, rng, i, sid)


def synthetic_rows(samples: Iterable[Sample], stats, prompter=None) -> Iterator[dict]:
    """Dataset rows of synthetic samples (`dataset.document_rows`), counting them into `stats`."""
    from refine.annotate.dataset import Prompter, document_rows

    prompter = prompter or Prompter()
    for s in samples:
        rows = document_rows(prompter, id=s.id, text=s.text, labels=s.labels, doc_label=s.doc_label, source=s.source,
                             split=s.split, remove_strs=s.remove_strs, layout=s.layout, templates=list(s.templates),
                             doc_ids=list(s.doc_ids), clean=s.clean, line_kinds=list(s.line_kinds))
        stats.add_rows(rows, s.templates, s.layout)
        yield from rows


def write_synthetic(out_dir: str | Path, n: int, seed: int = 0, split: str = "train", **kwargs):
    """Generate `n` pages and write them as an annotation dataset; returns the `Stats`."""
    from refine.annotate.dataset import Stats, write_dataset

    stats = Stats()
    stats.extra.update({"expert": "synthetic", "n": n, "seed": seed, "split": split})
    write_dataset(synthetic_rows(generate_synthetic(n, seed, split, **kwargs), stats), out_dir, stats)
    return stats
