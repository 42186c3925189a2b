"""The labels expert: per-line content labels (realweb's format) become ProX doc and chunk rows."""

from __future__ import annotations

import gzip
import json

from typer.testing import CliRunner

from programs.apply import apply
from programs.parse import parse
from refine.annotate.dataset import Prompter, Stats
from refine.annotate.labels import annotate_labels, line_labels
from refine.document import Document

ARTICLE = ("The committee met on Tuesday to discuss the new budget for the regional rail network, which has "
           "been delayed twice since the spring because of rising costs and a shortage of engineers.")


def page(id: str = "p1", source: str = "dragnet", body: int = 3) -> dict:
    lines = ["Home | News | Sport", "Log in"] + [f"{ARTICLE} Part {i}." for i in range(body)] + ["© 2024 Example"]
    return {"id": id, "source": source, "text": "\n".join(lines), "content": [0, 0] + [1] * body + [0]}


def doc(record: dict) -> Document:
    return Document(record["id"], record["text"], {k: v for k, v in record.items() if k not in ("id", "text")})


def test_boilerplate_lines_become_remove_lines_and_the_program_keeps_the_content():
    stats = Stats()
    rows = list(annotate_labels([doc(page())], stats))
    doc_row, *chunk_rows = rows
    assert doc_row["stage"] == "doc" and doc_row["program"] == "keep_doc()" and doc_row["source"] == "dragnet"
    assert doc_row["labels"] == [1, 1, 0, 0, 0, 1]
    assert [r["program"] for r in chunk_rows] == ["remove_lines(line_start=0, line_end=1)\n"
                                                  "remove_lines(line_start=5, line_end=5)"]
    assert chunk_rows[0]["prompt"].startswith("[doc]\n[000]Home | News | Sport\n[001]Log in\n[002]The committee")
    kept = apply(doc_row["text"], parse(chunk_rows[0]["program"], scope=tuple(chunk_rows[0]["scope"]))).text
    assert kept.splitlines() == page()["text"].splitlines()[2:5]
    assert stats.docs == {"keep": 1}


def test_chunks_follow_the_prompters_budget():
    rows = list(annotate_labels([doc(page(body=30))], Stats(), Prompter(chunk_tokens=200)))
    scopes = [tuple(r["scope"]) for r in rows if r["stage"] == "chunk"]
    assert len(scopes) > 1 and scopes[0][0] == 0 and scopes[-1][1] == 32
    assert all(a[1] + 1 == b[0] for a, b in zip(scopes, scopes[1:]))


def test_a_page_with_almost_no_content_is_a_doc_level_drop():
    record = page(body=1)
    rows = list(annotate_labels([doc(record)], Stats(), min_content_words=50))
    assert [r["stage"] for r in rows] == ["doc"] and rows[0]["program"] == "drop_doc()"
    assert rows[0]["doc_label"] == 1 and rows[0]["content_words"] < 50
    assert [r["program"] for r in annotate_labels([doc(record)], Stats(), min_content_words=10)][0] == "keep_doc()"


def test_unusable_labels_are_rejected_with_the_record_and_reason():
    bad = [doc({"id": "a", "text": "x\ny"}), doc({"id": "b", "text": "x\ny", "content": [1]}),
           doc({"id": "c", "text": "x\ny", "content": [1, 2]}), doc({"id": "d", "text": "x\ny\n", "content": [1, 1, 1]})]
    stats, problems = Stats(), []
    rows = list(annotate_labels(bad, stats, problems=problems))
    assert [r["doc_id"] for r in rows if r["stage"] == "doc"] == ["d"]  # text.split("\n")'s empty last piece
    assert problems == ["record 'a': no 'content' field with per-line labels (choose it with --label-field)",
                        "record 'b': 'content' has 1 labels for 2 lines",
                        "record 'c': 'content' must be a list of 0/1 labels, one per line"]
    assert stats.rejected == {"labels_unusable": 3}
    assert line_labels(bad[3]) == [1, 1]


def test_annotate_cli_reads_labelled_pages_and_filters_sources(tmp_path):
    from cli.main import app

    pages = tmp_path / "pages.jsonl.gz"
    with gzip.open(pages, "wt", encoding="utf-8") as f:
        for record in (page("a", "dragnet"), page("b", "l3s-gn1"), page("c", "readability", body=1)):
            f.write(json.dumps(record) + "\n")
    out = tmp_path / "ann"
    result = CliRunner().invoke(app, ["annotate", str(pages), str(out), "--expert", "labels",
                                      "--sources", "dragnet,readability"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {"a", "c"}
    assert {r["doc_id"]: r["program"] for r in rows if r["stage"] == "doc"} == {"a": "keep_doc()", "c": "drop_doc()"}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["expert"] == "labels" and stats["docs"] == {"keep": 1, "drop": 1}

    from refine.train.generative import load_documents

    docs = {d.id: d for d in load_documents(out)}  # what `refine train` reads back
    assert docs["c"].drop and not docs["a"].drop and docs["a"].programs

    result = CliRunner().invoke(app, ["annotate", str(pages), str(tmp_path / "none"), "--expert", "labels",
                                      "--label-field", "gold"])
    assert result.exit_code != 0 and "'gold'" in result.output
