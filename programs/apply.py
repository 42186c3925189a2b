"""Applying programs to a document: the one definition of what a program means.

`apply(text, programs, policy)` is a pure function. Its semantics, in order:

0. Inputs. `programs` is one `Program`, one `ProgramError` (a model output that did not parse), or a
   sequence of them (e.g. one program per chunk). A `ProgramError` counts as one error (`op=None`, its
   own code). Lines are `split_lines(text)`: each keeps its terminator ("\\n" or "\\r\\n"); numbers are
   the document's own, 0-based and inclusive. A program's `scope` (inclusive, None = whole document) is
   the chunk it was written for; its `remove_str`, `normalize` and `remove_lines` act inside it only.
1. `drop_doc()` anywhere wins over everything: the result is dropped (`drop_reason="drop_doc"`, text
   ""), no other operation is evaluated, and each `keep_doc()` beside it is a `conflict` error.
   `keep_doc()` and `keep_chunk()` otherwise change nothing; they are recorded as effects.
2. Line-local edits, in program order, on the current (already edited) line bodies, never on a
   terminator:
   - `remove_str(line, del_str)` removes the one occurrence of `del_str` in that line: `not_found`
     if absent (or empty), `ambiguous` if it starts at more than one position (overlaps count),
     `out_of_range` if the line is not in the document or not in the scope.
   - `normalize(source_str, target_str)` replaces every occurrence in each line of the scope (not of
     the whole document): `not_found` if there is none (or `source_str` is empty), `conflict` if either
     string holds "\\n" (it would renumber the lines), `out_of_range` if the scope misses the document.
   A line whose body these edits empty stays, as an empty line: only `remove_lines` removes lines.
3. Line removals, against the ORIGINAL numbering: the ranges of all programs are merged (overlaps
   and adjacency merge) and each removed line takes its terminator with it. The result ends as the
   original did: when the last line goes and it had no terminator, the last line kept loses its own
   ("a\\nb\\nc" without line 2 is "a\\nb"), credited to the range that removed the last line. A range is
   `out_of_range` if `line_start > line_end`, `line_start < 0`, `line_end` is past the last line (never
   clipped), or it leaves the scope. Removing a line that `remove_str` edited is fine.
4. Policy (see `Policy`), with errors counted over all programs:
   `skip` applies the rest; `keep_original` with >= `max_errors` errors returns the input unchanged
   (`outcome="reverted"`, no effects); `drop` with >= `max_errors` errors drops it (`"errors"`).
5. A document the programs changed is then dropped if nothing but whitespace is left (`"empty"`),
   if kept chars / original chars <= `min_kept_ratio` (`"min_kept_ratio"`), or if fewer than
   `min_words` whitespace-separated words are left (`"min_words"`). These judge what refining did, so
   an unchanged document (the empty document included) is never dropped by them:
   `outcome="unchanged"`.

Effects: one `OpEffect` per successful operation. `chars_removed` is net (negative when a
`normalize` target is longer than its source); a `remove_lines` is credited only with the lines no
earlier range already removed, with those lines' chars as phase 2 found them, so the effects of an
applied result sum to `len(text) - len(result.text)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from programs.ops import (
    ApplyResult,
    DropDoc,
    KeepChunk,
    KeepDoc,
    Normalize,
    OpEffect,
    OpError,
    Policy,
    Program,
    ProgramError,
    RemoveLines,
    RemoveStr,
)

NOT_FOUND = -1
AMBIGUOUS = -2
_DEFAULT_POLICY = Policy()


class _Fail(NamedTuple):
    code: str
    message: str


def find_unique(body: str, s: str) -> int:
    """Index of the one occurrence of non-empty `s` in `body`; NOT_FOUND or AMBIGUOUS otherwise.

    Overlapping occurrences count ("aa" is ambiguous in "aaa"): `remove_str` and `derive` share this.
    """
    i = body.find(s)
    if i < 0 or not s:
        return NOT_FOUND
    if body.find(s, i + 1) >= 0:
        return AMBIGUOUS
    return i


def apply(
    text: str,
    programs: Program | ProgramError | Sequence[Program | ProgramError],
    policy: Policy = _DEFAULT_POLICY,
) -> ApplyResult:
    """Refine `text` with `programs` under `policy` (default: skip failing operations)."""
    progs = (programs,) if isinstance(programs, (Program, ProgramError)) else programs
    errors: list[OpError] = []
    effects: list[OpEffect] = []
    local: list[tuple[int, int, object, tuple[int, int] | None]] = []
    ranges: list[tuple[int, int, RemoveLines, tuple[int, int] | None]] = []
    drops: list[OpEffect] = []
    keep_docs: list[tuple[int, int, KeepDoc]] = []

    for pi, prog in enumerate(progs):
        if isinstance(prog, ProgramError):
            errors.append(OpError(prog.code, prog.message, None, pi, None))
            continue
        scope = prog.scope
        for oi, op in enumerate(prog.ops):
            kind = type(op)
            if kind is RemoveLines:
                ranges.append((pi, oi, op, scope))
            elif kind is RemoveStr or kind is Normalize:
                local.append((pi, oi, op, scope))
            elif kind is KeepChunk:
                effects.append(OpEffect(op, pi, oi))
            elif kind is KeepDoc:
                keep_docs.append((pi, oi, op))
            elif kind is DropDoc:
                drops.append(OpEffect(op, pi, oi))
            else:
                raise TypeError(f"not an operation: {op!r} (program {pi}, op {oi})")

    if drops:
        errors.extend(OpError("conflict", "keep_doc() beside drop_doc(): the document is dropped", op, pi, oi)
                      for pi, oi, op in keep_docs)
        return ApplyResult("", False, "dropped", tuple(drops), tuple(errors), "drop_doc")
    effects.extend(OpEffect(op, pi, oi) for pi, oi, op in keep_docs)
    if not local and not ranges:  # nothing can change the text: no need to cut it into lines
        return _judge(text, text, _in_order(effects), _in_order(errors), policy)

    # The lines of `split_lines(text)`, held as the pieces between "\n"s (no copy per line): line i
    # is segs[i] plus "\n", except a last line without terminator; a CRLF line's "\r" stays in its piece.
    segs = text.split("\n")
    n = len(segs) - 1 if segs[-1] == "" else len(segs)
    edited = False
    for pi, oi, op, scope in local:
        if type(op) is RemoveStr:
            outcome = _remove_str(segs, n, op, scope)
        else:
            outcome = _normalize(segs, n, op, scope)
        if type(outcome) is _Fail:
            errors.append(OpError(outcome.code, outcome.message, op, pi, oi))
        else:
            removed, replacements = outcome
            edited = edited or replacements > 0
            effects.append(OpEffect(op, pi, oi, chars_removed=removed, replacements=replacements))

    spans = _remove_ranges(segs, n, ranges, errors, effects) if ranges else []
    if spans and spans[-1][1] == len(segs) - 1 and spans[-1][0] > 0:
        _credit_last_terminator(segs, spans[-1][0] - 1, effects)
    if spans:
        kept: list[str] = []
        prev = 0
        for a, b in spans:
            kept += segs[prev:a]
            prev = b + 1
        kept += segs[prev:]
        if prev == len(segs) and kept and kept[-1].endswith("\r"):
            # The last line went and it had no terminator: so has the last line kept (joining the
            # pieces drops its "\n"; a CRLF piece also holds a "\r").
            kept[-1] = kept[-1][:-1]
        new_text = "\n".join(kept)
    else:
        new_text = "\n".join(segs) if edited else text
    return _judge(text, new_text, _in_order(effects), _in_order(errors), policy)


def _in_order(items: list) -> tuple:
    """Effects or errors sorted by (program, operation); a program's own error comes first."""
    if len(items) > 1:
        items.sort(key=_position)
    return tuple(items)


def _position(item: OpEffect | OpError) -> tuple[int, int]:
    return item.program_index, -1 if item.op_index is None else item.op_index


def _scope_bounds(n: int, scope: tuple[int, int] | None) -> tuple[int, int]:
    """The scope clipped to the document: (lo, hi), empty when lo > hi."""
    if scope is None:
        return 0, n - 1
    return max(0, scope[0]), min(n - 1, scope[1])


def _body_end(segs: list[str], i: int) -> int:
    """Where line i's body ends in its piece: before a "\r" that precedes the line's "\n"."""
    seg = segs[i]
    if seg.endswith("\r") and i < len(segs) - 1:
        return len(seg) - 1
    return len(seg)


def _remove_str(segs: list[str], n: int, op: RemoveStr, scope) -> tuple[int, int] | _Fail:
    """Edit line `op.line` in place; (chars removed, 1) or why not."""
    i = op.line
    if not 0 <= i < n:
        return _Fail("out_of_range", f"line {i} is not in the document (lines 0..{n - 1})")
    if scope is not None and not scope[0] <= i <= scope[1]:
        return _Fail("out_of_range", f"line {i} is outside the chunk (lines {scope[0]}..{scope[1]})")
    s = op.del_str
    if not s:
        return _Fail("not_found", "del_str is empty")
    seg = segs[i]
    end = _body_end(segs, i)
    at = find_unique(seg[:end], s)
    if at == NOT_FOUND:
        return _Fail("not_found", f"del_str does not occur in line {i}")
    if at == AMBIGUOUS:
        return _Fail("ambiguous", f"del_str occurs more than once in line {i}")
    segs[i] = seg[:at] + seg[at + len(s):]
    return len(s), 1


def _normalize(segs: list[str], n: int, op: Normalize, scope) -> tuple[int, int] | _Fail:
    """Edit the lines of the scope in place; (net chars removed, replacements) or why not."""
    src, dst = op.source_str, op.target_str
    if "\n" in src or "\n" in dst:
        return _Fail("conflict", "a newline in normalize() would renumber the lines")
    if not src:
        return _Fail("not_found", "source_str is empty")
    lo, hi = _scope_bounds(n, scope)
    if lo > hi:
        return _Fail("out_of_range", f"the chunk {scope} is not in the document (lines 0..{n - 1})")
    if "\r" not in src:
        # No match can reach a terminator ("\r\n" or "\n") nor span two lines: one pass in C over the
        # scope's pieces joined, which splits back into as many pieces since neither string has "\n".
        chunk = "\n".join(segs[lo:hi + 1])
        replaced = chunk.replace(src, dst)
        if len(src) != len(dst):  # the length change counts the replacements, without a second pass
            count = (len(chunk) - len(replaced)) // (len(src) - len(dst))
        else:
            count = chunk.count(src) if replaced != chunk or src in chunk else 0
        if count:
            segs[lo:hi + 1] = replaced.split("\n")
    else:
        count = 0
        for i in range(lo, hi + 1):
            seg = segs[i]
            end = _body_end(segs, i)
            c = seg.count(src, 0, end)
            if c:
                segs[i] = seg[:end].replace(src, dst) + seg[end:]
                count += c
    if not count:
        return _Fail("not_found", f"source_str does not occur in lines {lo}..{hi}")
    return count * (len(src) - len(dst)), count


def _line_chars(segs: list[str], a: int, b: int) -> int:
    """Chars of lines a..b with their terminators."""
    return sum(map(len, segs[a:b + 1])) + (b - a + 1) - (b == len(segs) - 1)


def _remove_ranges(segs, n, ranges, errors, effects) -> list[tuple[int, int]]:
    """Validate the ranges, credit each with the lines it newly removes; the merged spans, sorted."""
    merged: list[tuple[int, int]] = []  # disjoint, sorted, non-adjacent
    for pi, oi, op, scope in ranges:
        a, b = op.line_start, op.line_end
        problem = None
        if a > b:
            problem = f"line_start {a} > line_end {b}"
        elif a < 0 or b >= n:
            problem = f"lines {a}..{b} are not all in the document (lines 0..{n - 1})"
        elif scope is not None and (a < scope[0] or b > scope[1]):
            problem = f"lines {a}..{b} leave the chunk (lines {scope[0]}..{scope[1]})"
        if problem:
            errors.append(OpError("out_of_range", problem, op, pi, oi))
            continue
        new_lines = new_chars = 0
        cursor = a
        keep: list[tuple[int, int]] = []
        lo, hi = a, b
        for s, e in merged:
            if e < a - 1 or s > b + 1:
                keep.append((s, e))
                continue
            if s > cursor:  # the part of [a, b] before this span is new
                stop = min(s - 1, b)
                new_lines += stop - cursor + 1
                new_chars += _line_chars(segs, cursor, stop)
            cursor = max(cursor, e + 1)
            lo, hi = min(lo, s), max(hi, e)
        if cursor <= b:
            new_lines += b - cursor + 1
            new_chars += _line_chars(segs, cursor, b)
        keep.append((lo, hi))
        keep.sort()
        merged = keep
        effects.append(OpEffect(op, pi, oi, lines_removed=new_lines, chars_removed=new_chars))
    return merged


def _credit_last_terminator(segs: list[str], last_kept: int, effects: list[OpEffect]) -> None:
    """Removing an unterminated last line also removes the terminator of `last_kept`: credit it to
    the first range that removed the last line, so that effects still sum to the chars removed."""
    extra = 1 + segs[last_kept].endswith("\r")
    last = len(segs) - 1
    for k, effect in enumerate(effects):
        if type(effect.op) is RemoveLines and effect.op.line_end == last:
            effects[k] = OpEffect(effect.op, effect.program_index, effect.op_index, effect.lines_removed,
                                  effect.chars_removed + extra, effect.replacements)
            return


def _judge(text: str, new_text: str, effects, errors, policy) -> ApplyResult:
    """The policy's verdict on the refined text."""
    if errors and policy.on_error != "skip" and len(errors) >= policy.max_errors:
        if policy.on_error == "keep_original":
            return ApplyResult(text, True, "reverted", (), errors)
        if policy.on_error == "drop":
            return ApplyResult("", False, "dropped", (), errors, "errors")
        raise ValueError(f"unknown Policy.on_error {policy.on_error!r}: use skip, keep_original or drop")
    if new_text == text:
        return ApplyResult(text, True, "unchanged", effects, errors)
    reason = None
    if not new_text or new_text.isspace():
        reason = "empty"
    elif len(new_text) <= policy.min_kept_ratio * len(text):
        reason = "min_kept_ratio"
    elif policy.min_words and len(new_text.split()) < policy.min_words:
        reason = "min_words"
    if reason:
        return ApplyResult("", False, "dropped", effects, errors, reason)
    return ApplyResult(new_text, True, "applied", effects, errors)
