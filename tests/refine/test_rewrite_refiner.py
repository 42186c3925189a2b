"""The rewrite refiner with a scripted backend: guards, one retry, and each fallback policy."""

from __future__ import annotations

import re

import pytest

from refine.backends.base import Completion
from refine.chunking import ApproxTokenizer
from refine.document import Document
from refine.guards import SPECS
from refine.prompts import INSTRUCTIONS
from refine.refiners.base import ScopedProgram
from refine.refiners.programs import ProgramRefiner
from refine.refiners.rewrite import RewriteRefiner, clean_output

from fake_backend import FakeBackend, prompt_text

TOK = ApproxTokenizer()
PAGE = Document("page", "Home | News | Login\nThe river rose three metres overnight.\nShare on Facebook\n")


def source_of(request) -> str:
    return re.search(r"\[text\]\n(.*)\n\[/text\]", request.messages[1]["content"], re.S).group(1)


def is_retry(request) -> bool:
    return "was rejected" in request.messages[1]["content"]


def remove_boilerplate(request) -> str:
    """A well-behaved `clean` model: drops the navigation and share lines, keeps the rest verbatim."""
    kept = [line for line in source_of(request).split("\n") if "|" not in line and "Share" not in line]
    return "\n".join(kept)


def rewriter(backend, instruction="clean", **kw) -> RewriteRefiner:
    return RewriteRefiner(backend, TOK, INSTRUCTIONS[instruction], **kw)


def test_accepted_rewrite_replaces_the_text_and_guards_go_to_the_audit():
    backend = FakeBackend([], default=remove_boilerplate)
    (ref,) = rewriter(backend).refine([PAGE])
    assert ref.rewrite == "The river rose three metres overnight.\n"
    assert ref.programs == [] and ref.error is None
    (chunk,) = ref.audit["chunks"]
    assert chunk["accepted"] and len(chunk["attempts"]) == 1
    assert [g["name"] for g in chunk["attempts"][0]["guards"]] == [
        "finished", "length_ratio", "novel_words_per_1k", "deletion_subsequence"]
    assert ref.audit["instruction"] == "clean" and "fallback" not in ref.audit
    (requests,) = backend.calls
    assert source_of(requests[0]) == "Home | News | Login\nThe river rose three metres overnight.\nShare on Facebook"
    assert "Remove the boilerplate" in requests[0].messages[1]["content"]


def test_a_failing_rewrite_is_retried_once_with_the_failure_named():
    def answer(request):
        return remove_boilerplate(request) if is_retry(request) else "The river rose dramatically overnight."

    backend = FakeBackend([], default=answer)
    (ref,) = rewriter(backend).refine([PAGE])
    assert ref.rewrite == "The river rose three metres overnight.\n"
    first, retry = backend.calls
    assert len(first) == len(retry) == 1
    assert "deletion_subsequence" in retry[0].messages[1]["content"] and "dramatically" in retry[0].messages[1]["content"]
    attempts = ref.audit["chunks"][0]["attempts"]
    assert [a["passed"] for a in attempts] == [False, True]
    failed = {g["name"]: g["passed"] for g in attempts[0]["guards"]}
    assert failed["deletion_subsequence"] is False and failed["length_ratio"] is True


TWO_CHUNKS = Document("two", "Menu | Home\nGood sentence stays here.\nAnother good line of content.\nThe end of it.\n")


def paraphrase_second_chunk(request):
    """Rewrites the first chunk well; always paraphrases the second, which `clean` must reject."""
    src = source_of(request)
    if "Another" in src:
        return "A different line entirely."
    return "\n".join(line for line in src.split("\n") if "|" not in line)


def test_keep_fallback_keeps_the_failed_chunks_original_text_only():
    backend = FakeBackend([], default=paraphrase_second_chunk)
    (ref,) = rewriter(backend, chunk_tokens=12, fallback="keep").refine([TWO_CHUNKS])
    assert len(backend.calls) == 2  # first attempt for all chunks, then the retry of the failed one
    assert ref.rewrite == "Good sentence stays here.\nAnother good line of content.\nThe end of it.\n"
    assert ref.audit["fallback"] == "keep"
    assert [c["accepted"] for c in ref.audit["chunks"]] == [True, False, True]
    assert "deletion_subsequence" in ref.audit["chunks"][1]["failures"]


def test_keep_fallback_with_nothing_accepted_leaves_the_document_alone():
    backend = FakeBackend([], default="Completely new words.")
    (ref,) = rewriter(backend, fallback="keep").refine([PAGE])
    assert ref.rewrite is None and ref.programs == [] and ref.audit["fallback"] == "keep"


def test_drop_fallback_drops_the_document():
    backend = FakeBackend([], default=paraphrase_second_chunk)
    good = Document("good", "Menu | Home\nA fine line.\n")
    refs = rewriter(backend, chunk_tokens=12, fallback="drop").refine([TWO_CHUNKS, good])
    assert refs[0].rewrite is None and refs[0].programs == [ScopedProgram("drop_doc()", None, "doc")]
    assert refs[0].audit["fallback"] == "drop"
    assert refs[1].rewrite == "A fine line.\n" and "fallback" not in refs[1].audit


def test_programs_fallback_refines_the_document_with_programs():
    backend = FakeBackend([("[000]Menu | Home", "remove_lines(line_start=0, line_end=0)"),
                           ("[doc]", "keep_chunk()")], default=paraphrase_second_chunk)
    programs = ProgramRefiner(backend, TOK, stages=("chunk",), constrained=False)
    (ref,) = rewriter(backend, chunk_tokens=12, fallback="programs", fallback_refiner=programs).refine([TWO_CHUNKS])
    assert ref.rewrite is None and ref.audit["fallback"] == "programs"
    assert ref.programs == [ScopedProgram("remove_lines(line_start=0, line_end=0)", (0, 3), "chunk")]
    assert ref.audit["programs"]["chunks"][0]["scope"] == [0, 3]
    assert len(backend.calls) == 3  # rewrite, retry, then the program refiner's chunk stage
    rewrite_tokens = sum(len(prompt_text(r).split()) for call in backend.calls for r in call)
    assert ref.prompt_tokens == rewrite_tokens


def test_programs_fallback_needs_a_program_refiner():
    with pytest.raises(ValueError, match="program refiner"):
        rewriter(FakeBackend([]), fallback="programs")
    with pytest.raises(ValueError, match="keep, drop, programs"):
        rewriter(FakeBackend([]), fallback="ignore")


PII_DOC = Document("pii", "Contact Anna Berg at anna.berg@example.com or 555-867-5309.\nThe meeting is on Friday.")


@pytest.mark.parametrize("answer, passed, failing", [
    ("Contact Lena Holm at lena.holm@example.org or 555-201-7788.\nThe meeting is on Friday.", True, set()),
    ("Contact Lena Holm at anna.berg@example.com or 555-201-7788.\nThe meeting is on Friday.", False, {"pii_removed"}),
    ("Contact [NAME] at [EMAIL] or [PHONE].\nThe meeting is on Friday.", False, {"no_placeholders", "entities_kept"}),
    ("Contact.", False, {"length_ratio", "kept_words", "entities_kept"}),
])
def test_pii_guards(answer, passed, failing):
    backend = FakeBackend([], default=answer)
    (ref,) = rewriter(backend, "pii").refine([PII_DOC])
    last = ref.audit["chunks"][0]["attempts"][-1]
    assert last["passed"] is passed
    assert {g["name"] for g in last["guards"] if not g["passed"]} == failing
    assert (ref.rewrite == answer) is passed
    assert ref.audit["name_detector"]
    assert len(backend.calls) == (1 if passed else 2)


def test_truncated_rewrite_fails_and_the_budget_follows_the_chunk():
    backend = FakeBackend([], default=Completion("The river rose", finish_reason="length"))
    (ref,) = rewriter(backend).refine([PAGE])
    guards = ref.audit["chunks"][0]["attempts"][0]["guards"]
    assert guards[0] == {"name": "finished", "passed": False, "value": 1.0, "threshold": 0, "detail": "length"}
    request = backend.calls[0][0]
    n_tokens = sum(len(TOK(line + "\n")["input_ids"]) for line in PAGE.bodies)
    assert request.max_new_tokens == int(-(-n_tokens * SPECS["clean"].max_ratio * 1.2 // 1)) + 16


def test_backend_error_is_the_documents_error():
    failing = Completion("", finish_reason="error", error="timeout after 3 retries")
    backend = FakeBackend([("river", failing)], default=remove_boilerplate)
    refs = rewriter(backend).refine([PAGE, Document("ok", "Fine text | here\nStays.")])
    assert refs[0].error == "rewrite, lines 0-2: timeout after 3 retries" and refs[0].rewrite is None
    assert refs[1].error is None and refs[1].rewrite == "Stays."
    assert len(backend.calls) == 1  # an error is not retried here (the backend already retried)


def test_oversized_line_is_not_sent_and_falls_back():
    doc = Document("big", "Menu | Home\nShort line stays.\n" + " ".join(["word"] * 60) + "\nEnd of text.")
    backend = FakeBackend([], default=remove_boilerplate)
    (ref,) = rewriter(backend, chunk_tokens=20, fallback="keep").refine([doc])
    sent = [source_of(r) for call in backend.calls for r in call]
    assert all("word word" not in s for s in sent)
    chunks = ref.audit["chunks"]
    assert chunks[1]["oversized"] and not chunks[1]["accepted"] and "oversized" in chunks[1]["failures"]
    assert ref.rewrite == "Short line stays.\n" + " ".join(["word"] * 60) + "\nEnd of text."
    assert ref.audit["fallback"] == "keep"


def test_blank_edge_lines_are_kept_and_not_sent_and_line_breaks_survive():
    doc = Document("crlf", "\r\nMenu | x\r\nKeep this line.\r\n\r\nAnd this one.\r\n\r\n\r\n")
    backend = FakeBackend([], default=remove_boilerplate)
    (ref,) = rewriter(backend, chunk_tokens=8).refine([doc])
    sent = [source_of(r) for call in backend.calls for r in call]
    assert sent == ["Menu | x\nKeep this line.", "And this one."]
    assert ref.rewrite == "\r\nKeep this line.\r\n\r\nAnd this one.\r\n\r\n\r\n"
    (blank,) = rewriter(FakeBackend([]), chunk_tokens=8).refine([Document("b", "\n\n")])
    assert blank.rewrite is None and blank.audit["chunks"][0]["blank"]


def test_clean_output_strips_an_echoed_wrapper():
    assert clean_output("[text]\nHello there.\n[/text]\n") == "Hello there."
    assert clean_output("\n\nHello\n  world  \n") == "Hello\n  world"


def test_close_closes_the_backend():
    backend = FakeBackend([])
    rewriter(backend).close()
    assert backend.closed


def test_end_to_end_with_a_tiny_model_on_the_transformers_backend(tiny_model_dir):
    """`--mode rewrite` built from options. A random model's rewrites fail the guards, so every chunk is
    tried twice and the `keep` fallback leaves the document as it was."""
    from refine.options import RunOptions
    from refine.refiners import build_refiner

    opts = RunOptions(mode="rewrite", model=str(tiny_model_dir), backend="transformers", instruction="clean",
                      rewrite_fallback="keep", chunk_tokens=60, batch_size=8)
    refiner = build_refiner(opts)
    try:
        assert isinstance(refiner, RewriteRefiner)
        (ref,) = refiner.refine([PAGE])
    finally:
        refiner.close()
    assert ref.error is None and ref.rewrite is None and ref.audit["fallback"] == "keep"
    (chunk,) = ref.audit["chunks"]
    assert [a["passed"] for a in chunk["attempts"]] == [False, False] and not chunk["accepted"]
    assert "deletion_subsequence" in chunk["failures"]
    # the random model runs to its budget, which follows the chunk's size
    assert [a["finish_reason"] for a in chunk["attempts"]] == ["length", "length"]
    assert 0 < ref.completion_tokens <= 2 * (int(60 * SPECS["clean"].max_ratio * 1.2) + 17)
