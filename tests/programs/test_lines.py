"""`programs.lines.runs`: consecutive flagged lines as the inclusive ranges `remove_lines` takes."""

from hypothesis import given
from hypothesis import strategies as st

from programs.lines import runs


def test_runs_of_flags():
    assert runs([]) == []
    assert runs([0, 0]) == []
    assert runs([1, 1, 0, 1]) == [(0, 1), (3, 3)]
    assert runs([0, 1, 1]) == [(1, 2)]
    assert runs(iter([True])) == [(0, 0)]  # any iterable


@given(st.lists(st.booleans(), max_size=60))
def test_runs_cover_exactly_the_flagged_lines_in_maximal_ranges(flags):
    spans = runs(flags)
    covered = {i for a, b in spans for i in range(a, b + 1)}
    assert covered == {i for i, f in enumerate(flags) if f}
    assert all(a <= b for a, b in spans)
    assert all(b + 1 < a2 for (_, b), (a2, _) in zip(spans, spans[1:]))  # a gap between every two
