"""Corpus reading: every input format, stable ids, bad rows as values, and streaming in flat memory."""

from __future__ import annotations

import bz2
import gzip
import json
import tracemalloc
import types

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from refine.document import Document
from refine.io import (InputError, Rejected, ShardWriter, SourceReader, read_jsonl_dir, resolve_inputs,
                       to_document)

RECORDS = [{"id": f"d{i}", "text": f"line one of {i}\nline two", "url": f"https://x.test/{i}"} for i in range(5)]


def _jsonl_bytes(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def _documents(spec: str, **kw) -> list[Document]:
    out = []
    for source in resolve_inputs(spec):
        reader = SourceReader(source)
        out += [to_document(raw, source, **kw) for raw in reader.rows(0, reader.count())]
        reader.close()
    return out


@pytest.mark.parametrize("name, compress", [
    ("c.jsonl", lambda b: b),
    ("c.jsonl.gz", gzip.compress),
    ("c.jsonl.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("c.jsonl.bz2", bz2.compress),
    ("c.ndjson", lambda b: b),
])
def test_jsonl_plain_and_compressed(tmp_path, name, compress):
    (tmp_path / name).write_bytes(compress(_jsonl_bytes(RECORDS)))
    docs = _documents(str(tmp_path / name))
    assert [d.id for d in docs] == [r["id"] for r in RECORDS]
    assert docs[2].text == RECORDS[2]["text"] and docs[2].fields == {"id": "d2", "url": "https://x.test/2"}


def test_parquet_across_row_groups(tmp_path):
    pq.write_table(pa.Table.from_pylist(RECORDS), tmp_path / "c.parquet", row_group_size=2)
    (source,) = resolve_inputs(str(tmp_path / "c.parquet"))
    reader = SourceReader(source)
    assert reader.count() == 5
    assert [r.record["id"] for r in reader.rows(1, 4)] == ["d1", "d2", "d3"]


def test_saved_dataset_dir_and_dataset_dict(tmp_path):
    import datasets

    ds = datasets.Dataset.from_list(RECORDS)
    ds.save_to_disk(str(tmp_path / "single"))
    assert [d.id for d in _documents(str(tmp_path / "single"))] == [r["id"] for r in RECORDS]
    datasets.DatasetDict({"train": ds, "test": ds.select(range(2))}).save_to_disk(str(tmp_path / "dd"))
    sources = resolve_inputs(str(tmp_path / "dd"))
    assert sorted(s.key for s in sources) == ["dd/test", "dd/train"]
    assert len(_documents(str(tmp_path / "dd"))) == 7


def test_directory_and_glob(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.jsonl").write_bytes(_jsonl_bytes(RECORDS[:2]))
    (tmp_path / "sub" / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl_bytes(RECORDS[2:])))
    (tmp_path / "README.md").write_text("not data")
    (tmp_path / "_done").mkdir()
    (tmp_path / "_done" / "x.jsonl").write_bytes(_jsonl_bytes(RECORDS))  # underscore dirs are not input
    assert [s.key for s in resolve_inputs(str(tmp_path))] == ["a", "sub/b"]
    assert [s.key for s in resolve_inputs(str(tmp_path / "*.jsonl"))] == ["a"]
    assert [s.key for s in resolve_inputs(str(tmp_path / "**" / "*.jsonl*"))] == ["a", "sub/b"]
    assert len(_documents(str(tmp_path))) == 5


def test_missing_and_unsupported_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        resolve_inputs(str(tmp_path / "nope.jsonl"))
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="unsupported"):
        resolve_inputs(str(tmp_path / "x.csv"))
    with pytest.raises(InputError, match="no files match"):
        resolve_inputs(str(tmp_path / "*.parquet"))


def test_generated_ids_are_stable_and_name_file_and_row(tmp_path):
    (tmp_path / "crawl.jsonl.gz").write_bytes(gzip.compress(_jsonl_bytes([{"text": "a"}, {"text": "b"}])))
    first = [d.id for d in _documents(str(tmp_path / "crawl.jsonl.gz"))]
    assert first == ["crawl:0", "crawl:1"] == [d.id for d in _documents(str(tmp_path / "crawl.jsonl.gz"))]
    (tmp_path / "ids.jsonl").write_bytes(_jsonl_bytes([{"doc": 7, "text": "a"}]))
    assert _documents(str(tmp_path / "ids.jsonl"), id_field="doc")[0].id == "7"


def test_bad_rows_become_rejections_with_reasons(tmp_path):
    lines = [b'{"id": "ok", "text": "fine"}', b"{not json", b"[1, 2]", b'{"id": "n"}', b'{"text": 3}',
             b'{"text": "  "}', b"\xff\xfe", b"", b'{"body": "x"}']
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    out = _documents(str(tmp_path / "bad.jsonl"))
    assert isinstance(out[0], Document)
    rejected = {r.row: r.code for r in out if isinstance(r, Rejected)}
    assert rejected == {1: "not_json", 2: "not_object", 3: "missing_text", 4: "text_not_string",
                        5: "empty_text", 6: "not_utf8", 8: "missing_text"}  # line 7 is blank: no record
    out2 = _documents(str(tmp_path / "bad.jsonl"), text_field="body")
    assert isinstance(out2[-1], Document) and out2[-1].text == "x"


def test_consecutive_ranges_continue_one_stream_and_restart_when_needed(tmp_path):
    (tmp_path / "c.jsonl").write_bytes(_jsonl_bytes(RECORDS))
    (source,) = resolve_inputs(str(tmp_path / "c.jsonl"))
    reader = SourceReader(source)
    first = reader.rows(0, 2)
    assert isinstance(first, types.GeneratorType)
    assert next(first).row == 0
    first.close()  # stopped early: the next range must not skip or repeat a row
    assert [r.row for r in reader.rows(1, 3)] == [1, 2]
    assert [r.row for r in reader.rows(4, 9)] == [4]
    assert [r.row for r in reader.rows(0, 1)] == [0]  # backwards: reopened
    reader.close()


def test_reading_streams_in_flat_memory(tmp_path):
    text = "word " * 200
    path = tmp_path / "big.jsonl"
    with path.open("w") as f:
        for i in range(20_000):
            f.write(json.dumps({"id": i, "text": text}) + "\n")
    assert path.stat().st_size > 20_000_000
    (source,) = resolve_inputs(str(path))
    reader = SourceReader(source)
    tracemalloc.start()
    n = sum(1 for raw in reader.rows(0, reader.count()) if isinstance(to_document(raw, source), Document))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    reader.close()
    assert n == 20_000
    assert peak < 8_000_000, f"peak {peak} bytes for a 20 MB file: rows are being materialised"


def test_shard_writer_is_invisible_until_commit(tmp_path):
    import fsspec

    fs = fsspec.filesystem("file")
    writer = ShardWriter(fs, str(tmp_path / "data"), "s-00000")
    writer.write({"id": "a", "text": "é"})
    assert not (tmp_path / "data" / "s-00000.jsonl").exists()
    writer.commit()
    assert list(read_jsonl_dir(fs, str(tmp_path / "data"))) == [{"id": "a", "text": "é"}]
    aborted = ShardWriter(fs, str(tmp_path / "data"), "s-00001", "parquet")
    aborted.write({"id": "b"})
    aborted.abort()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["s-00000.jsonl"]
