"""How well a refiner writes programs, against gold programs: validity, exact match, removed lines,
keep/drop decisions and the interpreter's errors.

The stages are scored apart, as ProX scores its doc and chunk models: doc-level precision/recall/F1 of
`drop_doc()` (drop is the positive class) over every document, and line-level scores of the lines
removed by `remove_lines` over the documents the gold keeps, from the chunk programs alone.
Line scores are micro-averaged (lines pooled over documents) and macro-averaged (mean of per-document
F1 over the documents where the gold or the prediction removes something).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from evals.gold import doc_scores, line_scores, prf
from programs.apply import apply
from programs.lines import split_lines
from programs.ops import DropDoc, Program, ProgramError, RemoveLines
from programs.parse import try_parse
from programs.render import render

Scoped = tuple[str, "tuple[int, int] | None"]  # a program text and the lines it was written for


@dataclass
class DocPrograms:
    """One document, the programs a refiner wrote for it and the gold ones.

    `predicted_doc` is the doc-stage output (None: that stage was not run). `predicted` are the
    chunk-stage outputs with their scopes; when `aligned`, `predicted[i]` answers the prompt that
    `gold[i]` answers (same chunk), so exact match is defined; otherwise (e.g. a rule refiner's
    whole-document programs) it is not.
    """

    id: str
    text: str
    gold_drop: bool
    gold: list[Scoped] = field(default_factory=list)
    predicted_doc: str | None = None
    predicted: list[Scoped] = field(default_factory=list)
    aligned: bool = True


def parse_scoped(programs: Sequence[Scoped], dialect: str = "prox") -> list[Program | ProgramError]:
    return [try_parse(text, dialect, scope=tuple(scope) if scope is not None else None) for text, scope in programs]


def validity(texts: Sequence[str], dialect: str = "prox") -> float | None:
    """The share of program texts that parse (None for no texts)."""
    if not texts:
        return None
    return sum(not isinstance(try_parse(t, dialect), ProgramError) for t in texts) / len(texts)


def canonical(text: str, dialect: str = "prox") -> str | None:
    """The canonical render of a program text, or None when it does not parse."""
    parsed = try_parse(text, dialect)
    return None if isinstance(parsed, ProgramError) else render(parsed, dialect)


def exact_match(predicted: Sequence[str], gold: Sequence[str], dialect: str = "prox") -> float | None:
    """The share of predictions whose canonical render equals the gold's (an invalid one never does)."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold programs")
    if not gold:
        return None
    hits = 0
    for p, g in zip(predicted, gold):
        cp = canonical(p, dialect)
        hits += cp is not None and cp == canonical(g, dialect)
    return hits / len(gold)


def removed_lines(text: str, programs: Sequence[Program | ProgramError]) -> set[int]:
    """Lines the programs' `remove_lines` remove from `text`, as the interpreter applies them
    (out-of-range ranges are errors and remove nothing); doc-level operations are ignored."""
    line_ops = [p for p in programs if isinstance(p, Program) and not any(isinstance(op, DropDoc) for op in p.ops)]
    result = apply(text, line_ops)
    removed: set[int] = set()
    for effect in result.effects:
        if isinstance(effect.op, RemoveLines):
            removed.update(range(effect.op.line_start, effect.op.line_end + 1))
    return removed


def drops(text: str | None, dialect: str = "prox") -> bool:
    """Whether a doc-level output drops the document (an unparseable one keeps it, as in `refine run`)."""
    if text is None:
        return False
    parsed = try_parse(text, dialect)
    return isinstance(parsed, Program) and any(isinstance(op, DropDoc) for op in parsed.ops)


def macro_line_f1(predicted: Sequence[set[int]], gold: Sequence[set[int]]) -> tuple[float | None, int]:
    """Mean per-document F1 over documents where either side removes a line, and how many those are."""
    scores = []
    for p, g in zip(predicted, gold, strict=True):
        f1 = prf(len(p & g), len(p - g), len(g - p))["f1"]
        if f1 is not None:
            scores.append(f1)
    return (sum(scores) / len(scores) if scores else None), len(scores)


def error_counts(text: str, programs: Sequence[Program | ProgramError]) -> Counter:
    """Error codes of the programs over `text`: parse errors and the interpreter's operation errors."""
    counts = Counter(p.code for p in programs if isinstance(p, ProgramError))
    valid = [p for p in programs if isinstance(p, Program)]
    if valid:
        counts.update(e.code for e in apply(text, valid).errors)
    return counts


def score(docs: Sequence[DocPrograms], dialect: str = "prox", drop_removes_lines: bool = False) -> dict:
    """Every refiner metric over `docs` (see the module docstring), as a JSON-ready dict.

    `drop_removes_lines`: a document the prediction drops loses every line, as in the pipeline (the
    refiner judged end to end); by default the chunk programs alone are scored (the stages apart)."""
    doc_texts = [d.predicted_doc for d in docs if d.predicted_doc is not None]
    chunk_texts = [t for d in docs for t, _ in d.predicted]
    scored_docs = [d for d in docs if d.predicted_doc is not None]
    gold_doc_programs = ["drop_doc()" if d.gold_drop else "keep_doc()" for d in scored_docs]
    aligned = [d for d in docs if d.aligned]
    if bad := [d.id for d in aligned if len(d.predicted) != len(d.gold)]:
        raise ValueError(f"document {bad[0]!r}: aligned, but {len(bad)} document(s) have a different number "
                         "of predicted and gold chunk programs")
    kept = [d for d in docs if not d.gold_drop]
    pred_sets, gold_sets, errors = [], [], Counter()
    for d in docs:
        predicted = parse_scoped(d.predicted, dialect)
        errors.update(error_counts(d.text, predicted))
        if d.predicted_doc is not None:
            errors.update(error_counts(d.text, parse_scoped([(d.predicted_doc, None)], dialect)))
    for d in kept:
        if drop_removes_lines and drops(d.predicted_doc, dialect):
            pred_sets.append(set(range(len(split_lines(d.text)))))
        else:
            pred_sets.append(removed_lines(d.text, parse_scoped(d.predicted, dialect)))
        gold_sets.append(removed_lines(d.text, parse_scoped(d.gold, dialect)))
    macro, macro_docs = macro_line_f1(pred_sets, gold_sets)
    return {
        "documents": len(docs),
        "drop_removes_lines": drop_removes_lines,
        "programs": {"doc": len(doc_texts), "chunk": len(chunk_texts)},
        "validity": {"all": validity(doc_texts + chunk_texts, dialect), "doc": validity(doc_texts, dialect),
                     "chunk": validity(chunk_texts, dialect)},
        "exact_match": {
            "doc": exact_match([d.predicted_doc for d in scored_docs], gold_doc_programs, dialect),
            "chunk": exact_match([t for d in aligned for t, _ in d.predicted],
                                 [t for d in aligned for t, _ in d.gold], dialect),
        },
        "line": {"documents": len(kept), "micro": line_scores(pred_sets, gold_sets),
                 "macro_f1": macro, "macro_documents": macro_docs},
        "doc": {"documents": len(scored_docs),
                **doc_scores([drops(d.predicted_doc, dialect) for d in scored_docs], [d.gold_drop for d in scored_docs])},
        "errors": dict(sorted(errors.items())),
    }
