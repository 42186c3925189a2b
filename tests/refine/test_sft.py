"""Fine-tuning a generative refiner: examples, loss masking, training, checkpoints and resume, and the
trained directory running through `refine train` / `refine run` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from programs.ops import Normalize, Program, RemoveLines, RemoveStr
from programs.render import render
from refine.annotate.dataset import Stats, write_dataset
from refine.annotate.synthetic import generate_synthetic, synthetic_rows
from refine.backends.transformers_backend import TransformersBackend
from refine.train import data, generative, models, sft

torch.set_num_threads(1)

CHUNK_TOKENS, DOC_TOKENS, MAX_LENGTH = 96, 64, 320


@pytest.fixture(scope="module")
def annotations(tmp_path_factory) -> Path:
    """12 synthetic pages: some kept with boilerplate to remove, some junk to drop; 2 marked held out."""
    out = tmp_path_factory.mktemp("annotations")
    stats = Stats()
    rows = list(synthetic_rows(generate_synthetic(12, seed=5, split="train"), stats))
    for row in rows:  # hold out two documents, as `--split all` marks them
        row["split"] = "heldout" if row["doc_id"] in {rows[0]["doc_id"], rows[-1]["doc_id"]} else "train"
    return write_dataset(rows, out, stats)


@pytest.fixture(scope="module")
def start(annotations, tmp_path_factory):
    """(docs, a fresh tiny model and tokenizer trained on them, the request builder)."""
    docs = generative.load_documents(annotations)
    path = models.build_from_config("tiny", generative.tokenizer_texts(docs), tmp_path_factory.mktemp("start"))
    return docs, path


def test_documents_and_heldout_split(annotations):
    docs = generative.load_documents(annotations)
    assert len(docs) == 12 and any(d.drop for d in docs) and any(d.programs for d in docs)
    train, held = data.split_heldout(docs, 0.5)
    assert len(held) == 2 and all(d.split == "heldout" for d in held) and len(train) == 10
    unmarked = [data.GoldDoc(f"d{i}", "x\n", False) for i in range(200)]
    train, held = data.split_heldout(unmarked, 0.25, seed=1)
    assert 30 < len(held) < 70 and {d.id for d in train}.isdisjoint(d.id for d in held)
    assert data.split_heldout(unmarked, 0.25, seed=1) == (train, held)  # deterministic


def test_rechunked_gold_keeps_the_edits_inside_the_scope():
    text = "".join(f"line {i} x\n" for i in range(10))
    doc = data.GoldDoc("d", text, False, (
        Program((RemoveLines(3, 4),), (0, 4)),
        Program((RemoveStr(8, "x"), RemoveLines(5, 6)), (5, 9)),
    ))
    assert data.gold_chunk_program(doc, (2, 7)) == Program((RemoveLines(3, 6),), (2, 7))
    assert render(data.gold_chunk_program(doc, (7, 9))) == 'remove_str(line=8, del_str="x")'
    assert render(data.gold_chunk_program(doc, (0, 2))) == "keep_chunk()"
    spread = data.GoldDoc("n", text, False, (Program((Normalize("x", "y"),), (0, 4)),))
    assert data.gold_chunk_program(spread, (0, 4)) is not None
    assert data.gold_chunk_program(spread, (3, 6)) is None  # the normalize would reach lines 5-6


def test_examples_are_the_backends_prompts_with_loss_on_the_program_only(start):
    docs, path = start
    backend = TransformersBackend(str(path), device="cpu")
    tokenizer = backend.tokenizer
    builder = data.request_builder(tokenizer, CHUNK_TOKENS, DOC_TOKENS)
    samples, _ = data.make_samples(docs, builder)
    stages = {s.stage for s in samples}
    assert stages == {"doc", "chunk"}
    assert sum(s.stage == "doc" for s in samples) == len(docs)
    for sample in samples[:3] + samples[-3:]:
        ids = backend.prompt_ids(sample.request)
        assert data.prompt_ids(tokenizer, sample.request) == ids
        example = data.encode(sample, tokenizer, 10_000)
        n = len(ids)
        assert example["input_ids"][:n] == ids and example["labels"][:n] == [data.IGNORE] * n
        assert example["labels"][n:] == example["input_ids"][n:]
        assert example["input_ids"][-1] == tokenizer.eos_token_id
        assert tokenizer.decode(example["input_ids"][n:-1]) == sample.target
    assert data.encode(samples[0], tokenizer, 10) is None  # too long
    batch = sft.collate([data.encode(s, tokenizer, 10_000) for s in samples[:4]], tokenizer.pad_token_id)
    padded = batch["attention_mask"] == 0
    assert (batch["labels"][padded] == data.IGNORE).all()


def _examples(start, n: int = 16):
    docs, path = start
    lm, tokenizer = models.load(path)
    builder = data.request_builder(tokenizer, CHUNK_TOKENS, DOC_TOKENS)
    samples, _ = data.make_samples(docs, builder)
    examples, _ = data.encode_all(samples, tokenizer, MAX_LENGTH)
    return lm, tokenizer, examples[:n]


def test_loss_falls(start, tmp_path):
    lm, tokenizer, examples = _examples(start)
    config = sft.SFTConfig(lr=3e-3, batch_size=8, max_steps=24, save_steps=100, log_steps=4, warmup_ratio=0.0)
    result = sft.train(lm, tokenizer, examples, config, tmp_path)
    first, last = result.losses[0][1], result.losses[-1][1]
    assert result.steps == 24 and last < 0.5 * first, result.losses
    assert result.loss_tokens < result.train_tokens


def test_resume_continues_from_the_saved_step(start, tmp_path):
    config = sft.SFTConfig(lr=1e-3, batch_size=4, max_steps=4, save_steps=2, log_steps=1)
    lm, tokenizer, examples = _examples(start, 12)
    straight = sft.train(lm, tokenizer, examples, config, tmp_path / "straight")
    weights = {k: v.clone() for k, v in lm.state_dict().items()}

    lm, tokenizer, examples = _examples(start, 12)
    cut = sft.SFTConfig(**{**config.__dict__, "max_minutes": 0.0})  # stops (and saves) after its first step
    first = sft.train(lm, tokenizer, examples, cut, tmp_path / "resumed")
    assert (first.steps, first.stopped) == (1, "max_minutes")
    assert sft.latest_checkpoint(tmp_path / "resumed").name == "step-1"

    lm, tokenizer, examples = _examples(start, 12)  # a fresh process would start from the same weights
    resumed = sft.train(lm, tokenizer, examples, config, tmp_path / "resumed", resume=True)
    assert (resumed.start_step, resumed.steps, resumed.stopped) == (1, 4, "done")
    assert [s for s, _ in resumed.losses] == [1, 2, 3, 4]
    assert [v for _, v in resumed.losses[1:]] == pytest.approx([v for _, v in straight.losses[1:]], rel=1e-4)
    for name, value in lm.state_dict().items():
        torch.testing.assert_close(value, weights[name], rtol=1e-4, atol=1e-5)
    assert sft.latest_checkpoint(tmp_path / "resumed").name == "step-4"


def test_lora_trains_adapters_only_and_saves_a_plain_model(start, tmp_path):
    lm, tokenizer, examples = _examples(start, 8)
    frozen = {k: v.clone() for k, v in lm.state_dict().items()}
    lm = models.add_lora(lm, r=4, alpha=8, targets=("q_proj", "v_proj"))
    total, trainable = models.count_parameters(lm)
    assert 0 < trainable < total / 10
    sft.train(lm, tokenizer, examples, sft.SFTConfig(lr=1e-2, batch_size=4, max_steps=2, save_steps=10), tmp_path)
    ids = torch.tensor([examples[0]["input_ids"]])
    with torch.no_grad():
        expected = lm(input_ids=ids).logits
    sft.save_model(lm, tokenizer, tmp_path / "out")
    saved, _ = models.load(tmp_path / "out")
    assert set(saved.state_dict()) == set(frozen)  # merged: no adapter weights left
    with torch.no_grad():
        torch.testing.assert_close(saved(input_ids=ids).logits, expected, rtol=1e-4, atol=1e-4)
    assert not torch.equal(saved.state_dict()["model.layers.0.self_attn.q_proj.weight"],
                           frozen["model.layers.0.self_attn.q_proj.weight"])


def test_train_then_run_through_the_cli(annotations, tmp_path):
    from cli.main import app

    runner = CliRunner()
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(annotations), str(out), "--kind", "generative", "--from-config", "tiny",
                                 "--max-steps", "3", "--save-steps", "2", "--lr", "3e-3", "--max-length", str(MAX_LENGTH),
                                 "--chunk-tokens", str(CHUNK_TOKENS), "--doc-tokens", str(DOC_TOKENS),
                                 "--eval-limit", "1", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "train.json").read_text())
    assert record["steps"] == 3 and record["inference"]["chunk_tokens"] == CHUNK_TOKENS
    report = json.loads((out / "eval.json").read_text())
    assert report["constrained"]["validity"]["all"] == 1.0  # the grammar admits only programs
    assert report["unconstrained"]["documents"] == report["constrained"]["documents"] == 1
    assert (out / "config.json").is_file() and (out / "chat_template.jinja").is_file()

    corpus = tmp_path / "corpus.jsonl"
    docs = generative.load_documents(annotations)[:3]
    corpus.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in docs))
    refined = tmp_path / "refined"
    result = runner.invoke(app, ["run", str(corpus), str(refined), "--mode", "programs", "--model", str(out),
                                 "--device", "cpu", "--set", f"chunk_tokens={CHUNK_TOKENS}",
                                 "--set", f"doc_tokens={DOC_TOKENS}", "--set", "max_new_tokens=48"])
    assert result.exit_code == 0, result.output
    audit = [json.loads(line) for f in sorted((refined / "programs").glob("*")) for line in f.read_text().splitlines()]
    assert len(audit) == 3 and all(row.get("programs") for row in audit)

    scored = tmp_path / "scored.json"
    result = runner.invoke(app, ["eval", "refiner", str(out), str(annotations), "--no-constrained", "--limit", "2",
                                 "--split", "heldout", "--device", "cpu", "--output", str(scored)])
    assert result.exit_code == 0, result.output
    report = json.loads(scored.read_text())
    assert set(report) == {"settings", "unconstrained"} and report["unconstrained"]["documents"] == 2
    assert report["settings"]["chunk_tokens"] == CHUNK_TOKENS  # read from the model's train.json
