"""The program refiner with a scripted backend: stages, drop_doc skipping, batching, errors, audit."""

from __future__ import annotations


import pytest

from refine.backends.base import Completion
from refine.chunking import ApproxTokenizer, TRUNCATION_MARKER
from refine.document import Document
from refine.prompts import PROX, REFINEX
from refine.refiners.base import ScopedProgram
from refine.refiners.programs import ProgramRefiner

from fake_backend import FakeBackend, prompt_text

TOK = ApproxTokenizer()

PAGE = Document("page", "Home | News | Login\nThe river rose three metres.\nIt flooded the valley.\nShare on Facebook\n")
SPAM = Document("spam", "BUY NOW cheap pills\nBUY NOW\n")
NEWS = Document("news", "Rain fell all week.\nFarmers worried.\n")

RULES = [
    ("BUY NOW", "drop_doc()"),                     # doc stage answer for the spam page
    ("[000]Home | News", "remove_lines(line_start=0, line_end=0)"),
    ("[003]Share on Facebook", 'remove_str(line=3, del_str="Share on Facebook")'),
    ("[INST]", "keep_doc()"),                      # any other doc-stage prompt
]


def refiner(backend, **kw) -> ProgramRefiner:
    kw.setdefault("constrained", False)
    return ProgramRefiner(backend, TOK, **kw)


def test_chunk_stage_only_sends_proxs_numbered_chunks():
    backend = FakeBackend(RULES)
    refs = refiner(backend, stages=("chunk",), chunk_tokens=12).refine([PAGE])
    (requests,) = backend.calls
    assert [r.messages[1]["content"].split("\n")[1] for r in requests] == [
        "[000]Home | News | Login", "[001]The river rose three metres.", "[002]It flooded the valley.",
        "[003]Share on Facebook"]
    assert all(r.messages[0]["content"] == PROX.system and r.max_new_tokens == 256 for r in requests)
    assert all(r.grammar is None for r in requests)
    assert [(p.text, p.scope, p.stage) for p in refs[0].programs] == [
        ("remove_lines(line_start=0, line_end=0)", (0, 0), "chunk"),
        ("keep_chunk()", (1, 1), "chunk"),
        ("keep_chunk()", (2, 2), "chunk"),
        ('remove_str(line=3, del_str="Share on Facebook")', (3, 3), "chunk"),
    ]
    assert refs[0].audit["stages"] == ["chunk"] and "doc" not in refs[0].audit
    assert [row["scope"] for row in refs[0].audit["chunks"]] == [[0, 0], [1, 1], [2, 2], [3, 3]]


def test_doc_stage_only():
    backend = FakeBackend(RULES)
    refs = refiner(backend, stages=("doc",)).refine([PAGE, SPAM])
    (requests,) = backend.calls
    assert requests[0].prompt == PROX.doc_prompt(PAGE.text) and requests[0].max_new_tokens == 16
    assert [r.programs for r in refs] == [[ScopedProgram("keep_doc()", None, "doc")],
                                          [ScopedProgram("drop_doc()", None, "doc")]]
    assert refs[0].audit["doc"] == {"output": "keep_doc()", "finish_reason": "stop", "prompt_truncated": False}


def test_both_stages_batch_each_stage_into_one_call_and_drop_doc_skips_chunks():
    pytest.importorskip("programs.parse")
    backend = FakeBackend(RULES)
    refs = refiner(backend, chunk_tokens=1500).refine([PAGE, SPAM, NEWS])
    doc_call, chunk_call = backend.calls
    assert len(doc_call) == 3 and all(r.prompt.startswith("[INST] <<SYS>>") for r in doc_call)
    assert [prompt_text(r).count("[000]") for r in chunk_call] == [1, 1]  # PAGE and NEWS, one chunk each
    assert "BUY NOW" not in "".join(prompt_text(r) for r in chunk_call)
    page, spam, news = refs
    assert [p.stage for p in page.programs] == ["doc", "chunk"] and page.programs[1].scope == (0, 3)
    assert spam.programs == [ScopedProgram("drop_doc()", None, "doc")]
    assert spam.audit["chunk_stage_skipped"] == "drop_doc" and "chunks" not in spam.audit
    assert news.programs[1] == ScopedProgram("keep_chunk()", (0, 1), "chunk")


def test_unparseable_doc_output_does_not_skip_the_chunk_stage():
    pytest.importorskip("programs.parse")
    backend = FakeBackend([("[INST]", "drop the doc please"), ("[doc]", "keep_chunk()")])
    refs = refiner(backend).refine([NEWS])
    assert len(backend.calls) == 2
    assert [p.text for p in refs[0].programs] == ["drop the doc please", "keep_chunk()"]


def test_token_counts_are_summed():
    backend = FakeBackend([], default=Completion("keep_chunk()", prompt_tokens=10, completion_tokens=3))
    refs = refiner(backend, stages=("chunk",), chunk_tokens=12).refine([PAGE])
    assert (refs[0].prompt_tokens, refs[0].completion_tokens) == (40, 12)


def test_backend_error_becomes_the_documents_error():
    failing = Completion("", finish_reason="error", error="HTTP 503 after 5 retries")
    backend = FakeBackend([("Farmers", failing)])
    refs = refiner(backend, stages=("chunk",)).refine([PAGE, NEWS])
    assert refs[0].error is None and refs[0].programs
    assert refs[1].error == "chunk stage, lines 0-1: HTTP 503 after 5 retries" and refs[1].programs == []

    backend = FakeBackend([("Rain fell", failing)], default="keep_doc()")
    refs = refiner(backend).refine([PAGE, NEWS])
    assert refs[1].error == "doc stage: HTTP 503 after 5 retries"
    assert all("Rain fell" not in prompt_text(r) for r in backend.calls[-1])  # no chunk stage for it


def test_truncated_programs_and_oversized_lines_are_in_the_audit():
    long_line = " ".join(["word"] * 50)
    doc = Document("d", f"short\n{long_line}\nend")
    backend = FakeBackend([("word word", Completion("remove_lines(line_start=1, line_e", finish_reason="length"))])
    refs = refiner(backend, stages=("chunk",), chunk_tokens=20).refine([doc])
    audit = refs[0].audit
    assert audit["truncated_programs"] == 1 and audit["oversized_lines"] == [1]
    oversized = audit["chunks"][1]
    assert oversized["oversized"] and oversized["cut_tokens"] > 0 and oversized["finish_reason"] == "length"
    sent = prompt_text(backend.calls[0][1])
    assert TRUNCATION_MARKER in sent and sent.count("word") < 50


class BosTokenizer(ApproxTokenizer):
    """Adds one BOS id to raw prompts by default, as Llama's tokenizer does."""

    def __call__(self, texts, add_special_tokens=True, return_offsets_mapping=False):
        out = super().__call__(texts, add_special_tokens, return_offsets_mapping)
        if add_special_tokens:
            out["input_ids"] = [-1, *out["input_ids"]] if isinstance(texts, str) else [[-1, *i] for i in out["input_ids"]]
        return out


@pytest.mark.parametrize("tokenizer, room", [(TOK, 50), (BosTokenizer(), 49)])
def test_doc_prompt_is_cut_as_a_whole_to_the_token_budget(tokenizer, room):
    doc = Document("long", " ".join(f"w{i}" for i in range(500)))
    backend = FakeBackend([], default="keep_doc()")
    refs = ProgramRefiner(backend, tokenizer, stages=("doc",), doc_tokens=50, constrained=False).refine([doc, NEWS])
    long_prompt, short_prompt = (r.prompt for r in backend.calls[0])
    assert len(TOK(long_prompt)["input_ids"]) == room
    assert PROX.doc_prompt(doc.text).startswith(long_prompt) and not long_prompt.endswith("[/INST]")
    assert short_prompt == PROX.doc_prompt(NEWS.text)
    assert [r.audit["doc"]["prompt_truncated"] for r in refs] == [True, False]


def test_refinex_prompts_number_from_one_and_send_doc_prompts_as_chat():
    backend = FakeBackend([], default="keep_all()")
    ProgramRefiner(backend, TOK, prompts=REFINEX, constrained=False, dialect="refinex",
                   stages=("chunk",)).refine([NEWS])
    assert backend.calls[0][0].messages[1]["content"] == "[doc]\n[1] Rain fell all week.\n[2] Farmers worried.\n[/doc]"
    doc_request, truncated = ProgramRefiner(backend, TOK, prompts=REFINEX, constrained=False).doc_request("x y")
    assert doc_request.prompt is None and doc_request.messages[1]["content"] == "x y" and not truncated


def test_constrained_requests_carry_the_stage_grammars():
    grammar = pytest.importorskip("programs.grammar")
    backend = FakeBackend(RULES)
    r = ProgramRefiner(backend, TOK, stages=("doc", "chunk"), constrained=True)
    assert r.grammars == {"doc": grammar.decoding_grammar("doc", "lark"),
                          "chunk": grammar.decoding_grammar("chunk", "lark")}
    assert r.chunk_request("[000]x").grammar == r.grammars["chunk"]
    assert r.doc_request("x")[0].grammar == r.grammars["doc"]
    refinex = ProgramRefiner(backend, TOK, prompts=REFINEX, dialect="refinex", stages=("chunk",))
    assert refinex.grammars == {"chunk": grammar.decoding_grammar("chunk", "lark", "refinex")}


def test_grammar_kind_follows_what_the_backend_accepts():
    grammar = pytest.importorskip("programs.grammar")
    backend = FakeBackend([])
    backend.grammar_kinds = ("regex",)
    assert ProgramRefiner(backend, TOK).grammars["chunk"] == grammar.decoding_grammar("chunk", "regex")
    backend.grammar_kinds = ()
    assert ProgramRefiner(backend, TOK).grammars == {"doc": None, "chunk": None}


def test_empty_document_sends_no_chunk_request():
    backend = FakeBackend([])
    refs = refiner(backend, stages=("chunk",)).refine([Document("e", "")])
    assert backend.calls == [[]] and refs[0].programs == []


def test_bad_stages():
    with pytest.raises(ValueError, match="unknown stages"):
        refiner(FakeBackend([]), stages=("docs",))
    with pytest.raises(ValueError, match="at least one"):
        refiner(FakeBackend([]), stages=())


def test_close_closes_the_backend():
    backend = FakeBackend([])
    refiner(backend).close()
    assert backend.closed


def test_end_to_end_with_a_tiny_model_on_the_transformers_backend(tiny_model_dir):
    """`--mode programs` built from options: real tokenizer, chat template, batched generation."""
    from refine.options import RunOptions
    from refine.refiners import build_refiner

    opts = RunOptions(mode="programs", model=str(tiny_model_dir), backend="transformers", stages=("chunk",),
                      chunk_tokens=40, max_new_tokens=6, constrained=False, batch_size=8)
    refiner = build_refiner(opts)
    try:
        assert isinstance(refiner, ProgramRefiner)
        refs = refiner.refine([PAGE, NEWS])
    finally:
        refiner.close()
    for doc, ref in zip((PAGE, NEWS), refs):
        assert ref.error is None
        scopes = [p.scope for p in ref.programs]
        assert scopes[0][0] == 0 and scopes[-1][1] == len(doc.lines) - 1
        assert all(b[0] == a[1] + 1 for a, b in zip(scopes, scopes[1:]))
        assert 0 < ref.completion_tokens <= 6 * len(scopes) and ref.prompt_tokens > 0
        assert all(row["finish_reason"] in ("stop", "length") for row in ref.audit["chunks"])


def test_constrained_tiny_model_writes_only_parseable_programs(tiny_model_dir):
    """With the grammar, even a random model's every doc and chunk program parses."""
    from programs.ops import ProgramError
    from programs.parse import try_parse
    from refine.options import RunOptions
    from refine.refiners import build_refiner

    opts = RunOptions(mode="programs", model=str(tiny_model_dir), backend="transformers", chunk_tokens=40,
                      max_new_tokens=24, constrained=True, batch_size=8)
    refiner = build_refiner(opts)
    try:
        refs = refiner.refine([PAGE, NEWS])
    finally:
        refiner.close()
    finished = 0
    for ref in refs:
        assert ref.error is None and ref.programs[0].stage == "doc"
        rows = [ref.audit["doc"], *ref.audit.get("chunks", [])]
        assert len(rows) == len(ref.programs)
        for program, row in zip(ref.programs, rows):
            if row["finish_reason"] == "length":
                continue  # a program the token budget cut short is the one output allowed not to parse
            finished += 1
            parsed = try_parse(program.text, scope=program.scope)
            assert not isinstance(parsed, ProgramError), (program.text, parsed)
    assert finished >= 3
