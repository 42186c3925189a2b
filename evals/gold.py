"""Agreement with gold labels: which lines should go (line level), which documents should go (doc level).

A gold file is JSONL (or any corpus format) with, per document, `id` and any of: `removed_lines`
(0-based line numbers, as `programs.lines.split_lines` numbers them), `labels` (one 0/1 per line,
1 = remove), `doc_label` (1 = drop) or `keep` (bool). The rows of a `refine annotate` dataset are gold
rows as they are (its directory or train.jsonl; only doc-stage rows are read, matched by `doc_id`). Removal is the positive class at both levels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from programs.lines import line_body, split_lines
from programs.ops import ProgramError, RemoveLines
from programs.parse import try_parse
from refine.annotate.dataset import ROWS_FILE
from refine.io import InputError, SourceReader, resolve_inputs
from refine.scores import prf  # undefined ratios are None in every report

ALL_ROWS = 1 << 62
#: In a changed block of lines, a raw line is kept (edited) when its refined counterpart is this similar.
EDITED_LINE_SIMILARITY = 0.5


class GoldError(InputError):
    """A gold file that cannot be used; the message names the row and the fix."""


@dataclass(frozen=True)
class GoldDoc:
    removed: frozenset[int] | None  # lines to remove; None when the gold row has no line labels
    drop: bool | None  # whether to drop the document; None when the row does not say


def read_gold(spec: str) -> dict[str, GoldDoc]:
    """Gold labels by document id, from a file, a glob, or a `refine annotate` output directory."""
    rows_file = os.path.join(spec, ROWS_FILE)
    if os.path.isdir(spec) and os.path.isfile(rows_file):
        spec = rows_file  # an annotate dataset: its stats.json is not gold
    gold: dict[str, GoldDoc] = {}
    for source in resolve_inputs(spec):
        reader = SourceReader(source)
        try:
            for raw in reader.rows(0, ALL_ROWS):
                where = f"{source.path} row {raw.row + 1}"
                if raw.record is None:
                    raise GoldError(f"{where}: {raw.detail}")
                row = raw.record
                if row.get("stage") not in (None, "doc"):
                    continue  # an annotate dataset's chunk rows repeat what the doc row says
                doc_id = row.get("doc_id", row.get("id"))  # annotate rows: id "<doc>/doc", doc_id "<doc>"
                if doc_id in (None, ""):
                    raise GoldError(f"{where}: no 'id' (gold rows are matched to documents by id)")
                gold[str(doc_id)] = gold_doc(row, where)
        finally:
            reader.close()
    if not gold:
        raise GoldError(f"no gold rows in {spec!r}")
    return gold


def gold_doc(row: dict, where: str = "gold row") -> GoldDoc:
    removed = None
    if row.get("removed_lines") is not None:
        removed = frozenset(int(i) for i in row["removed_lines"])
    if row.get("labels") is not None:
        from_labels = frozenset(i for i, v in enumerate(row["labels"]) if int(v))
        if removed is not None and removed != from_labels:
            raise GoldError(f"{where}: 'removed_lines' and 'labels' disagree; give one of them")
        removed = from_labels
    drop = None
    if row.get("doc_label") is not None:
        label = row["doc_label"]
        drop = label.lower() == "drop" if isinstance(label, str) else bool(int(label))
    elif row.get("keep") is not None:
        drop = not bool(row["keep"])
    if removed is None and drop is None:
        raise GoldError(f"{where}: no labels (give removed_lines, labels, doc_label or keep)")
    return GoldDoc(removed, drop)


# --------------------------------------------------------------------------------------------------
# Which lines a refinement removed


def aligned_removed_lines(raw: str, refined: str | None) -> set[int]:
    """Raw lines absent from `refined` (None: dropped, every line), found by aligning lines in order.

    Equal lines are kept; in a changed block, a raw line similar to the next unmatched refined line
    was edited (kept), not removed. Repeated identical lines (blank ones) may align to either
    copy; a `refine run` audit, when there is one, says exactly (`audit_removed_lines`).
    """
    a = [line_body(x) for x in split_lines(raw)]
    if refined is None:
        return set(range(len(a)))
    b = [line_body(x) for x in split_lines(refined)]
    removed: set[int] = set()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            j = j1
            for i in range(i1, i2):
                if j < j2 and _edited(a[i], b[j]):
                    j += 1
                else:
                    removed.add(i)
    return removed


def _edited(raw_line: str, refined_line: str) -> bool:
    """Similar enough to be the same line edited (a deletion of up to 2/3 of a line passes)."""
    matcher = SequenceMatcher(None, raw_line, refined_line, autojunk=False)
    return matcher.quick_ratio() >= EDITED_LINE_SIMILARITY and matcher.ratio() >= EDITED_LINE_SIMILARITY


def audit_removed_lines(raw: str, row: dict, dialect: str = "prox") -> set[int] | None:
    """The lines a `refine run` audit row's programs removed from `raw` (as the interpreter validates
    ranges); every line for a dropped document; None for a rewrite, which has no programs to read."""
    if row.get("rewrite"):
        return None
    n = len(split_lines(raw))
    if not row.get("kept", True):
        return set(range(n))
    if row.get("outcome") in ("unchanged", "reverted"):
        return set()
    removed: set[int] = set()
    for entry in row.get("programs") or ():
        scope = tuple(entry["lines"]) if entry.get("lines") else None
        program = try_parse(entry.get("program") or "", dialect=dialect, scope=scope)
        if isinstance(program, ProgramError):
            continue
        for op in program.ops:
            if not isinstance(op, RemoveLines):
                continue
            a, b = op.line_start, op.line_end
            if 0 <= a <= b < n and (scope is None or scope[0] <= a and b <= scope[1]):
                removed.update(range(a, b + 1))
    return removed


# --------------------------------------------------------------------------------------------------
# Scores


def line_scores(predicted: Iterable[Iterable[int]], gold: Iterable[Iterable[int]]) -> dict:
    """Micro precision/recall/F1 of removed lines over paired documents."""
    tp = fp = fn = 0
    for p, g in zip(predicted, gold, strict=True):
        p, g = set(p), set(g)
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
    return prf(tp, fp, fn)


def doc_scores(predicted_drop: Sequence[bool], gold_drop: Sequence[bool]) -> dict:
    """Precision/recall/F1 of dropped documents (drop is the positive class)."""
    tp = fp = fn = 0
    for p, g in zip(predicted_drop, gold_drop, strict=True):
        tp += bool(p and g)
        fp += bool(p and not g)
        fn += bool(g and not p)
    return prf(tp, fp, fn)
