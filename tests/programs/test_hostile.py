"""Hostile program texts: each is refused with a `ProgramError` in bounded time, and nothing runs.

Two canaries would tell if anything were executed: a file the hostile code would create, and a
module (`refine_canary`) whose list it would append to. The cases include what crashes or stalls
libcst itself (10,000 nested brackets end the process; 5,000-long operator chains take seconds), so
they also prove that the pre-scan stops such texts before libcst sees them.
"""

import sys
import time
import types

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from programs.ops import Limits, Program, ProgramError
from programs.parse import try_parse

BUDGET_S = 1.0
# Raising the size limits must not open the door: every case also runs with these, which let the
# million-character nestings and chains through to the structural guards.
GENEROUS = Limits(max_chars=2_000_000, max_calls=100_000, max_string=100_000, max_int=10**18)


@pytest.fixture
def canary(tmp_path, monkeypatch):
    module = types.SimpleNamespace(hits=[])
    monkeypatch.setitem(sys.modules, "refine_canary", module)
    path = tmp_path / "CANARY"
    yield str(path)
    assert module.hits == [], "hostile code ran"
    assert not path.exists(), "hostile code ran"


def hostile_texts(canary: str) -> list:
    flag = "__import__('refine_canary').hits.append(1)"
    return [
        f"__import__('os').system('touch {canary}')",
        f"keep_doc()\n__import__('os').system('touch {canary}')",
        flag,
        f"keep_doc(); {flag}",
        f"remove_str(line=0, del_str={flag})",
        f"remove_str(line=0, del_str=str({flag}))",
        "import os",
        f"import os; os.system('touch {canary}')",
        "from os import system",
        "().__class__.__bases__[0].__subclasses__()",
        "keep_doc().__class__.__bases__[0].__subclasses__()",
        f"open('{canary}', 'w')",
        f"open('{canary}', 'w').write('x')",
        f"exec(\"open('{canary}', 'w')\")",
        f"eval(\"open('{canary}', 'w')\")",
        f"os.system('touch {canary}')",
        f"keep_doc.__globals__['__builtins__']['open']('{canary}', 'w')",
        f"remove_str(line=0, del_str=open('{canary}', 'w'))",
        "remove_lines(line_start=10**100, line_end=1)",
        "remove_lines(line_start=" + "9" * 100_000 + ", line_end=1)",
        "remove_lines(line_start=1" + "0" * 100 + ", line_end=1" + "0" * 100 + ")",
        "keep_doc(" * 100_000 + ")" * 100_000,
        "(" * 100_000,
        "[" * 100_000,
        "f" + "()" * 50_000,
        "keep_doc()" + ".a" * 50_000,
        "remove_lines(line_start=" + "-" * 100_000 + "1, line_end=2)",
        "not " * 50_000 + "x",
        "x" + " if x else x" * 10_000,
        "lambda:" * 20_000 + "x",
        "a" + "[0]" * 30_000,
        'remove_str(line=0, del_str=' + '"a" ' * 100_000 + ')',
        'remove_str(line=0, del_str="' + "x" * 10_000_000 + '")',
        'remove_str(line=0, del_str="' + "\\n" * 5_000_000 + '")',
        "keep_doc()\n" * 1_000_000,
        f"(lambda: open('{canary}', 'w'))()",
        f"remove_str(line=0, del_str=(lambda: open('{canary}', 'w'))())",
        f"(x := open('{canary}', 'w'))",
        f"@open('{canary}', 'w')\ndef f(): pass",
        f"x = open('{canary}', 'w')",
        f"remove_str(line=0, del_str=f\"{{open('{canary}', 'w')}}\")",
        f"remove_str(line=0, del_str=f'{{{flag}}}')",
        f"remove_str(line=0, del_str=rf\"{{{flag}}}\")",
        "remove_str(line=0, del_str=b'x')",
        f"remove_str(line=0, del_str=b'{canary}'.decode())",
        "keep_doc(*args)",
        "keep_doc(*[1])",
        "remove_lines(**{})",
        "remove_lines(**{'line_start': 0, 'line_end': 1})",
        "remove_lines(line_start=1-1, line_end=2)",
        "remove_lines(line_start=True, line_end=2)",
        "remove_lines(line_start=None, line_end=2)",
        "remove_lines(line_start=~0, line_end=2)",
        "remove_lines(line_start=[0][0], line_end=2)",
        "remove_lines(line_start=len('a'), line_end=2)",
        "remove_str(line=0, del_str='a' + 'b')",
        "remove_str(line=0, del_str='a' * 10**9)",
        "remove_str(line=0, del_str=[c for c in 'ab'])",
        f"[open('{canary}', 'w') for _ in 'a']",
        f"class A: x = open('{canary}', 'w')",
        f"def f(): open('{canary}', 'w')",
        f"with open('{canary}', 'w'): pass",
        f"try:\n    open('{canary}', 'w')\nexcept: pass",
        f"if True: open('{canary}', 'w')",
        "globals()['x'] = 1",
        "__builtins__",
        "breakpoint()",
        "keep_doc()\x00",
        b"keep_doc()\xff\xfe",
        b"remove_str(line=0, del_str='\xc3\x28')",
        "keep_doc()\ud800",
        "remove_str(line=0, del_str='\\ud800')",
        "remove_str(line=0, del_str='''a\nb''')",
        "remove_str(line=0, del_str=\"unterminated)",
        "keep_doc() # ok\n" + "\\\n" * 1000 + "os.system('x')",
    ]


@pytest.mark.parametrize("limits", [Limits(), GENEROUS], ids=["default", "generous"])
def test_every_hostile_text_is_refused_quickly_and_nothing_runs(canary, limits):
    for text in hostile_texts(canary):
        started = time.perf_counter()
        result = try_parse(text, limits=limits, cache=False)
        elapsed = time.perf_counter() - started
        assert isinstance(result, ProgramError), (text[:80], result)
        assert elapsed < BUDGET_S, (text[:80], elapsed)


@pytest.mark.parametrize("dialect", ["prox", "refinex"])
def test_refusals_are_the_same_in_every_dialect(canary, dialect):
    for text in hostile_texts(canary)[:20]:
        assert isinstance(try_parse(text, dialect), ProgramError), text[:80]


# Fragments of Python, shuffled: whatever comes out must be a Program or a ProgramError.
fragments = st.sampled_from([
    "keep_doc", "remove_lines", "remove_str", "normalize", "(", ")", "[", "]", "{", "}", ",", "=",
    ";", ":", ".", "*", "**", "-", "+", " ", "\n", "\\\n", "#", "'", '"', '"""', "f'", "b'", "r'",
    "0", "1", "99", "x", "line_start", "del_str", "not", "if", "else", "lambda", "import", "await",
    "\\", "\\n", "\\u00e9", "\t", "    ", "é", "\x00", "```", "```python\n", "@", ":=",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments, max_size=40).map("".join))
def test_fragments_never_escape_as_other_exceptions(text):
    result = try_parse(text, cache=False)
    assert isinstance(result, (Program, ProgramError))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
@example("\U00031350")  # an unassigned code point libcst reads as a name and then refuses to build
def test_arbitrary_text_never_escapes_as_other_exceptions(text):
    assert isinstance(try_parse(text, cache=False), (Program, ProgramError))
