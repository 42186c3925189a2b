"""How many documents each normalized line occurs in, per host and corpus-wide, in bounded memory.

Navigation, sidebars and footers repeat across the pages of a site; content rarely does. A first
streaming pass counts each line once per document into a count-min sketch (a fixed `depth x width`
array of counters, whatever the corpus size), so a refiner can ask "in how many documents of this host
does this line occur?" (CCNet removed repeated paragraphs the same way). A sketch may overestimate a
count when lines collide, never underestimate it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

import numpy as np

from refine.document import Document

HASH_NAME = "blake2b-8"  # recorded in saved files: a table is only meaningful with the hash that filled it
_FORMAT_VERSION = 1
_DIGITS = re.compile(r"\d+")
_FLUSH_EVERY = 1 << 16  # keys buffered before they are added to the table
#: Lines whose key hashes `add` keeps for `lookup` (16 bytes each: 32 MB at most); see `LineFrequency`.
REMEMBER_LINES = 1 << 21


def normalize_line(line: str) -> str:
    """Lowercased, digit runs collapsed to "0", whitespace squeezed: "Page 3 of 12" ~ "page 0 of 0"."""
    return " ".join(_DIGITS.sub("0", line.lower()).split())


def host_of(doc: Document, url_field: str = "url") -> str | None:
    """The record's host name (without "www."), or None when it carries no usable URL."""
    return url_host(doc.fields.get(url_field))


def url_host(url) -> str | None:
    """The host name of `url` (without "www."), or None when it is not a usable URL."""
    if not isinstance(url, str) or not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _key_hash(normalized: str, host: str | None) -> int:
    # Host-scoped keys live in the same table as corpus-wide ones; "\x00" cannot occur in a host name.
    key = normalized if host is None else host + "\x00" + normalized
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _line_keys(lines: list[str], host: str | None) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
    """Each line's corpus and (with a host) host key hash, 0 for a blank line, as uint64 arrays; and
    the hashes of the distinct normalized lines, corpus and host keys, in the order they come."""
    pairs: dict[str, tuple[int, int]] = {}
    distinct: list[int] = []
    per_line = []
    for norm in map(normalize_line, lines):
        if norm and norm not in pairs:
            pairs[norm] = _key_hash(norm, None), 0 if host is None else _key_hash(norm, host)
            distinct.extend(pairs[norm] if host is not None else pairs[norm][:1])
        per_line.append(pairs[norm] if norm else (0, 0))
    keys = np.array(per_line, np.uint64).reshape(len(lines), 2)
    return keys[:, 0], None if host is None else keys[:, 1], distinct


def _fingerprint(lines: list[str], host: str | None) -> tuple:
    """Which document `lines` are, for `LineFrequency`'s remembered hashes: the lines themselves
    (their count, and the joined text's hash and length), and the host they were counted under."""
    joined = "\n".join(lines)
    return host, len(lines), len(joined), hash(joined)


class LineFrequency:
    """A count-min sketch of line document frequencies (see the module docstring).

    Each line is counted under two keys: corpus-wide, and within its document's host when the record
    carries a URL. `frequency(line)` answers the first, `frequency(line, host)` the second.

    A refiner counts a corpus and then looks up the same documents' lines: `add` keeps each
    document's per-line key hashes (up to `REMEMBER_LINES` lines in all), so that `lookup` of the
    same lines and host reads them instead of normalizing and hashing every line again.
    """

    def __init__(self, width: int = 1 << 20, depth: int = 4, url_field: str = "url"):
        if width <= 0 or width & (width - 1):
            raise ValueError(f"linefreq width must be a power of two, got {width}")
        if not 1 <= depth <= 16:
            raise ValueError(f"linefreq depth must be between 1 and 16, got {depth}")
        self.width = width
        self.depth = depth
        self.url_field = url_field
        self.table = np.zeros((depth, width), dtype=np.uint32)
        self.documents = 0
        self._pending: list[int] = []
        # (host, lines' fingerprint) -> per-line corpus and host key hashes (0: a blank line)
        self._remembered: dict[tuple, tuple[np.ndarray, np.ndarray | None]] = {}
        self._remembered_lines = 0

    # -- counting -------------------------------------------------------------------------------
    def count(self, docs: Iterable[Document]) -> "LineFrequency":
        """One streaming pass over `docs`; returns self so `LineFrequency().count(docs)` reads well."""
        for doc in docs:
            self.add(doc.bodies, host_of(doc, self.url_field))
        self._flush()
        return self

    def add(self, lines: Iterable[str], host: str | None = None) -> None:
        """Count one document's lines (each distinct normalized line once; blank lines not at all)."""
        lines = list(lines)
        corpus_keys, host_keys, distinct = _line_keys(lines, host)
        self._pending.extend(distinct)
        if self._remembered_lines + len(lines) <= REMEMBER_LINES:
            self._remembered[_fingerprint(lines, host)] = corpus_keys, host_keys
            self._remembered_lines += len(lines)
        self.documents += 1
        if len(self._pending) >= _FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        hashes = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
        self._pending.clear()
        dense = len(hashes) * 16 >= self.width  # a count per cell of the row: ~10x faster than np.add.at
        for row, idx in enumerate(self._indices(hashes)):
            if dense:
                self.table[row] += np.bincount(idx, minlength=self.width).astype(np.uint32)
            else:
                np.add.at(self.table[row], idx, 1)

    def _indices(self, hashes: np.ndarray) -> np.ndarray:
        """Row indices by double hashing (Kirsch & Mitzenmacher): h1 + k*h2, one row per k."""
        h1 = hashes & np.uint64(0xFFFFFFFF)
        h2 = (hashes >> np.uint64(32)) | np.uint64(1)
        k = np.arange(self.depth, dtype=np.uint64)[:, None]
        return ((h1[None, :] + k * h2[None, :]) & np.uint64(self.width - 1)).astype(np.intp)

    # -- querying -------------------------------------------------------------------------------
    def frequency(self, line: str, host: str | None = None) -> int:
        """Documents containing `line` (within `host`, or corpus-wide when None); an upper bound."""
        return int(self.frequencies([line], host)[0])

    def frequencies(self, lines: list[str], host: str | None = None) -> np.ndarray:
        """`frequency` for many lines at once (one document's lines): blank lines get 0."""
        return self.lookup(lines, host)[0 if host is None else 1]

    def lookup(self, lines: list[str], host: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Corpus-wide and (when `host` is given) host frequencies of `lines`: the key hashes `add`
        kept for these lines and host, else computed, each distinct normalized line once."""
        self._flush()
        remembered = self._remembered.get(_fingerprint(lines, host)) if self._remembered else None
        corpus_keys, host_keys = remembered if remembered is not None else _line_keys(lines, host)[:2]
        where = np.flatnonzero(corpus_keys)
        corpus = self._estimate(corpus_keys[where], where, len(lines))
        in_host = None if host_keys is None else self._estimate(host_keys[where], where, len(lines))
        return corpus, in_host

    def _estimate(self, keys: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        if len(keys):
            idx = self._indices(keys)
            out[where] = self.table[np.arange(self.depth)[:, None], idx].min(axis=0)
        return out

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        self._flush()
        meta = {"version": _FORMAT_VERSION, "hash": HASH_NAME, "documents": self.documents,
                "url_field": self.url_field}
        with open(path, "wb") as f:  # a file object: np.savez would otherwise append ".npz" to the name
            np.savez_compressed(f, table=self.table, meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path: str | Path) -> "LineFrequency":
        try:
            with np.load(path, allow_pickle=False) as data:
                table = data["table"]
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as e:
            raise ValueError(f"{path}: not a line-frequency file written by LineFrequency.save ({e})") from e
        if meta.get("hash") != HASH_NAME or meta.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{path}: written with hash {meta.get('hash')!r}, format {meta.get('version')}; "
                             f"this version reads {HASH_NAME!r}, format {_FORMAT_VERSION}: recount the corpus")
        lf = cls(width=table.shape[1], depth=table.shape[0], url_field=meta.get("url_field", "url"))
        lf.table = table.astype(np.uint32, copy=False)
        lf.documents = int(meta.get("documents", 0))
        return lf


class LineFrequencyOption:
    """A refiner's `--set linefreq=` option, resolved: no table (None, "off"), a table counted by a
    first pass over the input ("auto": `pending` until `count` has run; the pipeline's `prepare`
    hook calls it with the whole input), a saved table's path, or a table already built."""

    def __init__(self, spec: "LineFrequency | str | None", width: int = 1 << 20, depth: int = 4):
        self.width, self.depth = width, depth
        self.auto = spec == "auto"
        if spec in (None, "off", "none"):
            spec = None
        elif isinstance(spec, str) and not self.auto:
            spec = LineFrequency.load(spec)
        self.table: LineFrequency | None = None if self.auto else spec

    @property
    def pending(self) -> bool:
        return self.auto and self.table is None

    def count(self, docs: Iterable[Document]) -> None:
        if self.auto:
            self.table = LineFrequency(self.width, self.depth).count(docs)


class CountsLines:
    """A refiner's first-pass hooks (`needs_prepare`, `prepare`) for a line-frequency option kept in
    `self._linefreq`; mixed in before `Refiner`, so its hooks replace the base class's no-ops."""

    _linefreq: LineFrequencyOption

    @property
    def linefreq(self) -> LineFrequency | None:
        return self._linefreq.table

    @property
    def needs_prepare(self) -> bool:
        """True while `linefreq=auto` waits for its first pass over the corpus (`prepare`)."""
        return self._linefreq.pending

    def prepare(self, docs: Iterable[Document]) -> None:
        """The first pass: count each line's documents over the whole input, per host and overall."""
        self._linefreq.count(docs)
