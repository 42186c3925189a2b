"""`--mode programs`: ProX's two stages, a model writing edit programs.

Doc stage: one request per document (ProX's doc prompt), answered `keep_doc()` or `drop_doc()`. Chunk
stage: one request per chunk of numbered lines, answered with line edits. Either stage may be left out
(`--stages`); a document whose doc program drops it skips the chunk stage. Each stage sends the requests
of the whole batch of documents in one `generate` call, so the backend batches or serves them at once.
The refiner only collects program texts; the pipeline parses and applies them.
"""

from __future__ import annotations

from typing import Sequence

from refine.backends.base import Backend, Completion, Grammar, Request
from refine.chunking import chunk_documents, load_tokenizer, truncate_to_tokens
from refine.document import Document
from refine.refiners.budgets import PROX_CHUNK_TOKENS, PROX_DOC_TOKENS, prompt_budgets
from refine.prompts import PROX, PromptSet, prompts_from_options
from refine.refiners.base import Refinement, Refiner, ScopedProgram

STAGES = ("doc", "chunk")
DOC_MAX_NEW_TOKENS = 16  # "keep_doc()" / "drop_doc()" and a little slack
#: `--set` options of the program refiner (and of the backend it builds).
OPTIONS = {
    "doc_max_new_tokens": f"tokens the doc stage may generate, default {DOC_MAX_NEW_TOKENS}",
    "tokenizer": "a tokenizer to count prompt tokens with, default the model's",
    "grammar_style": "openai backend: how the server takes a grammar (sglang, vllm, none)",
    "grammar_backend": "in-process sglang: the grammar engine, default llguidance",
    "backoff_s": "HTTP backends: first retry delay in seconds, default 0.5",
}
GRAMMAR_PREFERENCE = ("lark", "ebnf", "regex")
MAX_CHARS_PER_TOKEN = 64  # no tokenizer's token is longer: cutting here first never changes a truncation


class ProgramRefiner(Refiner):
    name = "programs"

    def __init__(
        self,
        backend: Backend,
        tokenizer,
        prompts: PromptSet = PROX,
        stages: Sequence[str] = STAGES,
        chunk_tokens: int = PROX_CHUNK_TOKENS,
        doc_tokens: int = PROX_DOC_TOKENS,
        max_new_tokens: int = 256,
        doc_max_new_tokens: int = DOC_MAX_NEW_TOKENS,
        temperature: float = 0.0,
        constrained: bool = True,
        dialect: str | None = None,
    ):
        if unknown := [s for s in stages if s not in STAGES]:
            raise ValueError(f"unknown stages {unknown}: --stages takes doc, chunk or both")
        if not stages:
            raise ValueError("--stages must name at least one of doc, chunk")
        self.backend = backend
        self.tokenizer = tokenizer
        self.prompts = prompts
        self.stages = tuple(s for s in STAGES if s in stages)
        self.chunk_tokens = chunk_tokens
        self.doc_tokens = doc_tokens
        self.max_new_tokens = max_new_tokens
        self.doc_max_new_tokens = doc_max_new_tokens
        self.temperature = temperature
        self.dialect = dialect or prompts.dialect
        self.grammars = {stage: _grammar(backend, stage, self.dialect) if constrained else None
                         for stage in self.stages}
        self._added_tokens = _special_tokens_added(tokenizer)

    # -- requests ----------------------------------------------------------------------------------

    def doc_request(self, text: str) -> tuple[Request, bool]:
        """The doc-stage request and whether the document was truncated to fit `doc_tokens`.

        A raw prompt is cut as a whole, as ProX cuts the rendered token ids (so a long document's prompt
        ends without ` [/INST]`); the backend adds the tokenizer's BOS, counted in the budget.
        """
        head = text[: self.doc_tokens * MAX_CHARS_PER_TOKEN]
        common = dict(max_new_tokens=self.doc_max_new_tokens, temperature=self.temperature,
                      stop=self.prompts.stop, grammar=self.grammars.get("doc"))
        if self.prompts.doc_format is not None:
            prompt, n = truncate_to_tokens(self.tokenizer, self.prompts.doc_prompt(head),
                                           self.doc_tokens - self._added_tokens)
            return Request(prompt=prompt, **common), n > self.doc_tokens - self._added_tokens
        body, n = truncate_to_tokens(self.tokenizer, head, self.doc_tokens)
        return Request(messages=self.prompts.doc_messages(body), **common), n > self.doc_tokens

    def chunk_request(self, numbered: str) -> Request:
        return Request(messages=self.prompts.chunk_messages(numbered), max_new_tokens=self.max_new_tokens,
                       temperature=self.temperature, stop=self.prompts.stop, grammar=self.grammars.get("chunk"))

    # -- refining ----------------------------------------------------------------------------------

    def refine(self, docs: Sequence[Document]) -> list[Refinement]:
        refs = [Refinement(doc.id, audit={"stages": list(self.stages)}) for doc in docs]
        todo = list(range(len(docs)))
        if "doc" in self.stages:
            todo = self._doc_stage(docs, refs)
        if "chunk" in self.stages and todo:
            self._chunk_stage([docs[i] for i in todo], [refs[i] for i in todo])
        return refs

    def _doc_stage(self, docs: Sequence[Document], refs: list[Refinement]) -> list[int]:
        """Runs the doc stage; returns the indices of documents that go on to the chunk stage."""
        made = [self.doc_request(doc.text) for doc in docs]
        completions = self.backend.generate([request for request, _ in made])
        going_on = []
        for i, (ref, (_, truncated), done) in enumerate(zip(refs, made, completions)):
            _count(ref, done)
            ref.audit["doc"] = {"output": done.text, "finish_reason": done.finish_reason,
                                "prompt_truncated": truncated}
            if done.error is not None or done.finish_reason == "error":
                ref.error = f"doc stage: {done.error or 'backend error'}"
                continue
            text = done.text.strip()
            ref.programs.append(ScopedProgram(text, None, stage="doc"))
            if "chunk" in self.stages and _drops(text, self.dialect):
                ref.audit["chunk_stage_skipped"] = "drop_doc"
            else:
                going_on.append(i)
        return going_on

    def _chunk_stage(self, docs: Sequence[Document], refs: list[Refinement]) -> None:
        chunked = chunk_documents([doc.bodies for doc in docs], self.tokenizer, self.chunk_tokens,
                                  self.prompts.number_line)
        requests = [self.chunk_request(c.text_numbered) for chunks in chunked for c in chunks]
        completions = iter(self.backend.generate(requests))
        for ref, chunks in zip(refs, chunked):
            rows = []
            for chunk in chunks:
                done = next(completions)
                _count(ref, done)
                row = {"scope": list(chunk.scope), "output": done.text, "finish_reason": done.finish_reason,
                       "tokens": chunk.n_tokens}
                if chunk.oversized:
                    row.update(oversized=True, cut_tokens=chunk.cut_tokens)
                rows.append(row)
                if done.error is not None or done.finish_reason == "error":
                    ref.error = ref.error or f"chunk stage, lines {chunk.start}-{chunk.end}: {done.error or 'backend error'}"
                    continue
                text = done.text.strip()
                if done.finish_reason == "length" and self.grammars.get("chunk") is not None:
                    text = complete_calls(text, self.dialect, chunk.scope)
                ref.programs.append(ScopedProgram(text, chunk.scope, stage="chunk"))
            ref.audit["chunks"] = rows
            if truncated := sum(r["finish_reason"] == "length" for r in rows):
                ref.audit["truncated_programs"] = truncated
            if oversized := [r["scope"][0] for r in rows if r.get("oversized")]:
                ref.audit["oversized_lines"] = oversized

    def close(self) -> None:
        self.backend.close()


def complete_calls(text: str, dialect: str = "prox", scope: tuple[int, int] | None = None) -> str:
    """A grammar-constrained chunk program cut at its token budget, without its unfinished last call:
    the longest run of whole lines that parses (`keep_chunk()` when not even the first call finished),
    so a program that ran out of tokens still parses and applies the edits it completed."""
    from programs.ops import ProgramError
    from programs.parse import try_parse

    lines = text.split("\n")
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end]).strip()
        if candidate and not isinstance(try_parse(candidate, dialect=dialect, scope=scope), ProgramError):
            return candidate
    return "keep_chunk()"


def _count(ref: Refinement, done: Completion) -> None:
    ref.prompt_tokens += done.prompt_tokens
    ref.completion_tokens += done.completion_tokens


def _drops(text: str, dialect: str) -> bool:
    """Whether a doc-stage program parses and drops the document (unparseable output never drops)."""
    from programs.ops import DropDoc, Program
    from programs.parse import try_parse

    parsed = try_parse(text, dialect=dialect, scope=None)
    return isinstance(parsed, Program) and any(isinstance(op, DropDoc) for op in parsed.ops)


def _grammar(backend: Backend, stage: str, dialect: str) -> Grammar | None:
    """The stage's decoding grammar in the first kind the backend accepts (`Backend.grammar_kinds`),
    or None when the backend takes none."""
    from programs.grammar import decoding_grammar

    kind = next((k for k in GRAMMAR_PREFERENCE if k in backend.grammar_kinds), None)
    return decoding_grammar(stage, kind, dialect) if kind else None


def _special_tokens_added(tokenizer) -> int:
    """How many tokens (BOS, ...) the tokenizer adds to a raw prompt by default, as backends encode it."""
    try:
        return len(tokenizer("a")["input_ids"]) - len(tokenizer("a", add_special_tokens=False)["input_ids"])
    except TypeError:
        return 0


def with_backend(backend: Backend, tokenizer, opts) -> ProgramRefiner:
    """A program refiner on an existing backend (the rewrite refiner's `programs` fallback shares its)."""
    chunk_tokens, doc_tokens = prompt_budgets(opts)
    return ProgramRefiner(
        backend,
        tokenizer,
        prompts_from_options(opts),
        stages=opts.stages,
        chunk_tokens=chunk_tokens,
        doc_tokens=doc_tokens,
        max_new_tokens=opts.max_new_tokens,
        doc_max_new_tokens=int(opts.extra.get("doc_max_new_tokens", DOC_MAX_NEW_TOKENS)),
        temperature=opts.temperature,
        constrained=opts.constrained,
        dialect=opts.dialect,
    )


def from_options(opts) -> ProgramRefiner:
    from refine.backends import build_backend

    prompts_from_options(opts)  # a bad prompts file fails before a model loads
    backend = build_backend(opts)
    return with_backend(backend, refiner_tokenizer(backend, opts), opts)


def refiner_tokenizer(backend: Backend, opts):
    """`--set tokenizer=...` if given, else the backend's own (in-process backends load one), else
    the tokenizer of `--model`."""
    if opts.extra.get("tokenizer"):
        return load_tokenizer(opts)
    return backend.tokenizer or load_tokenizer(opts)  # a CachedBackend's is the one it wraps
