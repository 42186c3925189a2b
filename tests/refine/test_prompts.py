"""Prompt formats: ProX's exactly (golden strings, and Llama-2-chat's own template), numbering, overrides."""

from __future__ import annotations

import json

import pytest

from refine.prompts import (
    INSTRUCTIONS,
    PROX,
    REFINEX,
    Instruction,
    load_instruction,
    load_prompts,
    prompts_from_options,
)
from refine.options import RunOptions

# meta-llama/Llama-2-7b-chat-hf's chat template, which ProX renders doc prompts with.
LLAMA2_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)


def test_chunk_prompt_is_proxs():
    numbered = "\n".join(PROX.number_line(i, body) for i, body in enumerate(["Home | About", "Real text."]))
    assert PROX.chunk_messages(numbered) == (
        {"role": "system", "content": "You are a helpful, respectful and honest assistant."},
        {"role": "user", "content": "[doc]\n[000]Home | About\n[001]Real text.\n[/doc]"},
    )


def test_doc_prompt_is_llama2_inst_format():
    assert PROX.doc_prompt("Some page.\nSecond line.\n\n", bos="<s>") == (
        "<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant.\n<</SYS>>\n\n"
        "Some page.\nSecond line. [/INST]"
    )


@pytest.mark.parametrize("text", ["One line.", "  indented\nand trailing  \n\n", "a\r\nb\r\n"])
def test_doc_prompt_matches_llama2_chat_template(text):
    """What ProX renders with Llama-2-7b-chat-hf's template, for the same system message and text."""
    jinja2 = pytest.importorskip("jinja2")
    template = jinja2.Environment().from_string(LLAMA2_CHAT_TEMPLATE)
    rendered = template.render(messages=list(PROX.doc_messages(text)), bos_token="<s>", eos_token="</s>",
                               raise_exception=lambda msg: pytest.fail(msg))
    assert PROX.doc_prompt(text, bos="<s>") == rendered


def test_numbering_width_grows_past_999_and_keeps_document_numbers():
    assert PROX.number_line(0, "a") == "[000]a"
    assert PROX.number_line(42, "x") == "[042]x"
    assert PROX.number_line(999, "z") == "[999]z"
    assert PROX.number_line(1000, "y") == "[1000]y"
    assert PROX.number_line(12345, "") == "[12345]"


def test_refinex_numbers_from_one_with_a_space_and_uses_chat_doc_prompts():
    assert REFINEX.number_line(0, "first") == "[1] first"
    assert REFINEX.number_line(9, "tenth") == "[10] tenth"
    assert REFINEX.dialect == "refinex"
    with pytest.raises(ValueError, match="chat messages"):
        REFINEX.doc_prompt("text")
    assert REFINEX.doc_messages("text")[1] == {"role": "user", "content": "text"}


def test_yaml_file_overrides_fields_of_its_base(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('base: refinex\nsystem: "Be terse."\nstop: ["\\n\\n"]\nchunk_user: "<doc>\\n{chunk}\\n</doc>"\n')
    prompts = load_prompts(path)
    assert prompts.line_format == REFINEX.line_format and prompts.dialect == "refinex"
    assert prompts.stop == ("\n\n",)
    assert prompts.chunk_messages("[1] x") == (
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "<doc>\n[1] x\n</doc>"},
    )


def test_json_file_and_options(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"line_format": "<{n}>{line}", "doc_format": None}))
    prompts = prompts_from_options(RunOptions(prompts_file=str(path)))
    assert prompts.number_line(3, "t") == "<3>t" and prompts.doc_format is None
    assert prompts_from_options(RunOptions(dialect="refinex")) == REFINEX
    assert prompts_from_options(RunOptions()) == PROX


@pytest.mark.parametrize("content, message", [
    ('{"chunk_user": "no placeholder"}', "must contain {chunk}"),
    ('{"line_format": "[{n}]{line.upper}"}', "may use only"),
    ('{"rewrite_user": "{instruction} {text} {extra}"}', "may use only"),
    ('{"chunk_user": "{chunk"}', "not a valid format string"),
    ('{"sytem": "typo"}', "unknown fields"),
    ('{"base": "nope"}', "no built-in prompt set"),
    ('["not", "a", "mapping"]', "must hold a mapping"),
])
def test_bad_prompt_files_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_prompts(path)


def test_missing_prompt_file():
    with pytest.raises(FileNotFoundError):
        load_prompts("/nonexistent/prompts.yaml")


def test_builtin_instructions_say_what_matters():
    assert set(INSTRUCTIONS) == {"pii", "detox", "clean"}
    assert "[REDACTED]" in INSTRUCTIONS["pii"].text and "Never" in INSTRUCTIONS["pii"].text
    assert "verbatim" in INSTRUCTIONS["clean"].text
    assert load_instruction("pii") is INSTRUCTIONS["pii"]


def test_instruction_files(tmp_path):
    plain = tmp_path / "formal.txt"
    plain.write_text("Rewrite in a formal register.\n")
    assert load_instruction(str(plain)) == Instruction("formal", "Rewrite in a formal register.")
    spec = tmp_path / "strict.yaml"
    spec.write_text("instruction: Remove ads.\nbase: clean\nguards:\n  max_ratio: 1.0\n")
    assert load_instruction(str(spec)) == Instruction("strict", "Remove ads.", "clean", {"max_ratio": 1.0})


@pytest.mark.parametrize("content, message", [
    ("base: clean\n", "non-empty 'instruction'"),
    ("instruction: x\nbase: nope\n", "base 'nope'"),
    ("instruction: x\ncolour: red\n", "unknown"),
])
def test_bad_instruction_files(tmp_path, content, message):
    path = tmp_path / "i.yaml"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_instruction(str(path))


def test_unknown_instruction_names_the_builtins():
    with pytest.raises(ValueError, match="clean, detox, pii"):
        load_instruction("summarize")


def test_rewrite_messages_append_the_retry_note():
    first = PROX.rewrite_messages("Remove ads.", "text here")
    assert first[1]["content"].startswith("Remove ads.") and first[1]["content"].endswith("[text]\ntext here\n[/text]")
    retry = PROX.rewrite_messages("Remove ads.", "text here", failures="length_ratio was 2.0")
    assert retry[1]["content"].startswith(first[1]["content"])
    assert "length_ratio was 2.0" in retry[1]["content"]
