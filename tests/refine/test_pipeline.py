"""The pipeline end to end with a fake refiner and the real interpreter: outputs, quarantine, resume, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import snapshot, write_jsonl
from fake_refiner import FakeRefiner, make_corpus

from programs.ops import Policy
from refine.executors import LocalExecutor
from refine.outdir import RunConfigError, run_info
from refine.pipeline import Pipeline, PipelineConfig, apply_refinement
from refine.shards import plan_shards
from refine.document import Document
from refine.io import Source
from refine.refiners.base import Refinement, ScopedProgram
from refine.stats import Stats

RECORD = run_info("run", "corpus", {"mode": "fake"})


def rows(directory: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(directory.glob("*.jsonl")) for line in p.read_text().splitlines()]


def run_local(config: PipelineConfig, corpus, out, record: dict, refiner):
    """Plan and run in this process, as `refine run` does with the local executor."""
    pipeline = Pipeline(config)
    return LocalExecutor().run(pipeline, pipeline.prepare(str(corpus), str(out), record), refiner)


def run(corpus, out, refiner=None, **cfg):
    config = PipelineConfig(shard_size=cfg.pop("shard_size", 10), batch_size=cfg.pop("batch_size", 4), **cfg)
    return run_local(config, corpus, out, RECORD, refiner or FakeRefiner())


def test_end_to_end_outputs_audit_and_stats(tmp_path):
    records = make_corpus(30)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    result = run(corpus, tmp_path / "out")
    assert result.ok and result.shards == 3 and result.done_before == 0

    data = rows(tmp_path / "out" / "data")
    audit = rows(tmp_path / "out" / "programs")
    spam = {r["id"] for r in records if "BUY NOW" in r["text"]}
    cookies = {r["id"] for r in records if "cookies" in r["text"]} - spam
    assert [a["id"] for a in audit] == [r["id"] for r in records]  # one audit row per document, in order
    assert {d["id"] for d in data} == {r["id"] for r in records} - spam
    for d in data:
        assert "cookie" not in d["text"].lower()
        assert d["url"].startswith("https://") and d["refine"]["id"] == d["id"] and d["refine"]["kept"]
    dropped = next(a for a in audit if a["id"] in spam)
    assert dropped["outcome"] == "dropped" and dropped["drop_reason"] == "drop_doc"
    edited = next(a for a in audit if a["id"] in cookies)
    assert edited["effects"]["ops"]["remove_lines"] == 1 and edited["programs"][1]["stage"] == "chunk"
    assert edited["source"] == {"file": str(corpus), "row": records.index(next(r for r in records if r["id"] == edited["id"]))}

    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["docs_in"] == 30 and stats["docs_dropped"] == len(spam)
    assert stats["docs_kept"] == 30 - len(spam) and stats["docs_changed"] == len(cookies)
    assert stats["drop_reasons"] == {"drop_doc": len(spam)}
    assert stats["ops"]["remove_lines"] == len(cookies) and stats["ops"]["keep_doc"] == 30 - len(spam)
    assert stats["shards"] == {"total": 3, "done": 3, "failed": 0, "resumed": 0}
    assert stats["chars_out"] < stats["chars_in"] and stats["prompt_tokens"] > 0
    assert sorted(p.name for p in (tmp_path / "out" / "_done").glob("*.json")) == [f"c-0000{i}.json" for i in range(3)]


def test_each_kind_of_bad_record_is_quarantined_and_the_run_goes_on(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "good", "text": "fine text"}, "{broken json", "[1, 2]", {"id": "no-text"},
        {"id": "int", "text": 5}, {"id": "empty", "text": ""}, {"id": "good2", "text": "more"}])
    result = run(corpus, tmp_path / "out")
    assert result.ok
    q = rows(tmp_path / "out" / "quarantine")
    assert [(r["line"], r["reason"]) for r in q] == [(2, "not_json"), (3, "not_object"), (4, "missing_text"),
                                                     (5, "text_not_string"), (6, "empty_text")]
    assert q[0]["raw"] == "{broken json" and q[0]["source"] == str(corpus)
    assert [d["id"] for d in rows(tmp_path / "out" / "data")] == ["good", "good2"]
    assert result.stats["docs_quarantined"] == 5 and result.stats["quarantine/not_json"] == 1


def test_output_is_deterministic_and_resume_redoes_only_unfinished_shards(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(40))
    run(corpus, tmp_path / "ref")
    out = tmp_path / "out"
    run(corpus, out)
    assert snapshot(out) == snapshot(tmp_path / "ref")

    # Simulate a kill inside shard 2: its marker is gone, its data half-written, a temp file left over.
    (out / "_done" / "c-00002.json").unlink()
    (out / "data" / "c-00002.jsonl").write_text('{"id": "partial"}\n')
    (out / "programs" / ".c-00002.jsonl.tmp").write_text("junk")
    refiner = FakeRefiner()
    result = run(corpus, out, refiner)
    assert result.done_before == 3 and refiner.calls == 3  # only shard 2's 10 docs, in batches of 4
    assert snapshot(out) == snapshot(tmp_path / "ref")
    assert not list(out.rglob(".*.tmp"))
    assert json.loads((out / "stats.json").read_text())["docs_in"] == 40


def test_a_failing_document_fails_its_shard_only(tmp_path):
    records = make_corpus(30)
    records[14]["text"] += "\nFAILME"
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    out = tmp_path / "out"
    result = run(corpus, out, FakeRefiner(fail_on="FAILME"))
    assert not result.ok and [name for name, _ in result.failed] == ["c-00001"]
    assert "doc-0014" in result.failed[0][1] and "503" in result.failed[0][1]
    assert not (out / "_done" / "c-00001.json").exists() and not (out / "data" / "c-00001.jsonl").exists()
    assert (out / "_failed" / "c-00001.txt").exists()
    assert json.loads((out / "stats.json").read_text())["shards"]["failed"] == 1

    result = run(corpus, out)  # the backend is back: rerunning finishes the failed shard
    assert result.ok and result.done_before == 2
    assert sorted(d["id"] for d in rows(out / "programs")) == sorted(r["id"] for r in records)
    assert not (out / "_failed" / "c-00001.txt").exists()


def test_run_config_guards_the_output_directory(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(5))
    out = tmp_path / "out"
    config = PipelineConfig()
    run_local(config, corpus, out, RECORD, FakeRefiner())
    other = run_info("run", "corpus", {"mode": "rules"})
    with pytest.raises(RunConfigError, match="mode"):
        run_local(config, corpus, out, other, FakeRefiner())
    runtime_only = run_info("run", "corpus", {"mode": "fake", "concurrency": 99})
    run_local(config, corpus, out, runtime_only, FakeRefiner())  # runtime settings may change
    run_local(PipelineConfig(force=True), corpus, out, other, FakeRefiner())
    assert json.loads((out / "run.json").read_text())["config"]["mode"] == "rules"

    (out / "data" / "stale.jsonl").write_text("x\n")
    run_local(PipelineConfig(resume=False), corpus, out, RECORD, FakeRefiner())
    assert not (out / "data" / "stale.jsonl").exists()

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(RunConfigError, match="not a refine output directory"):
        run_local(PipelineConfig(resume=False), corpus, tmp_path / "mine", RECORD, FakeRefiner())
    assert (tmp_path / "mine" / "thesis.tex").exists()


def test_limit_and_shards_across_files(tmp_path):
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", make_corpus(7, seed=1))
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"text": "no id here"}] * 5)
    result = run(tmp_path / "in", tmp_path / "out", shard_size=3, limit=10)
    assert result.shards == 4  # a: 3+3+1, b: 3 (the limit cuts b at 3 rows)
    ids = [a["id"] for a in rows(tmp_path / "out" / "programs")]
    assert len(ids) == 10 and ids[-3:] == ["b:0", "b:1", "b:2"]


def test_parquet_output(tmp_path):
    import pyarrow.parquet as pq

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(12))
    run(corpus, tmp_path / "out", output_format="parquet")
    table = pq.read_table(tmp_path / "out" / "data")
    assert table.num_rows == sum(1 for r in make_corpus(12) if "BUY NOW" not in r["text"])
    assert "refine" in table.column_names


def test_plan_shards_names_ranges_and_limit():
    a, b = Source("a.jsonl", "jsonl", "a"), Source("x/a.parquet", "parquet", "a")
    shards = plan_shards([a, b], [5, 2], shard_size=2)
    assert [(s.name, s.start, s.stop) for s in shards] == [
        ("a-00000", 0, 2), ("a-00001", 2, 4), ("a-00002", 4, 5), ("a-1-00000", 0, 2)]
    assert [s.stop for s in plan_shards([a, b], [5, 2], 10, limit=6)] == [5, 1]


def test_apply_refinement_rewrites_programs_and_parse_errors():
    doc = Document("d", "one\ntwo\nthree\n")
    result, _ = apply_refinement(doc, Refinement("d", rewrite="one\nthree\n"), "prox", Policy())
    assert result.kept and result.outcome == "applied" and result.text == "one\nthree\n"
    result, _ = apply_refinement(doc, Refinement("d", rewrite="  "), "prox", Policy())
    assert not result.kept and result.drop_reason == "empty"
    refinement = Refinement("d", programs=[ScopedProgram("remove_lines(line_start=1, line_end=1)", (0, 2)),
                                           ScopedProgram("remove_lines(", (0, 2))])
    result, parsed = apply_refinement(doc, refinement, "prox", Policy())
    assert result.text == "one\nthree\n" and [e.code for e in result.errors] == ["syntax"]
    result, _ = apply_refinement(doc, refinement, "prox", Policy(on_error="keep_original", max_errors=1))
    assert result.outcome == "reverted" and result.text == doc.text


def test_stats_merge_and_round_trip():
    a, b = Stats(), Stats()
    a.update("docs_in", 2)
    a.update("ops/remove_lines")
    b.update("ops/remove_lines", 2)
    b.update("errors/not_found")
    merged = Stats.merged([a, b])
    assert merged["ops/remove_lines"] == 3 and merged.group("errors") == {"not_found": 1}
    assert Stats.from_dict(merged.to_dict()) == merged


class CorpusAware(FakeRefiner):
    """Needs a first pass over the whole corpus before refining (like rules with linefreq=auto)."""

    needs_prepare = True

    def prepare(self, docs):
        self.seen = [d.id for d in docs]
        self.needs_prepare = False


def test_corpus_aware_refiners_see_the_whole_planned_corpus_first(tmp_path):
    records = make_corpus(12)
    corpus = write_jsonl(tmp_path / "c.jsonl", records[:6] + ["{bad"] + records[6:])
    run(corpus, tmp_path / "out", limit=10)
    (tmp_path / "out" / "_done" / "c-00000.json").unlink()
    refiner = CorpusAware()
    run(corpus, tmp_path / "out", refiner, limit=10)  # resumed: still counts over every planned row
    assert refiner.seen == [r["id"] for r in records[:9]]


def test_summary_names_the_refiners_own_reason_for_a_drop():
    from programs.ops import ApplyResult
    from refine.pipeline import _drop_reason
    from refine.refiners.base import Refinement

    dropped = ApplyResult(text="", kept=False, outcome="dropped", drop_reason="drop_doc")
    assert _drop_reason(dropped, Refinement("d", audit={"drop_reason": "gopher_stop_words"})) == \
        "drop_doc (gopher_stop_words)"
    assert _drop_reason(dropped, Refinement("d")) == "drop_doc"
    emptied = ApplyResult(text="", kept=False, outcome="dropped", drop_reason="empty")
    assert _drop_reason(emptied, Refinement("d", audit={"drop_reason": "x"})) == "empty"


def test_refiner_chooses_its_batch_size_unless_the_run_sets_one(tmp_path):
    class Recording(FakeRefiner):
        batch_size = 7

        def __init__(self):
            super().__init__()
            self.sizes: list[int] = []

        def refine(self, docs):
            self.sizes.append(len(docs))
            return super().refine(docs)

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(20))
    own = Recording()
    run_local(PipelineConfig(shard_size=100), corpus, tmp_path / "a", RECORD, own)
    assert own.sizes == [7, 7, 6]
    told = Recording()
    run_local(PipelineConfig(shard_size=100, batch_size=5), corpus, tmp_path / "b", RECORD, told)
    assert told.sizes == [5, 5, 5, 5]
    assert rows(tmp_path / "a" / "data") == rows(tmp_path / "b" / "data")
