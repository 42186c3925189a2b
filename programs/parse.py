"""Program text -> `Program`, or a `ProgramError` with a code and a 1-based (line, col) position.

The language
------------
A program is a sequence of calls, one or several per line (separated by `;`), with comments (`#`) and
blank lines allowed anywhere::

    keep_doc()                                  # doc stage: keep the document (ProX alias: untouch_doc())
    drop_doc()                                  # doc stage: drop it
    keep_chunk()                                # chunk stage: leave the chunk as it is
    remove_lines(line_start=0, line_end=4)      # remove lines 0..4, inclusive
    remove_str(line=12, del_str="Share on Facebook")
    normalize(source_str="&nbsp;", target_str=" ")   # target_str defaults to ""

Arguments are keyword or positional (in the order shown), never both for one parameter. Line
numbers are decimal integers, the document's own, 0-based and inclusive (ProX's convention).
Strings are Python string literals, single- or double-quoted, optionally raw (`r`) or `u`-prefixed,
with Python's escapes (`\\n`, `\\"`, `\\\\`, `\\t`, `\\xNN`, `\\uXXXX`, `\\N{...}`, ...), and adjacent
literals concatenate. A surrounding Markdown code fence, indentation, trailing spaces, `\\r\\n` line
ends and a trailing `;` are accepted, as real models write them. A text of only comments and blank
lines is the empty program.

Refused, with a code: text that is not Python (`syntax`); a call of anything but an operation
(`unknown_op`); an argument of the wrong type, an unknown, duplicate or missing argument, a negative
line number, `line_start > line_end`, an empty `del_str` or `source_str`, a malformed escape
(`bad_argument`); a name, call or expression where a literal belongs (`not_literal`); attribute
access, subscripts, starred arguments, assignments, imports, definitions, lambdas, f-strings, byte
strings, triple-quoted strings, operators (`not_allowed`); text beyond `Limits` (`too_large`); bytes
that are not UTF-8 or text with NUL characters (`encoding`). Nothing is ever evaluated: libcst builds
a syntax tree and only whitelisted nodes become operations.

Dialects: `prox` (the default, as above) and `refinex` (1-based line numbers, `keep_all()` for
`keep_chunk()`, `start_line`/`end_line` for `remove_lines`; ProX's keyword names are accepted too).
Whatever the dialect, a parsed `Program` holds 0-based line numbers.

Size limits are checked on the raw text, before libcst sees it, by one linear scan that separates
strings and comments from code: libcst's parser is recursive and superlinear on deep expressions
(10,000 nested brackets crash the process; 5,000-long operator chains take seconds), so the scan
also refuses what no program contains: brackets nested deeper than `MAX_NESTING`, and more than
`MAX_OPERATORS` operators or Python keywords outside strings.

Speed: identical texts are parsed once (an LRU cache of programs and errors alike), and canonical
text (`render`'s form, what models trained on it emit) is read by one regex per line, 20-50x faster
than libcst, which reads everything else and reports every error.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Iterator, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from programs.dialects import DIALECTS, Dialect, Param, get_dialect, signature  # noqa: F401 (re-exported)
from programs.ops import (
    OPERATIONS,
    Limits,
    Operation,
    Program,
    ProgramError,
    RemoveLines,
)

DEFAULT_LIMITS = Limits()
MAX_NESTING = 4  # programs nest one bracket deep; a few more keep libcst's errors informative
MAX_OPERATORS = 32  # programs have none; a few let libcst name what is wrong (`os.system`, `-1`)
CACHE_SIZE = 16_384


# ---------------------------------------------------------------------------------------------
# The names and keywords each dialect accepts (the dialects themselves: `dialects.py`).

@cache
def _op_table(dialect: Dialect) -> dict[str, type]:
    """Every name the dialect accepts for an operation -> its class."""
    table = dict(OPERATIONS)
    table.update({alias: OPERATIONS[canonical] for alias, canonical in dialect.aliases.items()})
    table.update({name: OPERATIONS[canonical] for canonical, name in dialect.names.items()})
    return table


@cache
def _keyword_table(dialect: Dialect, op_type: type) -> dict[str, Param]:
    """Every keyword the dialect accepts for an operation's parameters -> the parameter."""
    table = {}
    for p in signature(op_type):
        table[p.name] = p
        table[dialect.keyword(p.name)] = p
    return table


# ---------------------------------------------------------------------------------------------
# Public API

def parse(text: Union[str, bytes], dialect: str = "prox", limits: Limits = DEFAULT_LIMITS,
          scope: tuple[int, int] | None = None, *, cache: bool = True) -> Program:
    """The program `text` denotes; raises `ProgramError`. Identical texts are parsed once."""
    result = try_parse(text, dialect, limits, scope, cache=cache)
    if isinstance(result, ProgramError):
        raise result.with_traceback(None)  # a cached error must not accumulate tracebacks
    return result


def try_parse(text: Union[str, bytes], dialect: str = "prox", limits: Limits = DEFAULT_LIMITS,
              scope: tuple[int, int] | None = None, *, cache: bool = True) -> Program | ProgramError:
    """Like `parse`, with the error returned as a value (what the interpreter counts)."""
    get_dialect(dialect)  # a bad dialect name is a bug at the edge, not a program error
    if len(text) > limits.max_chars * (4 if isinstance(text, bytes) else 1):  # UTF-8: <= 4 bytes a char
        # Not cached: the cache would keep huge texts alive, and refusing them is O(1) anyway.
        unit = "bytes" if isinstance(text, bytes) else "characters"
        return ProgramError("too_large", f"program of {len(text):,} {unit}; the limit is "
                                         f"{limits.max_chars:,} characters")
    result = (_parse_cached if cache else _parse_text)(text, dialect, limits)
    if scope is not None and isinstance(result, Program):
        result = dataclasses.replace(result, scope=scope)
    return result


def clear_cache() -> None:
    _parse_cached.cache_clear()


def cache_info():
    return _parse_cached.cache_info()


def _parse_text(text: Union[str, bytes], dialect_name: str, limits: Limits) -> Program | ProgramError:
    source = None
    try:
        source = _Source.prepare(text, limits)
        fast = _fast_parse(source.text, get_dialect(dialect_name), limits)
        if fast is not None:
            return fast
        _prescan(source.text, limits)
        module = _libcst_parse(source.text)
        ops = _whitelisted(module, get_dialect(dialect_name), limits)
    except _Refusal as r:
        line, col = source.position(r.line, r.col) if source else (r.line, r.col)
        return ProgramError(r.code, r.message, line, col)
    if len(ops) > limits.max_calls:
        return ProgramError("too_large", f"{len(ops)} operations; the limit is {limits.max_calls}")
    return Program(ops)


_parse_cached = lru_cache(maxsize=CACHE_SIZE)(_parse_text)


class _Refusal(Exception):
    """Internal: why the text is not a program, and where (a libcst node, or a line and column)."""

    def __init__(self, code: str, message: str, node: cst.CSTNode | None = None,
                 line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.code, self.message, self.node, self.line, self.col = code, message, node, line, col


def _refuse_at(code: str, message: str, text: str, offset: int) -> _Refusal:
    """A refusal at a character offset of `text` (1-based line and column)."""
    line = text.count("\n", 0, offset) + 1
    return _Refusal(code, message, None, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


# ---------------------------------------------------------------------------------------------
# Preparing the text: decoding, code fences, indentation.

_FENCE_OPEN = re.compile(r"\A\s*```[^\n`]*\n")


@dataclass
class _Source:
    """The text libcst sees, and how its positions map back to the text the model wrote."""

    text: str
    line_shift: int = 0  # lines removed above (an opening code fence)
    indents: dict[int, int] = field(default_factory=dict)  # line -> indentation removed

    @classmethod
    def prepare(cls, text: Union[str, bytes], limits: Limits) -> "_Source":
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as e:
                raise _Refusal("encoding", f"program is not UTF-8: {e.reason} at byte {e.start}") from None
        if len(text) > limits.max_chars:
            raise _Refusal("too_large", f"program of {len(text):,} characters; the limit is "
                                        f"{limits.max_chars:,}")
        nul = text.find("\0")
        if nul >= 0:
            raise _refuse_at("encoding", "program contains a NUL character", text, nul)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _refuse_at("encoding", "program contains a lone surrogate", text, e.start) from None
        text = text.replace("\r\n", "\n")
        source = cls(text)
        fence = _FENCE_OPEN.match(text)
        if fence:
            source.line_shift = text.count("\n", 0, fence.end())
            text = text[fence.end():]
        tail = text.rstrip()
        if tail.endswith("```"):
            last_line = tail.rfind("\n") + 1
            if tail[last_line:].strip() == "```":
                text = tail[:last_line]
        source.text = text
        # Indentation means nothing in this language, but Python refuses it. Lines continued by a
        # backslash (inside a string) must keep theirs, so then the text is left as it is.
        indented = text[:1] in (" ", "\t", "\f") or any(f"\n{c}" in text for c in " \t\f")
        if indented and "\\\n" not in text:
            lines = text.split("\n")
            for i, line in enumerate(lines):
                body = line.lstrip(" \t\f")
                if body and len(body) != len(line):
                    source.indents[i + 1] = len(line) - len(body)
                    lines[i] = body
            source.text = "\n".join(lines)
        return source

    def position(self, line: int | None, col: int | None) -> tuple[int | None, int | None]:
        if line is None:
            return None, None
        return line + self.line_shift, (col or 1) + self.indents.get(line, 0)


# ---------------------------------------------------------------------------------------------
# The pre-scan: one linear pass over the text before libcst sees it.

# Every alternative starts with a literal character, so `re` skips ahead to the next quote or `#`
# instead of trying each alternative at each position, and string bodies are unrolled loops. Which
# alternative matched is read from the match: a body group (a string), the first character (a
# comment), three characters (a triple quote), or else a lone quote (an unterminated string).
_STRINGS = re.compile(
    r"""
      '''|\"\"\"
    | "(?P<dbody>[^"\\\n\r]*+(?:\\[\s\S][^"\\\n\r]*+)*+)"
    | '(?P<sbody>[^'\\\n\r]*+(?:\\[\s\S][^'\\\n\r]*+)*+)'
    | "|'
    | \#[^\n]*
    """,
    re.VERBOSE,
)
_BRACKET = re.compile(r"[()\[\]{}]")
_OPERATOR = re.compile(r"[^\w\s(),=;\\]")
_WORD = re.compile(r"[^\W\d]\w*")  # `1if` is `1 if` to Python: a word never starts with a digit
_KEYWORDS = frozenset(keyword.kwlist)


def _prescan(text: str, limits: Limits) -> None:
    """Refuse, in linear time, texts that are too large or that no program resembles. Strings and
    comments are found exactly as Python's tokenizer finds them (f-strings, whose insides Python
    tokenizes as code, are refused first), then blanked out, so what remains is the code."""
    code = _code_only(text, limits)
    calls = depth = operators = 0
    for m in _BRACKET.finditer(code):
        at = m.start()
        if code[at] in "([{":
            calls += 1
            depth += 1
            if code[at] != "(" or not _after_name(code, at):
                operators += 1  # a bracket after no name: a chained call, a tuple, a subscript...
            if calls > limits.max_calls:
                raise _refuse_at("too_large", f"more than {limits.max_calls} calls", text, at)
            if depth > MAX_NESTING:
                raise _refuse_at("not_allowed", f"brackets nested more than {MAX_NESTING} deep; "
                                                "arguments are literals", text, at)
        elif depth:
            depth -= 1
        else:
            operators += 1  # an unmatched closing bracket
        if operators > MAX_OPERATORS:
            break
    operators += len(_OPERATOR.findall(code))
    operators += sum(word in _KEYWORDS for word in _WORD.findall(code))
    if operators > MAX_OPERATORS:
        first = _OPERATOR.search(code)
        raise _refuse_at("not_allowed", f"more than {MAX_OPERATORS} operators, keywords or stray "
                                        "brackets outside strings; a program is only calls with "
                                        "literal arguments", text, first.start() if first else 0)


def _code_only(text: str, limits: Limits) -> str:
    """`text` with strings and comments blanked (same length and lines), refusing the strings that
    are not plain: f-strings, byte strings, triple-quoted, unterminated or too long ones."""
    pieces, end = [], 0
    for m in _STRINGS.finditer(text):
        at, body = m.start(), m["dbody"] if m["dbody"] is not None else m["sbody"]
        if body is None and m[0][0] != "#":
            if len(m[0]) == 3:
                raise _refuse_at("not_allowed", "triple-quoted strings are not allowed; write "
                                                "newlines as \\n", text, at)
            raise _refuse_at("syntax", "unterminated string", text, at)
        if body is not None:
            prefix = _prefix(text, at).lower()
            if "f" in prefix or "t" in prefix:
                raise _refuse_at("not_allowed", "f-strings are not allowed; write a plain string",
                                 text, at - len(prefix))
            if "b" in prefix:
                raise _refuse_at("not_allowed", "byte strings are not allowed; write a plain string",
                                 text, at - len(prefix))
            # Exact without escapes; with them, no literal over 10x the limit decodes under it
            # (the longest escape of one character, \UXXXXXXXX, is 10 characters; \N{...} aside).
            escaped = "\\" in body
            if len(body) > limits.max_string and (not escaped or len(body) > 10 * limits.max_string):
                raise _refuse_at("too_large", f"string of {len(body):,} characters; the limit is "
                                              f"{limits.max_string:,}", text, at)
        blank = m[0]
        pieces += [text[end:at], re.sub(r"[^\n]", " ", blank) if "\n" in blank else " " * len(blank)]
        end = m.end()
    pieces.append(text[end:])
    return "".join(pieces)


def _prefix(text: str, quote_at: int) -> str:
    """The letters just before a quote, up to 3: where Python reads a string prefix (`rb`, `f`)."""
    start = quote_at
    while start > max(quote_at - 3, 0) and text[start - 1].isascii() and text[start - 1].isalpha():
        start -= 1
    return text[start:quote_at]


def _after_name(code: str, at: int) -> bool:
    """Whether the bracket at `at` follows a name (a call), spaces aside."""
    i = at - 1
    while i >= 0 and code[i] in " \t":
        i -= 1
    return i >= 0 and (code[i].isalnum() or code[i] == "_")


# ---------------------------------------------------------------------------------------------
# The canonical fast path: what `render` writes (and models trained on it emit) is matched line by
# line with one regex per operation, 20-50x faster than libcst. Anything else, including every
# error, goes through libcst, so errors and their positions have one source.

_FAST_INT = r"(0|[1-9][0-9]{0,17})"
_FAST_STR = r'"([^"\\\n\r]*+(?:\\[\\"nrt][^"\\\n\r]*+)*+)"'
_FAST_ESCAPES = re.compile(r"\\(.)")
_FAST_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


@cache
def _fast_patterns(dialect: Dialect) -> dict[str, tuple[type, re.Pattern]]:
    """Operation name (as this dialect writes it) -> (class, regex of its canonical call)."""
    patterns = {}
    for canonical, op_type in OPERATIONS.items():
        name = dialect.op_name(canonical)
        args = ", ".join(f"{dialect.keyword(p.name)}={_FAST_INT if p.type is int else _FAST_STR}"
                         for p in signature(op_type))
        patterns[name] = (op_type, re.compile(re.escape(name) + r"\(" + args + r"\)[ \t]*"))
    return patterns


def _fast_parse(text: str, dialect: Dialect, limits: Limits) -> Program | None:
    """The program, if `text` is canonical calls, one per line, within limits; else None."""
    patterns = _fast_patterns(dialect)
    ops = []
    for line in text.split("\n"):
        if not line or line.isspace():
            continue
        entry = patterns.get(line[:line.find("(")])
        match = entry[1].fullmatch(line) if entry else None
        if match is None:
            return None
        op_type = entry[0]
        values = []
        for param, raw in zip(signature(op_type), match.groups()):
            if param.type is int:
                value = int(raw) - dialect.first_line
                if value < 0 or int(raw) > limits.max_int:
                    return None
            else:
                value = _FAST_ESCAPES.sub(lambda m: _FAST_UNESCAPE[m[1]], raw) if "\\" in raw else raw
                if len(value) > limits.max_string:
                    return None
            values.append(value)
        op = op_type(*values)
        try:
            _check(op, None, dialect)
        except _Refusal:
            return None
        ops.append(op)
        if len(ops) > limits.max_calls:
            return None
    return Program(tuple(ops))


# ---------------------------------------------------------------------------------------------
# libcst and the whitelist.

_SYNTAX_AT = re.compile(r"error at (\d+):(\d+)")


def _libcst_parse(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        message = str(e.message).strip().splitlines()[0] if str(e.message).strip() else "invalid syntax"
        at = _SYNTAX_AT.search(message)
        line, col = (int(at[1]), int(at[2])) if at else (e.raw_line, e.raw_column + 1)
        message = _SYNTAX_AT.sub("", message).replace("parser error: :", "").strip(" :")
        if len(message) > 160:
            message = message[:157] + "..."
        raise _Refusal("syntax", message or "invalid syntax", None, line, col) from None
    except cst.CSTValidationError as e:  # a name libcst's tokenizer took but Python refuses (U+31350)
        raise _Refusal("syntax", str(e).split("\n")[0]) from None
    except RecursionError:  # the pre-scan should make this unreachable; never let it escape
        raise _Refusal("not_allowed", "program nested too deeply") from None


_DESCRIBE = {
    "Import": "an import", "ImportFrom": "an import", "Assign": "an assignment",
    "AugAssign": "an assignment", "AnnAssign": "an assignment", "NamedExpr": "an assignment (:=)",
    "FunctionDef": "a function definition", "ClassDef": "a class definition",
    "Lambda": "a lambda", "Attribute": "attribute access", "Subscript": "a subscript",
    "BinaryOperation": "arithmetic", "UnaryOperation": "an operator", "BooleanOperation": "an operator",
    "Comparison": "a comparison", "Name": "a name", "Call": "a call", "FormattedString": "an f-string",
    "Tuple": "a tuple", "List": "a list", "Dict": "a dict", "Set": "a set", "Await": "await",
    "Yield": "yield", "IfExp": "a conditional expression", "Ellipsis": "...",
    "GeneratorExp": "a generator", "ListComp": "a comprehension", "SetComp": "a comprehension",
    "DictComp": "a comprehension", "Float": "a float", "Imaginary": "a complex number",
    "Integer": "an integer", "SimpleString": "a string", "ConcatenatedString": "a string",
}


def _describe(node: cst.CSTNode) -> str:
    kind = type(node).__name__
    if isinstance(node, cst.Name):
        return f"the name {node.value!r}"
    return _DESCRIBE.get(kind) or f"`{kind.lower()}`"  # If, For, While, Pass, Return, ...


def _whitelisted(module: cst.Module, dialect: Dialect, limits: Limits) -> tuple[Operation, ...]:
    """The module's operations, or a refusal placed at the offending node. Positions are computed
    only here, on the error path: libcst's metadata pass costs more than the parse."""
    try:
        return tuple(_operations(module, dialect, limits))
    except _Refusal as r:
        if r.node is not None:
            start = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)[r.node].start
            r.line, r.col = start.line, start.column + 1
        raise


def _operations(module: cst.Module, dialect: Dialect, limits: Limits) -> Iterator[Operation]:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            raise _Refusal("not_allowed", f"{_describe(statement)} is not allowed; a program is only "
                                          "operation calls", statement)
        for small in statement.body:
            if not isinstance(small, cst.Expr):
                raise _Refusal("not_allowed", f"{_describe(small)} is not allowed; a program is only "
                                              "operation calls", small)
            yield _operation(small.value, dialect, limits)


def _operation(node: cst.BaseExpression, dialect: Dialect, limits: Limits) -> Operation:
    if not isinstance(node, cst.Call):
        raise _Refusal("not_allowed", f"{_describe(node)} is not allowed; a program is only operation "
                                      "calls", node)
    if node.lpar:
        raise _Refusal("not_allowed", "parentheses around a call are not allowed", node)
    if not isinstance(node.func, cst.Name):
        raise _Refusal("not_allowed", f"{_describe(node.func)} is not allowed; call an operation by "
                                      "its name", node.func)
    name = node.func.value
    op_type = _op_table(dialect).get(name)
    if op_type is None:
        known = ", ".join(sorted({dialect.op_name(n) for n in OPERATIONS}))
        raise _Refusal("unknown_op", f"unknown operation {name!r}; operations: {known}", node.func)
    params = signature(op_type)
    keywords = _keyword_table(dialect, op_type)
    values: dict[str, object] = {}
    for i, arg in enumerate(node.args):
        if arg.star:
            raise _Refusal("not_allowed", f"{arg.star}-arguments are not allowed", arg)
        if arg.keyword is None:
            if i >= len(params):
                raise _Refusal("bad_argument", f"{name}() takes {len(params)} argument"
                                               f"{'s' if len(params) != 1 else ''}", arg)
            param = params[i]
        else:
            param = keywords.get(arg.keyword.value)
            if param is None:
                expected = ", ".join(dialect.keyword(p.name) for p in params) or "no arguments"
                raise _Refusal("bad_argument", f"{name}() has no argument {arg.keyword.value!r} "
                                               f"(arguments: {expected})", arg.keyword)
        if param.name in values:
            raise _Refusal("bad_argument", f"{name}() got {dialect.keyword(param.name)!r} twice", arg)
        values[param.name] = _literal(arg.value, param, dialect, limits)
    missing = [dialect.keyword(p.name) for p in params if p.required and p.name not in values]
    if missing:
        raise _Refusal("bad_argument", f"{name}() needs {', '.join(missing)}", node)
    op = op_type(**values)
    _check(op, node, dialect)
    return op


def _check(op: Operation, node: cst.Call | None, dialect: Dialect) -> None:
    """Meaning checks the types cannot express."""
    if isinstance(op, RemoveLines) and op.line_start > op.line_end:
        raise _Refusal("bad_argument", f"{dialect.keyword('line_start')} "
                                       f"{op.line_start + dialect.first_line} is after "
                                       f"{dialect.keyword('line_end')} {op.line_end + dialect.first_line}",
                       node)
    for param in signature(type(op)):
        if param.nonempty and not getattr(op, param.name):
            raise _Refusal("bad_argument", f"{dialect.keyword(param.name)} is empty", node)


_DECIMAL = re.compile(r"[0-9]+")


def _literal(node: cst.BaseExpression, param: Param, dialect: Dialect, limits: Limits) -> int | str:
    keyword_name = dialect.keyword(param.name)
    if getattr(node, "lpar", None):
        raise _Refusal("not_allowed", f"parentheses around {keyword_name} are not allowed", node)
    if isinstance(node, cst.FormattedString):
        raise _Refusal("not_allowed", "f-strings are not allowed; write a plain string", node)
    is_string = isinstance(node, (cst.SimpleString, cst.ConcatenatedString))
    is_number = isinstance(node, (cst.Integer, cst.Float, cst.Imaginary))
    if param.type is int:
        if isinstance(node, cst.Integer):
            return _line_number(node, keyword_name, dialect, limits)
        if (isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
                and isinstance(node.expression, (cst.Integer, cst.Float))):
            raise _Refusal("bad_argument", f"{keyword_name} is negative; line numbers start at "
                                           f"{dialect.first_line}", node)
        if is_string or is_number:
            raise _Refusal("bad_argument", f"{keyword_name} must be an integer, not {_describe(node)}", node)
    else:
        if is_string:
            value = _string(node)
            if len(value) > limits.max_string:
                raise _Refusal("too_large", f"string of {len(value):,} characters; the limit is "
                                            f"{limits.max_string:,}", node)
            return value
        if is_number:
            raise _Refusal("bad_argument", f"{keyword_name} must be a string, not {_describe(node)}", node)
    raise _Refusal("not_literal", f"{keyword_name} must be a literal, not {_describe(node)}", node)


def _line_number(node: cst.Integer, keyword_name: str, dialect: Dialect, limits: Limits) -> int:
    digits = node.value
    if not _DECIMAL.fullmatch(digits):
        raise _Refusal("bad_argument", f"{keyword_name}={digits}: write line numbers in plain decimal", node)
    if len(digits) > len(str(limits.max_int)) or int(digits) > limits.max_int:
        raise _Refusal("too_large", f"{keyword_name} is above the limit of {limits.max_int:,}", node)
    value = int(digits) - dialect.first_line
    if value < 0:
        raise _Refusal("bad_argument", f"{keyword_name}={digits}: line numbers start at "
                                       f"{dialect.first_line} in the {dialect.name} dialect", node)
    return value


def _string(node: cst.SimpleString | cst.ConcatenatedString) -> str:
    """The value of a string literal (adjacent literals concatenated), decoded as Python would."""
    pieces = []
    while isinstance(node, cst.ConcatenatedString):  # right-nested: iterate, never recurse
        if node.lpar:
            raise _Refusal("not_allowed", "parentheses around a string are not allowed", node)
        pieces.append(node.left)
        node = node.right
    pieces.append(node)
    out = []
    for piece in pieces:
        if not isinstance(piece, cst.SimpleString):
            raise _Refusal("not_allowed", f"{_describe(piece)} is not allowed; write a plain string", piece)
        prefix = piece.prefix.lower()
        if prefix not in ("", "r", "u") or len(piece.quote) != 1:
            raise _Refusal("not_allowed", f"string prefix {piece.prefix!r} or quotes {piece.quote!r} "
                                          "are not allowed", piece)
        body = piece.raw_value
        out.append(body if prefix == "r" or "\\" not in body else decode_escapes(body, piece))
    return "".join(out)


_ESCAPE = re.compile(
    r"""\\(?:(?P<simple>[\\'"abfnrtv\n])|(?P<octal>[0-7]{1,3})|x(?P<x>[0-9a-fA-F]{2})
          |u(?P<u>[0-9a-fA-F]{4})|U(?P<U>[0-9a-fA-F]{8})|N\{(?P<N>[^}\n]*)\}
          |(?P<bad>[xuUN])|(?P<other>[\s\S]))""",
    re.VERBOSE,
)
_SIMPLE = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t", "v": "\v", "\n": ""}


def decode_escapes(body: str, node: cst.CSTNode | None = None) -> str:
    """A non-raw string literal's body with Python's escapes decoded, without `eval`. Unknown
    escapes stay as written (as in Python); malformed ones and lone surrogates are refused."""

    def one(m: re.Match) -> str:
        kind = m.lastgroup
        if kind == "simple":
            return _SIMPLE[m["simple"]]
        if kind == "octal":
            return chr(int(m["octal"], 8))
        if kind in ("x", "u", "U"):
            code = int(m[kind], 16)
            if code > 0x10FFFF:
                raise _Refusal("bad_argument", f"escape {m[0]!r} is beyond Unicode", node)
            if 0xD800 <= code <= 0xDFFF:
                raise _Refusal("bad_argument", f"escape {m[0]!r} is a lone surrogate", node)
            return chr(code)
        if kind == "N":
            try:
                return unicodedata.lookup(m["N"])
            except KeyError:
                raise _Refusal("bad_argument", f"unknown character name in {m[0]!r}", node) from None
        if kind == "bad":
            raise _Refusal("bad_argument", f"malformed escape {m[0]!r}", node)
        return m[0]  # an unknown escape such as \d is kept, as Python does

    return _ESCAPE.sub(one, body)
