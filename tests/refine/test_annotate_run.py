"""`refine annotate` over a corpus (`refine.annotate.run`): shards that resume after a kill without asking
the backend again, bad rows quarantined with their reason, rows streamed as they are made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refine.annotate.run import AnnotateError, AnnotateOptions, annotate
from refine.backends.base import BackendError, Request

from fake_backend import FakeBackend, prompt_text
from helpers import write_jsonl


def page(i: int) -> dict:
    return {"id": f"d{i}", "source": "dragnet" if i % 2 == 0 else "l3s",
            "text": f"Home | News | Contact\nLentils number {i} need no soaking.\nThey cook in {i} minutes. Share\n"
                    "© 2024 Site\n",
            "content": [0, 1, 1, 0]}


def expert_backend(fail_on: str | None = None) -> FakeBackend:
    """Keeps every page and removes its menu line; raises BackendError (the server went away) on the first
    request that mentions `fail_on`."""
    def judge(request: Request) -> str:
        if fail_on is not None and fail_on in prompt_text(request):
            raise BackendError("connection refused")
        return "Score: 4\nReason: content\nProgram: keep_doc()"

    return FakeBackend([("Judge whether", judge),
                        ("Task: remove navigation", "remove_lines(line_start=0, line_end=0)")])


def asked_about(backend: FakeBackend) -> set[str]:
    """The pages (by their number) the backend was asked anything about."""
    return {text.split("Lentils number ")[1].split()[0] for batch in backend.calls for r in batch
            if "Lentils number " in (text := prompt_text(r))}


def options(corpus: Path, out: Path, **kw) -> AnnotateOptions:
    return AnnotateOptions(**{"expert": "programs", "input": str(corpus), "output": str(out), "shard_size": 2,
                              "model": "fake", **kw})


def dataset(out: Path) -> tuple[bytes, bytes]:
    return (out / "train.jsonl").read_bytes(), (out / "stats.json").read_bytes()


def test_a_model_expert_run_that_died_resumes_without_asking_for_finished_shards(tmp_path):
    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(i) for i in range(6)])
    reference = tmp_path / "uninterrupted"
    annotate(options(corpus, reference), make_backend=expert_backend)

    out = tmp_path / "out"
    with pytest.raises(AnnotateError, match="backend failed: connection refused; rerun"):
        annotate(options(corpus, out), make_backend=lambda: expert_backend(fail_on="Lentils number 2 "))
    assert sorted(p.name for p in (out / "_done").glob("*.json")) == ["pages-00000.json"]
    assert (out / "_failed" / "pages-00001.txt").exists()
    assert not (out / "train.jsonl").exists() and not (out / "stats.json").exists()  # a finished run's only

    backend = expert_backend()
    notes: list[str] = []
    result = annotate(options(corpus, out), note=notes.append, make_backend=lambda: backend)
    assert result.resumed == 1 and result.shards == 3 and notes == ["resuming: 1 of 3 shards already done"]
    assert asked_about(backend) == {"2", "3", "4", "5"}  # pages 0 and 1 were the finished shard's
    assert dataset(out) == dataset(reference)
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert [r["doc_id"] for r in rows if r["stage"] == "doc"] == [f"d{i}" for i in range(6)]
    assert json.loads((out / "stats.json").read_text())["docs_read"] == 6

    finished = expert_backend()
    annotate(options(corpus, out), make_backend=lambda: finished)  # everything done: no backend at all
    assert finished.calls == [] and dataset(out) == dataset(reference)
    whole = tmp_path / "one_shard"
    annotate(options(corpus, whole, shard_size=1000), make_backend=expert_backend)
    assert dataset(whole) == dataset(reference)  # the shard size changes no row


def test_the_command_interrupted_mid_run_resumes(tmp_path, monkeypatch):
    from cli.main import app
    from refine.annotate import run

    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(i) for i in range(5)])
    edited = "Lentils number {} need no soaking.\nThey cook in {} minutes.\n"

    class Interrupted(FakeBackend):
        def generate(self, requests):
            if any("Lentils number 2 " in prompt_text(r) for r in requests):
                raise KeyboardInterrupt  # Ctrl-C, or a SIGTERM, while the model works on the second shard
            return super().generate(requests)

    def edits(backend_class):
        return backend_class([(f"Lentils number {i} ", edited.format(i, i)) for i in range(5)])

    args = ["annotate", str(corpus), str(tmp_path / "out"), "--expert", "edits", "--model", "fake", "--shard-size", "2"]
    monkeypatch.setattr(run, "_build_backend", lambda opts: edits(Interrupted))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 130 and "rerun the same command to resume" in result.output
    assert not list((tmp_path / "out" / "data").glob(".*"))  # the interrupted shard's temp file is gone

    backend = edits(FakeBackend)
    monkeypatch.setattr(run, "_build_backend", lambda opts: backend)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "resuming: 1 of 3 shards already done" in result.output
    assert asked_about(backend) == {"2", "3", "4"}
    rows = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert [r["labels"] for r in rows if r["stage"] == "doc"] == [[1, 0, 0, 1]] * 5


def test_malformed_rows_are_quarantined_with_their_reason_and_counted(tmp_path):
    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(0), "{not json", {"id": "x", "body": "no text"}, page(1),
                                                    {"id": "e", "text": "  "}, page(2)])
    notes: list[str] = []
    result = annotate(AnnotateOptions("labels", str(corpus), str(tmp_path / "out"), min_content_words=1),
                      note=notes.append)
    quarantined = [json.loads(line) for line in (tmp_path / "out" / "quarantine" / "pages-00000.jsonl").open()]
    assert [(q["line"], q["reason"]) for q in quarantined] == [(2, "not_json"), (3, "missing_text"), (5, "empty_text")]
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["quarantined"] == {"not_json": 1, "missing_text": 1, "empty_text": 1} and stats["docs_read"] == 3
    assert result.stats.docs == {"keep": 3}
    assert notes[0].startswith(f"skipping row 1 of {corpus}: line 2 is not JSON") and len(notes) == 3


def test_n_counts_documents_to_annotate_not_rows(tmp_path):
    corpus = write_jsonl(tmp_path / "pages.jsonl", ["{broken", page(0), page(1), page(2), page(3), page(4)])
    out = tmp_path / "out"
    annotate(AnnotateOptions("labels", str(corpus), str(out), n=2, sources=("dragnet",), min_content_words=1,
                             shard_size=2))
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert [r["doc_id"] for r in rows if r["stage"] == "doc"] == ["d0", "d2"]  # the first two dragnet pages


def test_rows_are_written_as_they_are_made_not_after_the_corpus_is_read(tmp_path, monkeypatch):
    from refine import pipeline
    from refine.annotate import run

    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(i) for i in range(40)])
    read: list[int] = []
    to_document = pipeline.to_document
    monkeypatch.setattr(pipeline, "to_document", lambda raw, *a: read.append(raw.row) or to_document(raw, *a))
    read_when_written: list[int] = []

    class Recording(run.ShardWriter):
        def write(self, row):
            if "/data/" in self.path:
                read_when_written.append(len(read))
            super().write(row)

    monkeypatch.setattr(run, "ShardWriter", Recording)
    annotate(AnnotateOptions("labels", str(corpus), str(tmp_path / "out"), min_content_words=1))
    assert len(read) == 40 and read_when_written[0] == 1  # one shard of 40 pages: its first row came first
    assert read_when_written[-1] == 40


def test_an_earlier_annotate_output_without_shards_is_written_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.jsonl").write_text('{"old": 1}\n')
    (out / "stats.json").write_text("{}\n")
    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(0)])
    annotate(AnnotateOptions("labels", str(corpus), str(out), min_content_words=1))
    assert json.loads((out / "train.jsonl").read_text().splitlines()[0])["doc_id"] == "d0"

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(AnnotateError, match="not a refine output directory"):
        annotate(AnnotateOptions("labels", str(corpus), str(tmp_path / "mine")))


def test_a_changed_edits_file_is_another_run_not_a_resume(tmp_path):
    corpus = write_jsonl(tmp_path / "pages.jsonl", [page(i) for i in range(4)])
    edits = tmp_path / "edits.jsonl"
    write_jsonl(edits, [{"id": f"d{i}", "edited": f"Lentils number {i} need no soaking.\n"} for i in range(4)])
    out = tmp_path / "out"
    opts = AnnotateOptions("edits", str(corpus), str(out), shard_size=2, edits=str(edits))
    annotate(opts)
    recorded = json.loads((out / "run.json").read_text())
    assert len(recorded["config"]["edits_sha256"]) == 64
    annotate(opts)  # the same file: resumes, nothing to redo
    write_jsonl(edits, [{"id": f"d{i}", "edited": f"They cook in {i} minutes. Share\n"} for i in range(4)])
    with pytest.raises(AnnotateError, match="different configuration.*edits_sha256"):
        annotate(opts)
    annotate(AnnotateOptions("edits", str(corpus), str(out), shard_size=2, edits=str(edits), resume=False))
    assert "They cook in 0 minutes" in (out / "train.jsonl").read_text()
