"""Clean text written by others, as documents of typed blocks: the content side of synthetic pages.

Every source reads text that ships with this machine or its package registries (Debian package
descriptions, manual pages, license texts, Python's docstrings and reference topics, installed
packages' long descriptions) and yields `CleanDoc`s in a deterministic order. Sources are split
into TRAIN and HELD-OUT families so that a held-out evaluation measures generalisation to text the
training data never drew from. Extracted documents are cached as JSONL under a data directory.
Debian's `*-doc` HTML packages are never read: they are kept for judging.
"""

from __future__ import annotations

import ast
import email.parser
import gzip
import json
import os
import re
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

#: Block kinds. Every block is content: the synthetic expert keeps all of them.
HEADING, PARA, ITEM, CODE, ROW, QUOTE = "heading", "para", "item", "code", "row", "quote"


@dataclass(frozen=True)
class CleanDoc:
    """One clean document: `blocks` are (kind, text) pairs; only CODE text may span several lines."""

    source: str
    id: str
    title: str
    blocks: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict:
        return {"source": self.source, "id": self.id, "title": self.title, "blocks": [list(b) for b in self.blocks]}

    @classmethod
    def from_dict(cls, d: dict) -> "CleanDoc":
        return cls(d["source"], d["id"], d["title"], tuple((k, t) for k, t in d["blocks"]))


# ---------------------------------------------------------------------------------------------
# Plain-text helpers shared by the extractors


_WS = re.compile(r"[ \t]+")


def unwrap(lines: list[str]) -> str:
    """Join hard-wrapped lines into one paragraph line, squeezing runs of spaces."""
    return _WS.sub(" ", " ".join(line.strip() for line in lines)).strip()


_BULLET = re.compile(r"^\s*(?:[-*+•o]|\d{1,2}[.)])\s+")
_UNDERLINE = re.compile(r"([=*~^-])\1{2,}")


def blocks_from_plain(text: str, *, code_indent: int = 4) -> list[tuple[str, str]]:
    """Blank-line separated plain text -> blocks: bullets become items, deeper-indented runs or
    `>>>` sessions become code, short unpunctuated lines become headings, the rest paragraphs."""
    blocks: list[tuple[str, str]] = []
    for chunk in re.split(r"\n\s*\n", text.expandtabs(8)):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) >= 2 and _UNDERLINE.fullmatch(lines[1].strip()):
            blocks.append((HEADING, unwrap(lines[:1])))
            lines = lines[2:]
            if not lines:
                continue
        base = min(len(line) - len(line.lstrip()) for line in lines)
        bulleted = bool(_BULLET.match(lines[0])) and all(
            _BULLET.match(line) or line.startswith(" " * (base + 2)) for line in lines)
        if not bulleted and (lines[0].lstrip().startswith(">>>")
                             or (base >= code_indent and len(lines) > 1 and _looks_like_code(lines))):
            blocks.append((CODE, "\n".join(line[base:] for line in lines)))
            continue
        if bulleted:
            item: list[str] = []
            for line in lines:
                if _BULLET.match(line) and item:
                    blocks.append((ITEM, unwrap(item)))
                    item = []
                item.append(_BULLET.sub("", line) if _BULLET.match(line) else line)
            blocks.append((ITEM, unwrap(item)))
            continue
        joined = unwrap(lines)
        if len(lines) == 1 and len(joined) < 70 and not joined.endswith((".", ",", ";", ":")) and joined[:1].isupper():
            blocks.append((HEADING, joined))
        else:
            blocks.append((PARA, joined))
    return blocks


def _looks_like_code(lines: list[str]) -> bool:
    code_chars = sum(line.count(c) for line in lines for c in "(){}[]=;<>$/_")
    return code_chars >= len(lines) or any(line.strip().startswith(("$ ", "#", ">>>", "import ", "def ")) for line in lines)


def _usable(doc: CleanDoc, min_chars: int = 120) -> bool:
    return sum(len(t) for k, t in doc.blocks if k != HEADING) >= min_chars


# ---------------------------------------------------------------------------------------------
# Extractors: each returns the documents of one source, in a deterministic order


def debian_descriptions(limit: int | None = None) -> Iterator[CleanDoc]:
    """Long descriptions of Debian packages: apt's English translation files when `apt-get update
    -o Acquire::Languages=en` fetched them, else whatever `apt-cache dumpavail` carries."""
    lists = sorted(Path("/var/lib/apt/lists").glob("*_i18n_Translation-en*"))
    texts = [_run(["/usr/lib/apt/apt-helper", "cat-file", str(p)]) for p in lists] or [_run(["apt-cache", "dumpavail"])]
    seen: set[str] = set()
    count = 0
    for stanza in "\n\n".join(texts).split("\n\n"):
        name = re.search(r"^Package: (.+)$", stanza, re.M)
        desc = re.search(r"^Description(?:-en)?: (.*)\n((?: .*\n?)*)", stanza, re.M)
        if not name or not desc or desc.group(2).strip() in seen:
            continue
        body = desc.group(2)
        seen.add(body.strip())
        text = "\n".join("" if line.strip() == "." else line[1:] for line in body.split("\n"))
        doc = CleanDoc("debian", f"debian:{name.group(1)}", desc.group(1).strip(),
                       tuple(blocks_from_plain(text, code_indent=3)))
        if _usable(doc, 200):
            yield doc
            count += 1
            if limit and count >= limit:
                return


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def man_pages(limit: int | None = 1500) -> Iterator[CleanDoc]:
    """English manual pages of sections 1, 5, 7 and 8, rendered by `man` without hyphenation or
    justification at a very wide width, so that each paragraph comes out as one line."""
    root = Path("/usr/share/man")
    files = sorted(p for sec in ("man1", "man5", "man7", "man8") for p in (root / sec).glob("*") if p.is_file())
    # At most a few pages per command family: thousands of `gcloud ...` pages would drown the rest.
    per_family: Counter = Counter()
    kept = []
    for path in files:
        family = re.split(r"[-_.]", path.name, maxsplit=1)[0]
        per_family[family] += 1
        if per_family[family] <= 12:
            kept.append(path)
    files = kept
    if limit and len(files) > limit:
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    env = {**os.environ, "MANWIDTH": "2000", "MAN_KEEP_FORMATTING": "", "LC_ALL": "C.UTF-8"}
    for path in files:
        try:
            text = subprocess.run(["man", "--nh", "--nj", "-P", "cat", "-l", str(path)], capture_output=True,
                                  text=True, timeout=20, env=env).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        doc = _man_doc(path, text)
        if doc is not None and _usable(doc, 300):
            yield doc


def _man_doc(path: Path, text: str) -> CleanDoc | None:
    lines = [line.rstrip() for line in text.split("\n")]
    if len(lines) < 4:
        return None
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    lines = lines[1:-1]  # the running header and footer
    blocks: list[tuple[str, str]] = []
    title = ""
    section = ""
    para: list[str] = []

    def flush() -> None:
        if para:
            body = unwrap(para)
            kind = ITEM if len(para) == 1 and body.startswith("-") and len(body) < 60 else PARA
            blocks.append((kind, body))
            para.clear()

    for line in lines:
        if not line.strip():
            flush()
        elif not line.startswith(" "):
            flush()
            section = line.strip()
            if section != "NAME":
                blocks.append((HEADING, section.title() if section.isupper() else section))
        elif section == "NAME" and not title:
            title = line.strip()
        elif section == "SYNOPSIS":
            blocks.append((CODE, line.strip()))
        else:
            para.append(line)
    flush()
    if not title:
        return None
    return CleanDoc("manpages", f"man:{path.name}", title, tuple(blocks))


def license_texts() -> Iterator[CleanDoc]:
    """The license texts in /usr/share/common-licenses (always present on Debian)."""
    root = Path("/usr/share/common-licenses")
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        blocks = blocks_from_plain(text, code_indent=12)
        # Long licenses become several documents of about 40 blocks each, like pages of a site.
        for part in range(0, len(blocks), 40):
            doc = CleanDoc("licenses", f"license:{path.name}:{part // 40}", path.name, tuple(blocks[part:part + 40]))
            if _usable(doc, 300):
                yield doc


def stdlib_docstrings() -> Iterator[CleanDoc]:
    """Docstrings of the Python standard library's pure-Python modules (read with `ast`, never
    imported), one document per module: its docstring, then each documented class and function."""
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.glob("*.py")) + sorted(root.glob("*/__init__.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        name = path.parent.name if path.name == "__init__.py" else path.stem
        if name.startswith("_") or "test" in name:
            continue
        blocks: list[tuple[str, str]] = []
        module_doc = ast.get_docstring(tree)
        if module_doc:
            blocks.extend(blocks_from_plain(module_doc))
        for node in tree.body:
            nodes = [node] + ([n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                              if isinstance(node, ast.ClassDef) else [])
            for n in nodes:
                if not isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or n.name.startswith("_"):
                    continue
                doc = ast.get_docstring(n)
                if doc and len(doc) > 80:
                    blocks.append((HEADING, _signature(n)))
                    blocks.extend(blocks_from_plain(doc))
        doc = CleanDoc("stdlib", f"stdlib:{name}", f"{name} module", tuple(blocks))
        if _usable(doc, 300):
            yield doc


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.ClassDef):
        return f"class {node.name}"
    args = [a.arg for a in node.args.args if a.arg not in ("self", "cls")]
    return f"{node.name}({', '.join(args)})"


def pydoc_topics() -> Iterator[CleanDoc]:
    """The Python language reference topics that `help()` shows (pydoc_data.topics)."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return
    for key in sorted(topics):
        doc = CleanDoc("pydoc", f"pydoc:{key}", key, tuple(blocks_from_plain(topics[key])))
        if _usable(doc, 300):
            yield doc


def package_readmes() -> Iterator[CleanDoc]:
    """Long descriptions (READMEs) in the METADATA of installed Python distributions, Markdown and
    reStructuredText reduced to what a browser's text extraction would show."""
    seen: set[str] = set()
    dirs = sorted({Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()})
    for site in dirs:
        for meta in sorted(site.glob("*.dist-info/METADATA")):
            msg = email.parser.Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
            name = msg.get("Name", meta.parent.name)
            body = msg.get_payload() if isinstance(msg.get_payload(), str) else ""
            if name.lower() in seen or name.lower() == "refine" or len(body) < 400:
                continue
            seen.add(name.lower())
            doc = CleanDoc("readmes", f"readme:{name}", msg.get("Summary") or name, tuple(_markup_blocks(body)))
            if _usable(doc, 300):
                yield doc


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_RST_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_HTML_TAG = re.compile(r"<[^>]+>")
_INLINE = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)|``|:\w+:`([^`]*)`")


def _clean_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _RST_LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _INLINE.sub(lambda m: m.group(1) or "", text)
    return text.replace("`", "").strip()


class _Blocks:
    """The blocks read so far, and the paragraph being gathered (its lines end at a blank or a block)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.para: list[str] = []

    def flush(self) -> None:
        if self.para:
            body = _clean_inline(unwrap(self.para))
            if body and not re.fullmatch(r"[\W_]*", body):
                self.blocks.append((PARA, body))
            self.para.clear()

    def add(self, kind: str, raw: str) -> None:
        """A one-line block (heading, item, quote), unless nothing is left once its markup is gone."""
        text = _clean_inline(raw)
        if text:
            self.blocks.append((kind, text))

    def code(self, block: str | None) -> None:
        if block:
            self.blocks.append((CODE, block))


def _fenced_block(lines: list[str], i: int, fence: str) -> tuple[int, str | None]:
    """The code from line i to the closing `fence`, and the line after it; an unclosed fence is no code."""
    code: list[str] = []
    while i < len(lines):
        if lines[i].strip().startswith(fence):
            return i + 1, "\n".join(code).strip("\n") if code else None
        code.append(lines[i].rstrip())
        i += 1
    return i, None


def _is_underline(stripped: str, nxt: str) -> bool:
    """Whether `nxt` underlines `stripped` as a Markdown (setext) or reStructuredText heading."""
    return bool(nxt) and len(nxt) >= 3 and set(nxt) <= set("=-~^*+#\"'`") and len(nxt) >= len(stripped) - 2


def _markup_blocks(text: str) -> list[tuple[str, str]]:
    """Markdown / reStructuredText -> blocks (headings, paragraphs, items, code, table rows)."""
    out = _Blocks()
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            out.flush()
            i, block = _fenced_block(lines, i + 1, stripped[:3])
            out.code(block)
            continue
        if not stripped:
            out.flush()
        elif stripped.startswith("#"):
            out.flush()
            out.add(HEADING, stripped.lstrip("#"))
        elif not out.para and _is_underline(stripped, lines[i + 1].strip() if i + 1 < len(lines) else ""):
            if not set(stripped) <= set("=-~^*+#"):
                out.add(HEADING, stripped)
            i += 1
        elif stripped.startswith("|") and stripped.endswith("|"):
            out.flush()
            if not re.fullmatch(r"[|\s:\-]+", stripped):
                cells = [_clean_inline(c) for c in stripped.strip("|").split("|")]
                out.blocks.append((ROW, "\t".join(cells) if len(cells) > 1 else cells[0]))
        elif stripped.startswith((".. ", "[!", "<")):
            out.flush()
            if stripped.endswith("::") and "code" in stripped:
                i, block = _indented_block(lines, i + 1)
                out.code(block)
                continue
        elif line.startswith("    ") and not out.para:
            i, block = _indented_block(lines, i)
            out.code(block)
            continue
        elif _BULLET.match(line):
            out.flush()
            out.add(ITEM, _BULLET.sub("", line))
        elif stripped.startswith(">"):
            out.flush()
            out.add(QUOTE, stripped.lstrip("> "))
        elif out.para and line.startswith("  ") and out.blocks and out.blocks[-1][0] == ITEM:
            out.blocks[-1] = (ITEM, out.blocks[-1][1] + " " + _clean_inline(stripped))
        else:
            out.para.append(stripped)
            if stripped.endswith("::"):
                out.para[-1] = stripped[:-1]
                out.flush()
                i, block = _indented_block(lines, i + 1)
                out.code(block)
                continue
        i += 1
    out.flush()
    # Link lists and badge rows of READMEs are the README's own chrome, not content to keep.
    return [(k, t) for k, t in out.blocks if t.strip() and (k == CODE or _url_share(t) < 0.5)]


_URL = re.compile(r"https?://\S+|www\.\S+")


def _url_share(text: str) -> float:
    return sum(len(m) for m in _URL.findall(text)) / max(1, len(text))


def _indented_block(lines: list[str], i: int) -> tuple[int, str]:
    """The indented block starting at (or after blank lines from) line i, dedented; and the next index."""
    out: list[str] = []
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        out.append(lines[i].rstrip())
        i += 1
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    if not out:
        return i, ""
    base = min(len(line) - len(line.lstrip()) for line in out if line)
    return i, "\n".join(line[base:] for line in out)


# ---------------------------------------------------------------------------------------------
# Registry, splits and cache

#: name -> extractor. Bundled sources (always available, no apt state needed): stdlib, pydoc, licenses.
SOURCES: dict[str, Callable[[], Iterator[CleanDoc]]] = {
    "debian": debian_descriptions,
    "stdlib": stdlib_docstrings,
    "pydoc": pydoc_topics,
    "readmes": package_readmes,
    "manpages": man_pages,
    "licenses": license_texts,
}
TRAIN_SOURCES = ("debian", "stdlib", "pydoc", "readmes")
HELDOUT_SOURCES = ("manpages", "licenses")
BUNDLED = {"train": ("stdlib", "pydoc"), "heldout": ("licenses",)}
CACHE_VERSION = 3


def split_sources(split: str) -> tuple[str, ...]:
    """The source names of a split: "train", "heldout", or "all" (both, for a final model)."""
    if split == "train":
        return TRAIN_SOURCES
    if split == "heldout":
        return HELDOUT_SOURCES
    if split == "all":
        return TRAIN_SOURCES + HELDOUT_SOURCES
    raise ValueError(f"unknown split {split!r}: use train, heldout or all")


def default_cache_dir() -> Path:
    return Path(os.environ.get("REFINE_CACHE", Path.home() / ".cache" / "refine")) / "sources"


def load_source(name: str, cache_dir: Path | str | None = None) -> list[CleanDoc]:
    """All documents of one source, extracted once and then read from `cache_dir` (JSONL.gz)."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"{name}.v{CACHE_VERSION}.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [CleanDoc.from_dict(json.loads(line)) for line in f]
    docs = list(SOURCES[name]())
    if docs:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for doc in docs:
                f.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
        tmp.replace(path)
    return docs


def load_split(split: str, sources: tuple[str, ...] | None = None,
               cache_dir: Path | str | None = None) -> dict[str, list[CleanDoc]]:
    """source name -> documents for a split; sources that yield nothing here (no apt lists, no man
    pages) are left out, and the split falls back to its bundled sources."""
    names = sources or split_sources(split)
    loaded = {name: docs for name in names if (docs := load_source(name, cache_dir))}
    if not loaded:
        fallback = BUNDLED.get(split, BUNDLED["train"])
        loaded = {name: docs for name in fallback if (docs := load_source(name, cache_dir))}
    if not loaded:
        raise RuntimeError(f"no clean-text source is available for split {split!r}")
    return loaded
