"""Corpus input and shard output, streamed: memory stays flat however large the corpus.

Inputs are JSONL (plain or compressed: .gz, .zst, .bz2, .xz), Parquet, or a saved Hugging Face
dataset directory, given as a file, a directory, or a glob; local, or remote through fsspec. JSONL is
read line by line here (not with `datasets`' json loader) so that one bad line is quarantined with its
line number instead of failing the whole file. Parquet is read by record batches, saved datasets are
memory-mapped with `datasets.load_from_disk`.

Outputs are written one file per shard, to a temporary name renamed into place on commit, so a reader
never sees half a shard.
"""

from __future__ import annotations

import base64
import datetime as _dt
import itertools
import json
import posixpath
import re
import uuid
from dataclasses import dataclass
from typing import Iterable, Iterator

import fsspec

from refine.document import Document

JSONL_EXTENSIONS = (".jsonl", ".json", ".ndjson")
PARQUET_EXTENSIONS = (".parquet", ".pq")
COMPRESSION_EXTENSIONS = (".gz", ".zst", ".zstd", ".bz2", ".xz")
RAW_PREVIEW_CHARS = 2_000  # a quarantined record keeps at most this much of its raw text
_GLOB_CHARS = re.compile(r"[*?\[]")


class InputError(ValueError):
    """An input path that cannot be read as a corpus; the message names the path and the fix."""


class OutputFull(OSError):
    """The device holding the output has no space (or quota) left; the run stops, and a rerun resumes."""


def is_disk_full(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, is "no space left" (ENOSPC) or "quota exceeded"."""
    import errno

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OutputFull) or (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)):
            return True
        if "No space left on device" in str(error):  # e.g. pyarrow's errors carry no errno
            return True
        error = error.__cause__ or error.__context__
    return False


@dataclass(frozen=True)
class Source:
    """One input file (or one split of a saved dataset).

    `key` names it stably relative to the input root, without extensions ("sample", "crawl/part-0",
    "my_ds/train"): generated ids and shard names are built from it, so reruns agree.
    """

    path: str  # what fsspec opens: a local path or a URL with its protocol
    format: str  # "jsonl" | "parquet" | "hf"
    key: str
    split: str | None = None  # saved DatasetDict split

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "key": self.key, "split": self.split}

    @classmethod
    def from_dict(cls, d: dict) -> "Source":
        return cls(path=d["path"], format=d["format"], key=d["key"], split=d.get("split"))


@dataclass(slots=True)
class RawRow:
    """A row as read, before it is checked: a dict, or the reason it is not one."""

    row: int  # 0-based position in its source (for JSONL: the line index)
    record: dict | None
    problem: str | None = None  # quarantine code: "not_json" | "not_object" | "not_utf8"
    detail: str | None = None
    raw: str | None = None


@dataclass(slots=True)
class Rejected:
    """A record that cannot be refined, with a machine code and a message for the quarantine."""

    row: int
    code: str
    message: str
    raw: str | None = None
    doc_id: str | None = None

    def to_row(self, source: Source) -> dict:
        return {"id": self.doc_id, "source": source.path, "row": self.row,
                "line": self.row + 1 if source.format == "jsonl" else None,
                "reason": self.code, "message": self.message, "raw": self.raw}


# --------------------------------------------------------------------------------------------------
# Finding the input files


def _strip_extensions(name: str) -> tuple[str, str | None]:
    """("a.jsonl.gz") -> ("a", "jsonl"); the format is None when the extension is not a corpus one."""
    lower = name.lower()
    for comp in COMPRESSION_EXTENSIONS:
        if lower.endswith(comp):
            name, lower = name[: -len(comp)], lower[: -len(comp)]
            break
    for ext in JSONL_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)], "jsonl"
    for ext in PARQUET_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)], "parquet"
    return name, None


def _is_saved_dataset(fs, path: str) -> bool:
    return fs.isfile(posixpath.join(path, "dataset_dict.json")) or (
        fs.isfile(posixpath.join(path, "state.json")) and fs.isfile(posixpath.join(path, "dataset_info.json")))


def _url(fs, path: str) -> str:
    return path if _is_local(fs) else fs.unstrip_protocol(path)


def _is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def _saved_dataset_sources(fs, path: str, key: str) -> list[Source]:
    dict_file = posixpath.join(path, "dataset_dict.json")
    if fs.isfile(dict_file):
        with fs.open(dict_file, "r") as f:
            splits = json.load(f).get("splits", [])
        return [Source(_url(fs, path), "hf", f"{key}/{split}", split) for split in splits]
    return [Source(_url(fs, path), "hf", key)]


def resolve_inputs(spec: str, storage_options: dict | None = None, exclude: str | None = None) -> list[Source]:
    """Every corpus file named by `spec` (a file, a directory or a glob), in a stable order.

    Nothing under `exclude` is read: a run's OUTPUT inside its INPUT directory must not become input."""
    try:
        fs, root = fsspec.core.url_to_fs(spec, **(storage_options or {}))
    except (ImportError, ValueError) as e:  # e.g. s3:// without s3fs
        raise InputError(f"cannot open {spec!r}: {e}") from e
    root = root.rstrip("/") or root
    sources = _resolve(fs, spec, root)
    if exclude is not None:
        skip = _fs_path(fs, exclude)
        if skip is not None:
            sources = [s for s in sources if not _under(_fs_path(fs, s.path) or s.path, skip)]
        if not sources:
            raise InputError(f"no JSONL or Parquet files in {spec!r} outside the output directory {exclude!r}")
    return sources


def _fs_path(fs, url: str) -> str | None:
    """`url` as a path of `fs`, or None when it belongs to another filesystem."""
    try:
        other, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError):
        return None
    if _is_local(other) != _is_local(fs) or (not _is_local(fs) and other.protocol != fs.protocol):
        return None
    return path.rstrip("/") or path


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _resolve(fs, spec: str, root: str) -> list[Source]:
    if _GLOB_CHARS.search(root):
        base = posixpath.dirname(_GLOB_CHARS.split(root, 1)[0])  # the directory above the first wildcard
        candidates = sorted(p for p in fs.glob(root) if not _hidden(posixpath.relpath(p, base)))
        if not candidates:
            raise InputError(f"no files match {spec!r}")
    elif fs.isdir(root):
        if _is_saved_dataset(fs, root):
            return _saved_dataset_sources(fs, root, posixpath.basename(root))
        base = root
        candidates = sorted(p for p in fs.find(root, withdirs=False) if not _hidden(posixpath.relpath(p, root)))
    elif fs.isfile(root):
        base = posixpath.dirname(root)
        candidates = [root]
    else:
        raise InputError(f"input not found: {spec!r} (give a JSONL/Parquet file, a directory, a glob, "
                         "or a saved Hugging Face dataset directory)")

    sources: list[Source] = []
    for path in candidates:
        rel = posixpath.relpath(path, base) if base else path
        if fs.isdir(path):
            if _is_saved_dataset(fs, path):
                sources.extend(_saved_dataset_sources(fs, path, rel))
            continue
        key, fmt = _strip_extensions(rel)
        if fmt is None:
            if len(candidates) == 1:
                raise InputError(f"unsupported input format: {spec!r} (expected .jsonl, .json, .ndjson, "
                                 f"optionally compressed {'/'.join(COMPRESSION_EXTENSIONS)}, or .parquet)")
            continue  # a README or a marker file next to the data
        sources.append(Source(_url(fs, path), fmt, key))
    if not sources:
        raise InputError(f"no JSONL or Parquet files in {spec!r}")
    return sources


def _hidden(rel: str) -> bool:
    return any(part.startswith((".", "_")) for part in rel.split("/"))


# --------------------------------------------------------------------------------------------------
# Reading rows


class SourceReader:
    """Reads row ranges of one source. Consecutive ranges continue one open stream (one pass per file)."""

    def __init__(self, source: Source, storage_options: dict | None = None):
        self.source = source
        self.storage_options = storage_options or {}
        self._stream = None  # JSONL: (next_row, line iterator, file object)
        self._dataset = None  # hf: the memory-mapped Dataset

    def count(self) -> int:
        fmt = self.source.format
        if fmt == "jsonl":
            return self._count_lines()
        if fmt == "parquet":
            import pyarrow.parquet as pq

            with fsspec.open(self.source.path, "rb", **self.storage_options) as f:
                return pq.ParquetFile(f).metadata.num_rows
        return len(self._hf())

    def rows(self, start: int, stop: int) -> Iterator[RawRow]:
        """Rows `start`..`stop` (exclusive), lazily."""
        if self.source.format == "jsonl":
            return self._jsonl_rows(start, stop)
        if self.source.format == "parquet":
            return self._parquet_rows(start, stop)
        return self._hf_rows(start, stop)

    def close(self) -> None:
        if self._stream is not None:
            self._stream[2].close()
            self._stream = None
        self._dataset = None

    # JSONL ----------------------------------------------------------------------------------------
    def _open_text(self):
        return fsspec.open(self.source.path, "rb", compression="infer", **self.storage_options).open()

    def _count_lines(self) -> int:
        n, last = 0, b"\n"
        with self._open_text() as f:
            while chunk := f.read(1 << 20):
                n += chunk.count(b"\n")
                last = chunk[-1:]
        return n + (last != b"\n")

    def _jsonl_rows(self, start: int, stop: int) -> Iterator[RawRow]:
        if self._stream is None or self._stream[0] > start:
            self.close()
            f = self._open_text()
            self._stream = (0, _iter_lines(f), f)
        row, lines, f = self._stream
        for _ in itertools.islice(lines, start - row):  # skip without parsing
            pass
        row = start
        try:
            for line in itertools.islice(lines, stop - start):
                row += 1  # counted before the yield: a consumer may stop at any row
                parsed = parse_jsonl_line(line, row - 1)
                if parsed is not None:
                    yield parsed
        finally:
            if self._stream is not None and self._stream[1] is lines:
                self._stream = (row, lines, f)

    # Parquet --------------------------------------------------------------------------------------
    def _parquet_rows(self, start: int, stop: int) -> Iterator[RawRow]:
        import pyarrow.parquet as pq

        with fsspec.open(self.source.path, "rb", **self.storage_options) as f:
            pf = pq.ParquetFile(f)
            offset = 0
            for rg in range(pf.metadata.num_row_groups):
                n = pf.metadata.row_group(rg).num_rows
                if offset + n <= start:
                    offset += n
                    continue
                if offset >= stop:
                    break
                for batch in pf.iter_batches(batch_size=1024, row_groups=[rg]):
                    for i, record in enumerate(batch.to_pylist()):
                        if start <= offset + i < stop:
                            yield RawRow(offset + i, record)
                    offset += batch.num_rows

    # Saved datasets -------------------------------------------------------------------------------
    def _hf(self):
        if self._dataset is None:
            import datasets

            loaded = datasets.load_from_disk(self.source.path, storage_options=self.storage_options or None)
            self._dataset = loaded[self.source.split] if self.source.split else loaded
        return self._dataset

    def _hf_rows(self, start: int, stop: int) -> Iterator[RawRow]:
        ds = self._hf()
        stop = min(stop, len(ds))
        for lo in range(start, stop, 1024):
            batch = ds[lo:min(lo + 1024, stop)]
            names = list(batch)
            for i in range(len(batch[names[0]]) if names else 0):
                yield RawRow(lo + i, {name: batch[name][i] for name in names})


def _iter_lines(f, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Lines of a binary stream, terminators kept; works on streams that are not line-iterable (zstd)."""
    pending = b""
    while chunk := f.read(chunk_size):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending


def parse_jsonl_line(line: bytes, row: int) -> RawRow | None:
    """One JSONL line as a RawRow; None for a blank line (not a record)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return RawRow(row, None, "not_utf8", f"line {row + 1} is not UTF-8: {e}",
                      line[:RAW_PREVIEW_CHARS].decode("utf-8", "replace"))
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        return RawRow(row, None, "not_json", f"line {row + 1} is not JSON: {e}", _preview(text.rstrip("\r\n")))
    if not isinstance(value, dict):
        return RawRow(row, None, "not_object",
                      f"line {row + 1} is JSON {type(value).__name__}, not an object", _preview(text.rstrip("\r\n")))
    return RawRow(row, value)


def _preview(text: str) -> str:
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…"


def generated_id(source: Source, row: int) -> str:
    """The id of a record that has none: stable across reruns and machines."""
    return f"{source.key}:{row}"


def to_document(raw: RawRow, source: Source, text_field: str = "text", id_field: str = "id") -> Document | Rejected:
    """A Document, or the reason this row goes to the quarantine."""
    if raw.record is None:
        return Rejected(raw.row, raw.problem or "unreadable", raw.detail or "unreadable row", raw.raw,
                        generated_id(source, raw.row))
    record = raw.record
    doc_id = record.get(id_field)
    doc_id = generated_id(source, raw.row) if doc_id is None or doc_id == "" else str(doc_id)
    if text_field not in record:
        fields = ", ".join(sorted(map(str, record))[:10]) or "none"
        return Rejected(raw.row, "missing_text",
                        f"no {text_field!r} field (fields: {fields}); choose the field with --text-field",
                        preview_record(record), doc_id)
    text = record[text_field]
    if not isinstance(text, str):
        return Rejected(raw.row, "text_not_string",
                        f"{text_field!r} is {type(text).__name__}, not a string", preview_record(record), doc_id)
    if not text.strip():
        return Rejected(raw.row, "empty_text", f"{text_field!r} is empty", preview_record(record), doc_id)
    fields = {k: v for k, v in record.items() if k != text_field}
    return Document(id=doc_id, text=text, fields=fields)


def preview_record(record: dict) -> str:
    return _preview(json.dumps(record, ensure_ascii=False, default=json_default))


# --------------------------------------------------------------------------------------------------
# Writing shards


def json_default(value):
    """JSON for the non-JSON values Parquet and Arrow records carry."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return str(value)


def dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, default=json_default)


class ShardWriter:
    """Rows of one shard into `<directory>/<name>.<fmt>`, visible only once `commit()` renames it in."""

    def __init__(self, fs, directory: str, name: str, fmt: str = "jsonl"):
        if fmt not in ("jsonl", "parquet"):
            raise ValueError(f"unknown output format {fmt!r} (jsonl or parquet)")
        self.fs, self.fmt = fs, fmt
        self.path = posixpath.join(directory, f"{name}.{fmt}")
        self.tmp_path = posixpath.join(directory, f".{name}.{fmt}.{_unique()}.tmp")
        fs.makedirs(directory, exist_ok=True)
        self._rows: list[dict] = []  # parquet only: a shard is written as one table
        self._file = fs.open(self.tmp_path, "wb") if fmt == "jsonl" else None
        self.count = 0

    def write(self, row: dict) -> None:
        self.count += 1
        if self._file is not None:
            self._file.write((dumps(row) + "\n").encode("utf-8"))
        else:
            self._rows.append(row)

    def commit(self) -> None:
        if self._file is not None:
            self._file.close()
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(self._rows)
            with self.fs.open(self.tmp_path, "wb") as f:
                pq.write_table(table, f)
            self._rows = []
        self.fs.mv(self.tmp_path, self.path)

    def abort(self) -> None:
        """Remove the temp file, whatever state it is in (closing it may fail again on a full disk)."""
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError:
                pass
        self._rows = []
        _remove_quietly(self.fs, self.tmp_path)


def _unique() -> str:
    """A temporary name's own part: two writers of one file (a rerun racing a dying worker) never share
    a temporary file, so the last rename wins with a whole file."""
    return uuid.uuid4().hex[:12]


def _remove_quietly(fs, path: str) -> None:
    try:
        if fs.exists(path):
            fs.rm(path)
    except OSError:
        pass


def write_bytes_atomic(fs, path: str, data: bytes) -> None:
    """`data` at `path`, whole or not at all: a temp file renamed into place, removed if writing fails."""
    write_chunks_atomic(fs, path, (data,))


def write_chunks_atomic(fs, path: str, chunks: Iterable[bytes]) -> None:
    """`write_bytes_atomic` for a file too large to hold in memory: the chunks are streamed into the temp file."""
    tmp = posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.{_unique()}.tmp")
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    try:
        with fs.open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        fs.mv(tmp, path)
    except BaseException:
        _remove_quietly(fs, tmp)
        raise


def write_json_atomic(fs, path: str, value) -> None:
    write_bytes_atomic(fs, path, json.dumps(value, ensure_ascii=False, indent=1, default=json_default).encode("utf-8"))


def modes_from_umask(path: str) -> None:
    """Give the files (and folders) under local `path` the modes the umask asks for (0644 and 0755 under
    022). Some writers (safetensors' `save_file`) create files 0600, which nobody else sharing a model
    directory can read."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    for root, dirs, files in os.walk(path):
        os.chmod(root, 0o777 & ~umask)
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, 0o666 & ~umask)


def read_jsonl_dir(fs, directory: str) -> Iterator[dict]:
    """Every row of the JSONL (or Parquet) files of an output directory, in file-name order."""
    if not fs.isdir(directory):
        return
    for path in sorted(fs.find(directory, withdirs=False)):
        name = posixpath.basename(path)
        if name.startswith("."):
            continue
        if name.endswith(".jsonl"):
            with fs.open(path, "rb") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line)
        elif name.endswith(".parquet"):
            import pyarrow.parquet as pq

            with fs.open(path, "rb") as f:
                for batch in pq.ParquetFile(f).iter_batches(batch_size=1024):
                    yield from batch.to_pylist()
