"""Deriving programs from expert edits (RefineX): the deletion-only program that turns raw into edited.

`derive(raw, edited)` aligns the lines of the two texts (difflib, `autojunk=False`; lines compare by
body and by whether they end in a newline, so "\r\n" vs "\n" still aligns; long documents are first
cut at lines unique in both, as patience diff does, because difflib is quadratic between matches).
Edited lines the diff leaves unmatched go, one at a time in order, to the first raw line they can be
cut from, else to a nearby raw line they resemble (most of their words, in order). Then:

- Raw lines with no edited line are deleted; consecutive ones become one `remove_lines`.
- An edited line cut from its raw line becomes `remove_str` calls, each deleting a string unique
  in the line as it is when the call runs (`apply` runs them in order). Which cuts: those of the
  diff, of the earliest and of the latest alignment of the edited line in the raw one, each slid
  along the text where that leaves the same result (deleting either "ab" of "xabab" gives "xab") or
  merged with a neighbour by sliding, until its string is unique; where the changed span is short
  (EXHAUSTIVE_MAX), every unique cut. A bounded search (first depth-first, then by number of cuts)
  orders them; a line it cannot express is reported, never mis-expressed.
- Everything else is reported in `unexpressed`, one entry per span ({"kind", "line", "raw",
  "edited", "chars"}; `line` is the raw line, for an insertion the raw line it comes before):
  "insert" (a new line, or new chars within a line), "replace" (changed chars; a replacement by
  shorter text is split into a deletion and a replacement of its length where the deletion is
  unique), "delete" (a deletion no unique string expresses) and "terminator" (a line end that
  differs: "\r\n" vs "\n", or a final newline the edited text lacks or adds; programs cannot touch
  line ends, so the program's result keeps the raw one, and ends as the raw text does). Whitespace is text like any other: deleted
  trailing spaces and blank lines are expressed when unique; a collapsed inner space usually is not.

The sample is rejected, as RefineX does, when any one unexpressed span has `max_unexpressed_chars`
chars or more (per span, not in total), or when fewer than `min_deleted_chars` chars are deleted.
With no deletion at all the program is `keep_chunk()`, the explicit "leave it" a refiner learns.

If the alignment leaves edits unexpressed (but for "\r\n" vs "\n"), a second, greedy one (each
edited line to the first raw line it can be cut from) is tried and the better kept: the diff's
longest-match alignment can pair an edited line with an identical but wrong raw line, or end the
text at the wrong one. Where every edited line is cut from a raw line in order (and each from one
within WINDOW lines of the last), the greedy one finds such an order.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from difflib import SequenceMatcher

from programs.apply import find_unique
from programs.lines import line_body, split_lines
from programs.ops import Derivation, KeepChunk, Operation, Program, RemoveLines, RemoveStr

#: How far past the last matched raw line an edited line's source is looked for: any raw line it
#: can be cut from, or (costlier to judge, and rarely far) one it merely resembles.
WINDOW = 64
SIMILAR_WINDOW = 4
#: Documents longer than this (in lines) get only the diff alignment.
GREEDY_MAX_LINES = 5_000
#: Where a line's changed span (with MARGIN chars each side) is this short, every cut is tried.
EXHAUSTIVE_MAX = 48
MARGIN = 8
#: Most cuts the search by number of cuts looks for.
SHORTEST_MAX = 4
#: Above this many (raw lines x edited lines), the line diff is cut at anchors first.
ANCHOR_ABOVE = 250_000
#: Above this many (chars x chars), a line that is no pure deletion is diffed coarsely.
CHAR_DIFF_MAX = 4_000_000
#: Cap on the positions tried when sliding one deletion to a unique string.
MAX_SLIDE = 256


def derive(raw: str, edited: str, max_unexpressed_chars: int = 20, min_deleted_chars: int = 0) -> Derivation:
    """The minimal deletion-only program from `raw` to `edited`, and what it cannot express."""
    aligner = _Aligner(split_lines(raw), split_lines(edited))
    plan = aligner.build(aligner.by_diff())
    if plan.needs_retry and len(aligner.raw_bodies) <= GREEDY_MAX_LINES:
        match = aligner.greedy(give_up=plan.unexpressed_chars)
        other = aligner.build(match) if match is not None else None
        if other is not None and other.unexpressed_chars < plan.unexpressed_chars:
            plan = other

    reason = None
    worst = max((u["chars"] for u in plan.unexpressed), default=0)
    if worst >= max_unexpressed_chars:
        reason = f"an unexpressed edit of {worst} chars (limit: under {max_unexpressed_chars})"
    elif plan.deleted_chars < min_deleted_chars:
        reason = f"only {plan.deleted_chars} chars deleted (minimum {min_deleted_chars})"
    return Derivation(
        program=Program(plan.ops or (KeepChunk(),)),
        unexpressed=tuple(plan.unexpressed),
        unexpressed_chars=plan.unexpressed_chars,
        deleted_chars=plan.deleted_chars,
        rejected=reason is not None,
        reason=reason,
    )


class _Plan:
    """One alignment turned into operations and a report."""

    def __init__(self, ops: tuple[Operation, ...], unexpressed: list[dict], deleted_chars: int):
        self.ops = ops
        self.unexpressed = unexpressed
        self.deleted_chars = deleted_chars
        self.unexpressed_chars = sum(u["chars"] for u in unexpressed)
        # A line end that is there in one text and not in the other can be another alignment's
        # doing (which raw line ends the text); "\r\n" against "\n" is no alignment's.
        self.needs_retry = any(u["kind"] != "terminator" or not (u["raw"] and u["edited"]) for u in unexpressed)


class _Aligner:
    """Aligns edited lines to raw lines: `match[j]` is the raw line edited line j came from, or None."""

    def __init__(self, raw_lines: list[str], edited_lines: list[str]):
        self.raw_lines = raw_lines
        self.edited_lines = edited_lines
        self.raw_bodies = [line_body(line) for line in raw_lines]
        self.edited_bodies = [line_body(line) for line in edited_lines]
        self._cuts: dict[tuple[int, int], list[str] | None] = {}

    def cuts(self, i: int, j: int) -> list[str] | None:
        """The `remove_str` strings turning raw body i into edited body j, or None (remembered: the
        alignment asks about a pair, and the plan asks again)."""
        if (i, j) not in self._cuts:
            self._cuts[i, j] = line_deletions(self.raw_bodies[i], self.edited_bodies[j])
        return self._cuts[i, j]

    def by_diff(self) -> list[int | None]:
        # Lines compare by body and by whether they end a line: "\r\n" vs "\n" still aligns, while
        # a last line without terminator only matches its like.
        raw_keys = [b + "\n" if len(b) < len(line) else b for b, line in zip(self.raw_bodies, self.raw_lines)]
        edited_keys = [b + "\n" if len(b) < len(line) else b for b, line in zip(self.edited_bodies, self.edited_lines)]
        match: list[int | None] = [None] * len(edited_keys)
        for tag, i1, i2, j1, j2 in _line_opcodes(raw_keys, edited_keys):
            if tag == "equal":
                match[j1:j2] = range(i1, i2)
            elif tag == "replace":
                self._fill(match, i1, i2, j1, j2)
        return match

    def greedy(self, give_up: int) -> list[int | None] | None:
        """The whole text aligned by `_fill`; None once `give_up` edited lines are cut from no raw
        line: each such line nearly always leaves a char unexpressed, so this cannot beat a plan
        with that many, and trying every raw line in reach for them is the costly part."""
        match: list[int | None] = [None] * len(self.edited_bodies)
        if not self._fill(match, 0, len(self.raw_bodies), 0, len(self.edited_bodies), give_up):
            return None
        return match

    def _fill(self, match: list[int | None], i1: int, i2: int, j1: int, j2: int,
              give_up: int | None = None) -> bool:
        """Match edited lines j1..j2 to raw lines i1..i2: each in turn to the first raw line after the
        previous one's that it can be cut from, then each left to one it merely resembles (a
        replacement) among those its neighbours leave. Cuts are settled line by line with the full
        search: first fits find an order whenever one exists (within WINDOW), while settling the
        easy fits of all lines first lets a later line take the raw line an earlier one needs.
        False if `give_up` lines find no cut."""
        if not self._first_fits(match, i1, i2, j1, j2, self._cut, WINDOW, give_up):
            return False
        self._first_fits(match, i1, i2, j1, j2, self._similar, SIMILAR_WINDOW)
        return True

    @staticmethod
    def _first_fits(match: list[int | None], i1: int, i2: int, j1: int, j2: int, fits, window: int,
                    give_up: int | None = None) -> bool:
        """Each unmatched edited line in j1..j2, in order, to the first raw line that `fits` it
        between its matched neighbours' (at most `window` past the previous); False, stopping, once
        `give_up` lines fit none."""
        nxt = [i2] * (j2 - j1 + 1)
        for j in range(j2 - 1, j1 - 1, -1):
            nxt[j - j1] = nxt[j - j1 + 1] if match[j] is None else match[j]
        prev = i1 - 1
        unplaced = 0
        for j in range(j1, j2):
            if match[j] is not None:
                prev = match[j]
                continue
            for i in range(prev + 1, min(nxt[j - j1 + 1], prev + 1 + window)):
                if fits(i, j):
                    match[j] = prev = i
                    break
            else:
                unplaced += 1
                if give_up is not None and unplaced >= give_up:
                    return False
        return True

    def _cut(self, i: int, j: int) -> bool:
        return self.cuts(i, j) is not None

    def _similar(self, i: int, j: int) -> bool:
        """Worth pairing as one edited line rather than a deletion plus an insertion."""
        raw, edited = self.raw_bodies[i].split(), self.edited_bodies[j].split()
        if not raw or not edited:  # blank lines: compare the characters
            raw, edited = self.raw_bodies[i], self.edited_bodies[j]
        # By words (long lines cost little): most of the edited line is found, in order, in the raw one.
        matcher = SequenceMatcher(None, raw, edited)
        kept = sum(block.size for block in matcher.get_matching_blocks())
        return kept >= 0.5 * len(edited)

    def build(self, match: list[int | None]) -> _Plan:
        rb, eb = self.raw_bodies, self.edited_bodies
        ops: list[tuple[int, int, Operation]] = []
        unexpressed: list[dict] = []
        used = [False] * len(rb)
        for i in match:
            if i is not None:
                used[i] = True

        # `apply` ends the result as the raw text ends: without a final terminator, removing the last
        # line also removes the terminator of the last line kept.
        ends = [line[len(body):] for line, body in zip(self.raw_lines, rb)]
        last = len(rb) - 1
        deleted = 0
        if (rb and not ends[last] and not used[last] and any(used) and self.edited_lines
                and self.edited_lines[-1] != eb[-1]):
            # The edited text keeps the line end that deleting the raw last line would take away:
            # empty that line instead (a whole body is unique in its line), which keeps it.
            used[last] = True
            ops.append((last, 0, RemoveStr(last, rb[last])))
            deleted += len(rb[last])
        start = None
        for i, is_used in enumerate([*used, True]):
            if not is_used and start is None:
                start = i
            elif is_used and start is not None:
                ops.append((start, 0, RemoveLines(start, i - 1)))
                deleted += sum(map(len, self.raw_lines[start:i]))
                start = None
        last_used = max((i for i, is_used in enumerate(used) if is_used), default=None)
        if rb and not ends[last] and last_used is not None and last_used < last:
            deleted += len(ends[last_used])
            ends[last_used] = ""
        next_raw = len(rb)
        for j in range(len(eb) - 1, -1, -1):
            i = match[j]
            if i is None:
                line = self.edited_lines[j]
                unexpressed.append({"kind": "insert", "line": next_raw, "raw": "", "edited": line,
                                    "chars": len(line)})
                continue
            next_raw = i
            if rb[i] != eb[j]:
                cuts = self.cuts(i, j)
                if cuts is None:
                    cuts, spans = partial_deletions(rb[i], eb[j])
                    unexpressed.extend(dict(span, line=i) for span in spans)
                ops.extend((i, n, RemoveStr(i, s)) for n, s in enumerate(cuts))
                deleted += sum(map(len, cuts))
            raw_end = ends[i]
            edited_end = self.edited_lines[j][len(eb[j]):]
            if raw_end != edited_end:
                unexpressed.append({"kind": "terminator", "line": i, "raw": raw_end, "edited": edited_end,
                                    "chars": _changed_chars(raw_end, edited_end)})
        unexpressed.sort(key=lambda u: u["line"])
        ops.sort(key=lambda item: item[:2])
        return _Plan(tuple(op for _, _, op in ops), unexpressed, deleted)


def _line_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes for two lists of lines. difflib is quadratic in the lines between its
    matches, so long documents are first cut at anchors, lines that occur once in each and in the
    same order (patience diff), and each gap between anchors is diffed alone."""
    if len(a) * len(b) <= ANCHOR_ABOVE:
        return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    count_a, count_b = Counter(a), Counter(b)
    where_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [(i, where_b[line]) for i, line in enumerate(a) if count_a[line] == 1 and line in where_b]
    anchors = _increasing(pairs)
    opcodes = []
    prev_i = prev_j = 0
    for i, j in [*anchors, (len(a), len(b))]:
        if i > prev_i or j > prev_j:
            gap = SequenceMatcher(None, a[prev_i:i], b[prev_j:j], autojunk=False).get_opcodes()
            opcodes += [(tag, i1 + prev_i, i2 + prev_i, j1 + prev_j, j2 + prev_j) for tag, i1, i2, j1, j2 in gap]
        if i < len(a):
            opcodes.append(("equal", i, i + 1, j, j + 1))
        prev_i, prev_j = i + 1, j + 1
    return opcodes


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (sorted by first item) whose second items increase."""
    tails: list[int] = []  # tails[k]: the pair ending the best run of length k + 1 found so far
    ends: list[int] = []  # its second item, for bisection
    before = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        at = bisect_left(ends, j)
        if at:
            before[k] = tails[at - 1]
        if at == len(tails):
            tails.append(k)
            ends.append(j)
        else:
            tails[at] = k
            ends[at] = j
    run = []
    k = tails[-1] if tails else -1
    while k >= 0:
        run.append(pairs[k])
        k = before[k]
    return run[::-1]


def line_deletions(body: str, target: str, budget: int = 256, shortest: bool = True) -> list[str] | None:
    """Strings whose `remove_str`, in order, turns `body` into `target`, each unique in its turn.

    A depth-first search over the ways to cut (different alignments of `target` in `body`, and
    which unique deletion goes first), the first way tried being the usual answer; if it fails, the
    same search by increasing number of cuts (up to SHORTEST_MAX, if `shortest`), which finds short
    answers that the first one's long detours miss. `budget` bounds the texts each search expands, so
    that a pair no program expresses costs little.
    """
    if body == target:
        return []
    if _leftmost_subsequence(body, target) is None:
        return None
    steps: dict[str, _Memo] = {}  # the search by number of cuts revisits texts
    # Different orders of the same cuts meet at the same text: the most cuts in which it is known
    # (searched to the end, within budget) not to reach `target`; inf: in any number. The second
    # search skips what the first settled (a text one cut away is the first search's first step).
    dead: dict[str, float] = {}
    tries = [0]

    def search(body: str, depth: float) -> list[str] | None:
        if body == target:
            return []
        if depth == 1:
            last = _single_cut(body, target)
            return None if last is None else [body[last[0]:last[0] + last[1]]]
        if depth == 0 or dead.get(body, 0) >= depth or tries[0] <= 0:
            return None
        tries[0] -= 1
        if body not in steps:
            steps[body] = _Memo(_unique_steps(body, target))
        for at, length in steps[body]:
            rest = search(body[:at] + body[at + length:], depth - 1)
            if rest is not None:
                return [body[at:at + length], *rest]
        if tries[0] > 0:
            dead[body] = depth
        return None

    tries[0] = budget
    found = search(body, math.inf)  # any number of cuts
    if found is None and shortest:
        tries[0] = budget
        for depth in range(2, SHORTEST_MAX + 1):
            found = search(body, depth)
            if found is not None or tries[0] <= 0:
                break
    return found


class _Memo:
    """An iterable that draws from a generator only as far as asked, and remembers."""

    def __init__(self, items):
        self._source = items
        self._seen: list = []

    def __iter__(self):
        k = 0
        while True:
            if k == len(self._seen):
                item = next(self._source, None)
                if item is None:
                    return
                self._seen.append(item)
            yield self._seen[k]
            k += 1


def partial_deletions(body: str, target: str) -> tuple[list[str], list[dict]]:
    """For a line that is not a pure deletion: the deletions that can be expressed, and the spans
    that cannot ({"kind", "raw", "edited", "chars"}). A replacement by shorter text is split into a
    deletion and a replacement of the same length where that helps ("Posted by: great" ->
    "Great" deletes "Posted by: " and reports "g" -> "G")."""
    cuts: list[str] = []
    spans: list[dict] = []
    current = body

    def cut(old: str) -> bool:
        nonlocal current
        at = find_unique(current, old)
        if at < 0:
            return False
        cuts.append(old)
        current = current[:at] + current[at + len(old):]
        return True

    for tag, i1, i2, j1, j2 in _char_opcodes(body, target):
        old, new = body[i1:i2], target[j1:j2]
        if tag == "equal" or (tag == "delete" and cut(old)):
            continue
        if tag == "replace" and len(old) > len(new):
            head, tail = old[:len(new)], old[-len(new):]
            if _alike(tail, new) >= _alike(head, new) and cut(old[:-len(new)]):
                old = tail
            elif cut(old[len(new):]):
                old = head
        spans.append({"kind": tag, "raw": old, "edited": new, "chars": max(len(old), len(new))})
    return cuts, spans


def _char_opcodes(a: str, b: str) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes for two lines; for lines too long for its quadratic worst case, the common
    prefix and suffix around one replaced middle."""
    if len(a) * len(b) <= CHAR_DIFF_MAX:
        return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    p = _common_prefix(a, b)
    q = min(_common_prefix(a[::-1], b[::-1]), len(a) - p, len(b) - p)
    ends = [("equal", 0, p, 0, p)] if p else []
    middle = ("replace" if len(a) - q > p and len(b) - q > p else "delete" if len(a) - q > p else "insert",
              p, len(a) - q, p, len(b) - q)
    return ends + [middle] + ([("equal", len(a) - q, len(a), len(b) - q, len(b))] if q else [])


def _alike(a: str, b: str) -> int:
    """Positions where two equally long strings agree, ignoring case."""
    return sum(x == y for x, y in zip(a.lower(), b.lower()))


def _unique_steps(body: str, target: str):
    """(position, length) of unique deletions in `body` that keep `target` reachable, best first."""
    seen = set()
    for segments in _segmentations(body, target):
        for step in _unique_cuts(body, segments):
            if step not in seen:
                seen.add(step)
                yield step
    for step in _every_unique_cut(body, target):
        if step not in seen:
            seen.add(step)
            yield step


def _every_unique_cut(body: str, target: str):
    """Every unique deletion inside the span where `body` and `target` differ (plus a margin), after
    which `target` is still a subsequence; only when that span is short, since repeated characters
    there can defeat the alignments above."""
    prefix = _common_prefix(body, target)
    suffix = _common_prefix(body[::-1], target[::-1])
    a, b = min(prefix, len(target)), len(body) - min(suffix, len(target))
    lo, hi = max(0, min(a, b) - MARGIN), min(len(body), max(a, b) + MARGIN)
    if hi - lo > EXHAUSTIVE_MAX:
        return
    # ahead[k]: how much of target's start body[:k] holds, in order; behind[k]: of its end, body[k:].
    # target survives cutting body[at:at + length] iff ahead[at] + behind[at + length] >= len(target).
    ahead, behind = [0] * (len(body) + 1), [0] * (len(body) + 1)
    m = 0
    for k, char in enumerate(body):
        if m < len(target) and char == target[m]:
            m += 1
        ahead[k + 1] = m
    m = 0
    for k in range(len(body) - 1, -1, -1):
        if m < len(target) and body[k] == target[-1 - m]:
            m += 1
        behind[k] = m
    found = []
    for length in range(min(hi - lo, len(body) - len(target)), 0, -1):
        for at in range(lo, hi - length + 1):
            if ahead[at] + behind[at + length] >= len(target) and find_unique(body, body[at:at + length]) == at:
                rest = body[:at] + body[at + length:]
                found.append((_unsettled(rest, target), at, length))
    found.sort()  # the cuts that leave the least to do first
    for _, at, length in found:
        yield at, length


def _unsettled(body: str, target: str) -> int:
    """How much of `body` lies between its common prefix and suffix with `target`."""
    prefix = _common_prefix(body, target)
    suffix = _common_prefix(body[::-1], target[::-1])
    return max(0, len(body) - prefix - suffix)


def _single_cut(body: str, target: str) -> tuple[int, int] | None:
    """(position, length) of the one unique deletion that leaves `target`, if there is one."""
    extra = len(body) - len(target)
    if extra <= 0:
        return None
    prefix = _common_prefix(body, target)
    if prefix + _common_prefix(body[::-1], target[::-1]) < len(target):
        return None
    at = min(prefix, len(target))
    at = _unique_slide(body, at, at + extra, 0, len(body))
    return None if at is None else (at, extra)


def _segmentations(body: str, target: str):
    """Ways to delete disjoint spans of `body` leaving `target`: one span if one does, else the
    diff's spans, the earliest-kept and the latest-kept alignments. None if `target` is no subsequence."""
    extra = len(body) - len(target)
    if extra <= 0:
        return
    prefix = _common_prefix(body, target)
    suffix = _common_prefix(body[::-1], target[::-1])
    if prefix + suffix >= len(target):
        at = min(prefix, len(target))
        yield [(at, at + extra)]
    leftmost = _leftmost_subsequence(body, target)
    if leftmost is None:
        return
    opcodes = SequenceMatcher(None, body, target, autojunk=False).get_opcodes()
    if all(tag in ("equal", "delete") for tag, *_ in opcodes):
        yield [(i1, i2) for tag, i1, i2, _, _ in opcodes if tag == "delete"]
    yield _gaps(leftmost, len(body))
    last = len(body) - 1
    yield _gaps([last - k for k in reversed(_leftmost_subsequence(body[::-1], target[::-1]))], len(body))


def _gaps(kept: list[int], size: int) -> list[tuple[int, int]]:
    """The spans of range(size) between the kept positions."""
    spans = []
    prev = 0
    for k in [*kept, size]:
        if k > prev:
            spans.append((prev, k))
        prev = k + 1
    return spans


def _unique_cuts(body: str, segments: list[tuple[int, int]]):
    """(position, length) of each deletion among `segments` that some slide makes unique, single
    segments first, then neighbours merged by sliding one onto the other."""
    bounds = [0, *(j for _, j in segments)], [*(i for i, _ in segments), len(body)]
    for k, (i, j) in enumerate(segments):
        at = _unique_slide(body, i, j, bounds[0][k], bounds[1][k + 1])
        if at is not None:
            yield at, j - i
    for k in range(len(segments) - 1):
        (i1, j1), (i2, j2) = segments[k], segments[k + 1]
        gap = i2 - j1
        lo, hi = bounds[0][k], bounds[1][k + 2]
        if body[i1:i1 + gap] == body[j1:i2]:  # the first slides right onto the second
            at = _unique_slide(body, i2 - (j1 - i1), j2, lo, hi)
            if at is not None:
                yield at, (j1 - i1) + (j2 - i2)
        if body[j2 - gap:j2] == body[j1:i2]:  # the second slides left onto the first
            at = _unique_slide(body, i1, j1 + (j2 - i2), lo, hi)
            if at is not None:
                yield at, (j1 - i1) + (j2 - i2)


def _unique_slide(body: str, i: int, j: int, lo: int, hi: int) -> int | None:
    """A start in [lo, hi - (j - i)] where deleting j - i chars gives what deleting body[i:j] gives,
    and the deleted string is unique in `body`."""
    left = 0
    while left < MAX_SLIDE and i - left - 1 >= lo and body[i - left - 1] == body[j - left - 1]:
        left += 1
    right = 0
    while right < MAX_SLIDE and j + right < hi and body[i + right] == body[j + right]:
        right += 1
    length = j - i
    for at in range(i - left, i + right + 1):
        if find_unique(body, body[at:at + length]) == at:
            return at
    return None


def _leftmost_subsequence(body: str, target: str) -> list[int] | None:
    """Positions in `body` of `target`'s chars, each as early as possible; None if not a subsequence."""
    kept = []
    pos = 0
    find = body.find
    for char in target:
        pos = find(char, pos)
        if pos < 0:
            return None
        kept.append(pos)
        pos += 1
    return kept


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (slice comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _changed_chars(a: str, b: str) -> int:
    """Chars that differ between two line terminators ("\\r\\n" vs "\\n" is one)."""
    common = 0
    while common < min(len(a), len(b)) and a[-1 - common] == b[-1 - common]:
        common += 1
    return len(a) + len(b) - 2 * common
