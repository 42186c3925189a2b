"""The transformers backend on a tiny random model: batching, stops, chat, grammar constraints."""

from __future__ import annotations

import time

import lark
import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from refine.backends.base import BackendError, Grammar, Request
from refine.backends.transformers_backend import TransformersBackend, cut_at_stop
from refine.tiny import build_tiny_causal_lm

PROMPTS = [
    "hello",
    "The quick brown fox jumps over the lazy dog",
    "a",
    "[doc]\n[000]Welcome to our website\n[001]Share on Facebook\n[/doc]",
    "Researchers refine",
]

DOC_GRAMMAR = 'start: "keep_doc()" | "drop_doc()"'
# A finite chunk-program grammar (at most three operations), so every output ends within the budget.
CHUNK_GRAMMAR = r"""
start: op | op "\n" op | op "\n" op "\n" op
op: "keep_chunk()"
  | "remove_lines(line_start=" INT ", line_end=" INT ")"
  | "remove_str(line=" INT ", del_str=" STRING ")"
INT: /[0-9]{1,2}/
STRING: /"[a-z ]{1,8}"/
"""


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    b = TransformersBackend(str(tiny_model_dir), device="cpu", batch_size=8)
    yield b
    b.close()


def test_tiny_model_builds_fast_and_loads_with_auto_classes(tiny_model_dir, tmp_path):
    start = time.perf_counter()  # after the fixture's build, so one-time imports are not counted
    path = build_tiny_causal_lm(tmp_path / "m", ["some text to learn merges from"] * 4, seed=3)
    assert time.perf_counter() - start < 3.0
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    assert tokenizer.padding_side == "left"
    assert model.config.vocab_size == len(tokenizer)
    chat = tokenizer.apply_chat_template(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
        tokenize=False, add_generation_prompt=True,
    )
    assert chat == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"


def test_batched_greedy_equals_one_by_one(backend):
    requests = [Request(prompt=p, max_new_tokens=12) for p in PROMPTS]
    batched = backend.generate(requests)
    single = [backend.generate([r])[0] for r in requests]
    assert [c.text for c in batched] == [c.text for c in single]
    assert len({c.text for c in batched}) == len(PROMPTS)  # the model does not answer everything alike
    for prompt, completion in zip(PROMPTS, batched):
        assert completion.prompt_tokens == len(backend.tokenizer(prompt)["input_ids"])
        assert 0 < completion.completion_tokens <= 12
        if completion.finish_reason == "length":
            assert completion.completion_tokens == 12
        else:  # the random model may emit an end-of-sequence token
            assert completion.finish_reason == "stop"
    assert "length" in {c.finish_reason for c in batched}


def test_order_is_kept_and_budgets_are_per_request(backend):
    requests = [Request(prompt=p, max_new_tokens=n) for p, n in zip(PROMPTS, [3, 9, 1, 5, 7])]
    out = backend.generate(requests)
    for completion, budget in zip(out, [3, 9, 1, 5, 7]):
        assert completion.completion_tokens == budget or completion.finish_reason == "stop"
        assert completion.completion_tokens <= budget
    again = backend.generate([requests[3]])[0]
    assert out[3].text == again.text


def test_sampled_and_greedy_requests_share_a_call(backend):
    greedy = [Request(prompt=p, max_new_tokens=6) for p in PROMPTS[:3]]
    sampled = [Request(prompt=p, max_new_tokens=6, temperature=1.0, top_p=0.9) for p in PROMPTS[:3]]
    mixed = backend.generate([greedy[0], sampled[0], greedy[1], sampled[1], greedy[2], sampled[2]])
    alone = backend.generate(greedy)
    assert [c.text for c in mixed[::2]] == [c.text for c in alone]
    assert all(0 < c.completion_tokens <= 6 for c in mixed[1::2])


def test_stop_strings_cut_the_completion(backend):
    free = backend.generate([Request(prompt=PROMPTS[1], max_new_tokens=16)])[0]
    stop = free.text[4:6]
    assert len(stop) == 2
    stopped = backend.generate([Request(prompt=PROMPTS[1], max_new_tokens=16, stop=(stop,))])[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.find(stop)]
    assert stopped.completion_tokens < free.completion_tokens


def test_cut_at_stop_takes_the_earliest():
    assert cut_at_stop("abc\nSTOPdef", ("def", "\n")) == "abc"
    assert cut_at_stop("abc", ("x",)) == "abc"


def test_chat_messages_use_the_chat_template(backend):
    messages = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"})
    chat = backend.generate([Request(messages=messages, max_new_tokens=6)])[0]
    rendered = backend.tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                     add_generation_prompt=True)
    as_prompt = backend.generate([Request(prompt=rendered, max_new_tokens=6)])[0]
    assert chat.text == as_prompt.text
    assert chat.prompt_tokens == len(backend.tokenizer(rendered)["input_ids"])


def test_constrained_doc_stage_yields_only_grammar_strings(backend):
    unconstrained = backend.generate([Request(prompt=p, max_new_tokens=10) for p in PROMPTS])
    assert not {c.text for c in unconstrained} & {"keep_doc()", "drop_doc()"}
    grammar = Grammar("lark", DOC_GRAMMAR)
    out = backend.generate([Request(prompt=p, max_new_tokens=20, grammar=grammar) for p in PROMPTS])
    assert all(c.text in {"keep_doc()", "drop_doc()"} for c in out), [c.text for c in out]
    assert all(c.finish_reason == "stop" for c in out)


def test_constrained_chunk_programs_parse_and_free_rows_stay_free(backend):
    grammar = Grammar("lark", CHUNK_GRAMMAR)
    parser = lark.Lark(CHUNK_GRAMMAR)
    requests = [Request(prompt=p, max_new_tokens=160, grammar=grammar) for p in PROMPTS]
    requests.append(Request(prompt=PROMPTS[0], max_new_tokens=8))  # unconstrained, same batch
    out = backend.generate(requests)
    for completion in out[:-1]:
        parser.parse(completion.text)  # raises on any output outside the grammar
        assert completion.finish_reason == "stop"
    assert len({c.text for c in out[:-1]}) > 1
    assert out[-1].text == backend.generate([requests[-1]])[0].text


def test_regex_constraint(backend):
    grammar = Grammar("regex", r"remove_lines\(line_start=[0-9], line_end=[0-9]\)")
    out = backend.generate([Request(prompt=p, max_new_tokens=40, grammar=grammar) for p in PROMPTS[:3]])
    for completion in out:
        assert completion.text.startswith("remove_lines(line_start=")
        assert len(completion.text) == len("remove_lines(line_start=0, line_end=0)")


@pytest.mark.parametrize("kind", ["lark", "ebnf", "regex"])
def test_program_grammars_constrain_the_doc_stage(backend, kind):
    from programs.grammar import decoding_grammar
    from programs.parse import try_parse
    from programs.ops import Program

    grammar = decoding_grammar("doc", kind)
    out = backend.generate([Request(prompt=p, max_new_tokens=20, grammar=grammar) for p in PROMPTS])
    assert all(isinstance(try_parse(c.text), Program) for c in out), [c.text for c in out]


def test_program_grammar_chunk_stage_yields_programs_when_finished(backend):
    from programs.grammar import decoding_grammar
    from programs.parse import try_parse
    from programs.ops import Program

    grammar = decoding_grammar("chunk", "lark")
    out = backend.generate([Request(prompt=p, max_new_tokens=60, grammar=grammar) for p in PROMPTS])
    finished = [c for c in out if c.finish_reason == "stop"]
    assert finished  # a random model also wanders into long strings and hits the token budget
    for completion in finished:
        result = try_parse(completion.text)
        # The one thing the grammar cannot say: remove_lines with line_start > line_end.
        assert isinstance(result, Program) or result.code == "bad_argument", (completion.text, result)


def test_invalid_grammar_names_the_error(backend):
    with pytest.raises(ValueError, match="invalid lark grammar"):
        backend.generate([Request(prompt="x", grammar=Grammar("lark", "start: undefined_rule"))])


def test_missing_model_is_a_backend_error(tmp_path):
    with pytest.raises(BackendError, match="cannot load model"):
        TransformersBackend(str(tmp_path / "nowhere"))
