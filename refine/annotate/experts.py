"""Model experts: a large model labels real documents, through any backend.

- `programs`: the model writes programs. A doc-level judgement (a 0-5 score, a reason, and
  `keep_doc()` or `drop_doc()`) decides the doc stage; for kept documents each chunk is shown three
  times, each time with a few-shot prompt that targets one kind of boilerplate (navigation, link and
  URL lines, footers), as ProX did, and the line removals of the three answers are merged. Answers
  that do not parse or do not apply are counted and the chunk is left out.
- `edits`: the model (or a person, through a JSONL file) returns the cleaned text, and
  `programs.derive` turns it into the minimal deletion program (RefineX); edits that are not
  deletions past a threshold are rejected with their reason.

Both produce the same rows as the synthetic expert (`dataset.document_rows`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from programs.lines import split_lines
from programs.ops import DropDoc, KeepChunk, KeepDoc, Normalize, Program, ProgramError, RemoveLines, RemoveStr
from refine.annotate.dataset import Prompter, Stats, document_rows
from refine.backends.base import Backend, Request
from refine.document import Document

# ---------------------------------------------------------------------------------------------
# Prompts (our own words; the intent of ProX's three chunk prompts and its doc-level judgement)

LANGUAGE = """You clean web pages for language-model training data by writing small edit programs.
The page's lines are numbered like [007]. Write one call per line, and nothing else:
  remove_lines(line_start=A, line_end=B)   remove lines A to B, inclusive, numbered as shown
  remove_str(line=N, del_str="...")        remove one exact piece of text from line N
  keep_chunk()                             nothing to remove
Remove only what the task below names. Never remove sentences of the page's actual content."""

CHUNK_TASKS = {
    "navigation": (
        "Task: remove navigation. That is menus and menu items, breadcrumbs, 'skip to content' links, "
        "login, search and account prompts, language switchers, pagination and 'previous / next' links.",
        "[000]Home | Recipes | About | Contact\n[001]Search\n[002]Slow-cooked lentil soup\n"
        "[003]Lentils need no soaking, which makes this soup a weeknight dinner.\n[004]« Older posts",
        "remove_lines(line_start=0, line_end=1)\nremove_lines(line_start=4, line_end=4)",
    ),
    "urls": (
        "Task: remove link clutter. That is bare URLs, lists of links to other pages (related posts, "
        "'read more', tag and category lists, share buttons) and link text glued onto content lines.",
        "[010]The survey ran from March to June and reached 2,300 households.\n"
        "[011]Share on Facebook | Tweet | Email\n[012]Related: How we weighted the sample\n"
        "[013]Most households reported two or more vehicles. Read more at https://example.org/r/88",
        "remove_lines(line_start=11, line_end=12)\nremove_str(line=13, del_str=\" Read more at https://example.org/r/88\")",
    ),
    "footers": (
        "Task: remove page footers and banners. That is copyright and 'all rights reserved' lines, "
        "legal and policy links, addresses and phone numbers of the site, 'powered by' lines, cookie "
        "notices, newsletter sign-ups and advertisements.",
        "[020]Repotting is best done in spring, just before new growth.\n[021]Sign up for our newsletter\n"
        "[022]© 2021 Green Thumb Media. All rights reserved.\n[023]Privacy Policy · Terms of Use",
        "remove_lines(line_start=21, line_end=23)",
    ),
}

DOC_TASK = """Judge whether this web page is worth keeping as training data for a language model.
Keep pages with real content: explanations, articles, documentation, stories, discussions, even when
they are surrounded by menus and footers (those are removed later). Drop pages that are mostly spam or
keyword lists, gibberish, error or login pages, parked domains, bare lists of products, prices or links.
Answer in exactly three lines:
Score: <0 to 5, how educational and well-written the content is>
Reason: <one sentence>
Program: keep_doc() or drop_doc()"""


def chunk_request(numbered: str, task: str, max_new_tokens: int = 512) -> Request:
    instruction, example_in, example_out = CHUNK_TASKS[task]
    messages = (
        {"role": "system", "content": f"{LANGUAGE}\n\n{instruction}"},
        {"role": "user", "content": f"[doc]\n{example_in}\n[/doc]"},
        {"role": "assistant", "content": example_out},
        {"role": "user", "content": f"[doc]\n{numbered}\n[/doc]"},
    )
    return Request(messages=messages, max_new_tokens=max_new_tokens, temperature=0.0)


def doc_request(text: str, max_new_tokens: int = 128) -> Request:
    return Request(messages=({"role": "system", "content": DOC_TASK}, {"role": "user", "content": text}),
                   max_new_tokens=max_new_tokens, temperature=0.0)


@dataclass(frozen=True)
class Judgement:
    keep: bool
    score: float | None
    reason: str


_SCORE = re.compile(r"score\s*[:=]\s*([0-5](?:\.\d+)?)", re.I)
_REASON = re.compile(r"reason\s*[:=]\s*(.+)", re.I)
_DECISION = re.compile(r"\b(keep_doc|drop_doc|untouch_doc)\s*\(\s*\)")


def parse_judgement(answer: str) -> Judgement | str:
    """The doc-level judgement in a model's answer, or why there is none (a reason code)."""
    decisions = {m.group(1) for m in _DECISION.finditer(answer)}
    if len(decisions) != 1:
        return "doc_no_decision" if not decisions else "doc_conflicting_decisions"
    score = _SCORE.search(answer)
    reason = _REASON.search(answer)
    return Judgement(decisions.pop() != "drop_doc", float(score.group(1)) if score else None,
                     reason.group(1).strip() if reason else "")


# ---------------------------------------------------------------------------------------------
# The programs expert


def _parse(text: str, scope: tuple[int, int]) -> Program | ProgramError:
    from programs.parse import try_parse

    return try_parse(text, dialect="prox", scope=scope)


def merge_answers(programs: Sequence[Program], scope: tuple[int, int]) -> Program | str:
    """One chunk program from the three task answers: the union of their edits, or why not."""
    ops: list = []
    for program in programs:
        for op in program.ops:
            if isinstance(op, (KeepChunk, KeepDoc)):
                continue
            if isinstance(op, DropDoc):
                return "chunk_drop_doc"
            if isinstance(op, RemoveLines) and not (scope[0] <= op.line_start <= op.line_end <= scope[1]):
                return "chunk_out_of_scope"
            if isinstance(op, (RemoveStr,)) and not scope[0] <= op.line <= scope[1]:
                return "chunk_out_of_scope"
            if op not in ops:
                ops.append(op)
    return Program(tuple(ops) or (KeepChunk(),), scope)


def annotate_programs(docs: Iterable[Document], backend: Backend, stats: Stats, prompter: Prompter | None = None,
                      split: str = "expert") -> Iterator[dict]:
    """Rows for `docs` from a model asked for programs directly; failures are counted in `stats`."""
    from programs.apply import apply

    prompter = prompter or Prompter()
    docs = list(docs)
    answers = backend.generate([doc_request(prompter.doc_prompt(d.text)) for d in docs])
    kept: list[Document] = []
    judgements: dict[str, Judgement] = {}
    for doc, answer in zip(docs, answers):
        judgement = parse_judgement(answer.text) if not answer.error else "backend_error"
        if isinstance(judgement, str):
            stats.reject(judgement, "model")
            continue
        judgements[doc.id] = judgement
        if not judgement.keep:
            rows = document_rows(prompter, id=doc.id, text=doc.text, labels=[1] * len(doc.lines), doc_label=1,
                                 source="model", split=split, expert="programs", score=judgement.score,
                                 reason=judgement.reason)
            stats.add_rows(rows)
            yield from rows
        else:
            kept.append(doc)

    chunks = {doc.id: prompter.chunks(doc.text) for doc in kept}
    requests = [chunk_request(c.text_numbered, task) for doc in kept for c in chunks[doc.id] for task in CHUNK_TASKS]
    replies = iter(backend.generate(requests))
    for doc in kept:
        labels = [0] * len(doc.lines)
        remove_strs: list[tuple[int, str]] = []
        failed: set[tuple[int, int]] = set()
        for chunk in chunks[doc.id]:
            parsed = [_parse(r.text, chunk.scope) if not r.error else ProgramError("backend", r.error or "")
                      for r in (next(replies) for _ in CHUNK_TASKS)]
            problem = next((f"chunk_invalid:{p.code}" for p in parsed if isinstance(p, ProgramError)), None)
            merged = merge_answers(parsed, chunk.scope) if problem is None else problem
            if isinstance(merged, Program):
                if any(isinstance(op, Normalize) for op in merged.ops):
                    merged = "chunk_normalize"  # a deletion-only dataset: rewrites are left out
                else:
                    result = apply(doc.text, merged)
                    if result.errors:
                        merged = f"chunk_apply:{result.errors[0].code}"
            if isinstance(merged, str):
                stats.reject(merged, "model")
                failed.add(chunk.scope)
                continue
            for op in merged.ops:
                if isinstance(op, RemoveLines):
                    labels[op.line_start:op.line_end + 1] = [1] * (op.line_end - op.line_start + 1)
                elif isinstance(op, RemoveStr):
                    remove_strs.append((op.line, op.del_str))
        judgement = judgements[doc.id]
        rows = document_rows(prompter, id=doc.id, text=doc.text, labels=labels, doc_label=0, source="model",
                             split=split, remove_strs=remove_strs, expert="programs", score=judgement.score,
                             reason=judgement.reason, labels_complete=not failed)
        # The doc row stays (its judgement is valid); the rows of chunks that failed are left out.
        rows = [r for r in rows if r["stage"] == "doc" or tuple(r["scope"]) not in failed]
        stats.add_rows(rows)
        yield from rows


# ---------------------------------------------------------------------------------------------
# The edits expert


def edit_request(text: str, max_new_tokens: int | None = None) -> Request:
    from refine.prompts import PROX, load_instruction

    messages = PROX.rewrite_messages(load_instruction("clean").text, text)
    return Request(messages=messages, max_new_tokens=max_new_tokens or max(256, len(text) // 2), temperature=0.0)


def read_edits(path: str | Path) -> dict[str, str]:
    """Human edits: JSONL rows of {"id": ..., "edited": ...} (or "text" for the edited text)."""
    edits: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not a JSON row ({exc.msg})") from None
            edited = row.get("edited", row.get("text"))
            if "id" not in row or not isinstance(edited, str):
                raise ValueError(f"{path}:{n}: an edit row needs 'id' and 'edited' (a string)")
            edits[str(row["id"])] = edited
    return edits


def _reason_code(reason: str | None) -> str:
    if reason and reason.startswith("an unexpressed"):
        return "edit_not_deletion"
    if reason and reason.startswith("only"):
        return "edit_too_small"
    return "edit_rejected"


def annotate_edits(docs: Iterable[Document], stats: Stats, *, backend: Backend | None = None,
                   edits: dict[str, str] | None = None, prompter: Prompter | None = None, split: str = "expert",
                   max_unexpressed_chars: int = 20, min_deleted_chars: int = 0) -> Iterator[dict]:
    """Rows for `docs` from edited texts (the model's, or `edits` by id), derived into programs."""
    from programs.apply import apply
    from programs.derive import derive

    if (backend is None) == (edits is None):
        raise ValueError("annotate_edits needs exactly one of backend= and edits=")
    prompter = prompter or Prompter()
    docs = list(docs)
    if backend is not None:
        replies = backend.generate([edit_request(d.text) for d in docs])
        edited_texts = {d.id: (r.text if not r.error else None) for d, r in zip(docs, replies)}
    else:
        edited_texts = {d.id: edits.get(d.id) for d in docs}
    source = "model" if backend is not None else "human"
    for doc in docs:
        edited = edited_texts[doc.id]
        if edited is None:
            stats.reject("no_edit" if backend is None else "backend_error", source)
            continue
        if not edited.strip():
            rows = document_rows(prompter, id=doc.id, text=doc.text, labels=[1] * len(doc.lines), doc_label=1,
                                 source=source, split=split, expert="edits")
            stats.add_rows(rows)
            yield from rows
            continue
        derivation = derive(doc.text, edited, max_unexpressed_chars=max_unexpressed_chars,
                            min_deleted_chars=min_deleted_chars)
        if derivation.rejected:
            stats.reject(_reason_code(derivation.reason), source)
            continue
        program = derivation.program
        if apply(doc.text, program).errors:
            stats.reject("edit_apply_error", source)
            continue
        labels = [0] * len(split_lines(doc.text))
        remove_strs = []
        for op in program.ops:
            if isinstance(op, RemoveLines):
                labels[op.line_start:op.line_end + 1] = [1] * (op.line_end - op.line_start + 1)
            elif isinstance(op, RemoveStr):
                remove_strs.append((op.line, op.del_str))
        rows = document_rows(prompter, id=doc.id, text=doc.text, labels=labels, doc_label=0, source=source,
                             split=split, remove_strs=remove_strs, expert="edits",
                             unexpressed_chars=derivation.unexpressed_chars)
        stats.add_rows(rows)
        yield from rows
