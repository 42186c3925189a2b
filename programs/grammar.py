"""The language as grammars for constrained decoding, so that a model can only emit programs.

Per stage, one grammar in three notations, all built from the same data (the operations' signatures
and the dialect) so they cannot drift from `render` and `parse`:

- `lark`: llguidance's Lark-like syntax (also loadable by the `lark` package);
- `ebnf`: GBNF-style `root ::= ...`, for sglang's xgrammar backend;
- `regex`: a Python `re` pattern, for backends that take a regex.

Doc stage: exactly `keep_doc()` or `drop_doc()`. Chunk stage: 1 to `MAX_CALLS` lines, each one
canonical call (`render`'s form: keyword arguments in order, double-quoted strings), lines separated
by "\\n", optionally ending with one. Strings hold at most `MAX_STRING` characters or escapes (no raw
control characters, so no raw newline); line numbers have at most 7 digits.

Every text these grammars accept parses with `parse` under default `Limits` — except for two things
no context-free grammar of this size can say: `remove_lines` with `line_start > line_end` (refused as
`bad_argument`), and texts longer than `Limits.max_chars` (the generation's `max_new_tokens` bounds
those in practice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from programs.ops import OP_NAMES, DropDoc, KeepChunk, KeepDoc, Normalize, RemoveLines, RemoveStr
from programs.dialects import Dialect, get_dialect, signature

STAGES: dict[str, tuple[type, ...]] = {
    "doc": (KeepDoc, DropDoc),
    "chunk": (KeepChunk, RemoveLines, RemoveStr, Normalize),
}
KINDS = ("lark", "ebnf", "regex")
MAX_CALLS = 64
MAX_STRING = 1024
MAX_DIGITS = 7  # line numbers up to 9,999,999 (Limits.max_int is 10,000,000)

# String contents, shared by the regex and lark notations. Raw characters: anything but the quote,
# the backslash and control characters. Escapes: those `render` writes, \u and \U excluding
# surrogates (which `parse` refuses) and code points beyond U+10FFFF.
_HEX = "[0-9a-fA-F]"
_U4 = f"(?:[0-9a-cA-CefEF]{_HEX}{{3}}|[dD][0-7]{_HEX}{{2}})"
_U8 = f"(?:0000{_U4}|000[1-9a-fA-F]{_HEX}{{4}}|0010{_HEX}{{4}})"
# `["\\nrt]`, not `[\\"nrt]`: the lark package reads `\\"` in a regex as an escaped quote.
_ESCAPE = rf'\\(?:["\\nrt]|x{_HEX}{{2}}|u{_U4}|U{_U8})'
_RAW = r'[^"\\\x00-\x1f\x7f]'


def _int_regex(dialect: Dialect) -> str:
    if dialect.first_line == 0:
        return f"(?:0|[1-9][0-9]{{0,{MAX_DIGITS - 1}}})"
    if dialect.first_line == 1:
        return f"[1-9][0-9]{{0,{MAX_DIGITS - 1}}}"
    raise ValueError(f"dialect {dialect.name!r}: first line {dialect.first_line} has no grammar")


def _string_regex(raw: str, least: int) -> str:
    return f'"(?:{raw}|{_ESCAPE}){{{least},{MAX_STRING}}}"'


def _call_parts(op_type: type, dialect: Dialect) -> list[tuple[str, str | None]]:
    """A canonical call as (literal text, argument kind or None) pieces; the kinds are "int",
    "str" (possibly empty) and "text" (a string that may not be empty)."""
    parts: list[tuple[str, str | None]] = []
    text = dialect.op_name(OP_NAMES[op_type]) + "("
    for i, param in enumerate(signature(op_type)):
        text += (", " if i else "") + dialect.keyword(param.name) + "="
        parts.append((text, "int" if param.type is int else "text" if param.nonempty else "str"))
        text = ""
    parts.append((text + ")", None))
    return parts


def _regex_literal(text: str) -> str:
    """`text` as a regex; unlike `re.escape`, leaves spaces and letters alone, so engines other
    than Python's read it too."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _regex(stage: str, dialect: Dialect) -> str:
    pieces = {"int": _int_regex(dialect), "str": _string_regex(_RAW, 0),
              "text": _string_regex(_RAW, 1)}
    calls = "|".join("".join(_regex_literal(text) + (pieces[kind] if kind else "")
                             for text, kind in _call_parts(op, dialect))
                     for op in STAGES[stage])
    if stage == "doc":
        return f"(?:{calls})"
    return f"(?:{calls})(?:\\n(?:{calls})){{0,{MAX_CALLS - 1}}}\\n?"


def _lark_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lark(stage: str, dialect: Dialect) -> str:
    rules = []
    for op in STAGES[stage]:
        body = " ".join(_lark_literal(text) + (f" {kind.upper()}" if kind else "")
                        for text, kind in _call_parts(op, dialect))
        rules.append(f"{OP_NAMES[op]}: {body}")
    names = " | ".join(OP_NAMES[op] for op in STAGES[stage])
    if stage == "doc":
        start = f"start: {names}"
    else:
        start = f'start: call ("\\n" call)~0..{MAX_CALLS - 1} "\\n"?\ncall: {names}'
    terminals = []
    if stage == "chunk":
        terminals = [f"INT: /{_int_regex(dialect)}/", f"STR: /{_string_regex(_RAW, 0)}/",
                     f"TEXT: /{_string_regex(_RAW, 1)}/"]
    return "\n".join([start, *rules, *terminals]) + "\n"


def _ebnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _ebnf(stage: str, dialect: Dialect) -> str:
    rule = {op: OP_NAMES[op].replace("_", "-") for op in STAGES[stage]}
    lines = []
    if stage == "doc":
        lines.append("root ::= " + " | ".join(rule.values()))
    else:
        lines.append(f'root ::= call ("\\n" call){{0,{MAX_CALLS - 1}}} "\\n"?')
        lines.append("call ::= " + " | ".join(rule.values()))
    for op in STAGES[stage]:
        body = " ".join(_ebnf_literal(text) + (f" {kind}" if kind else "")
                        for text, kind in _call_parts(op, dialect))
        lines.append(f"{rule[op]} ::= {body}")
    if stage == "chunk":
        _int_regex(dialect)  # refuses dialects whose numbering has no grammar
        zero = "" if dialect.first_line else '"0" | '
        lines += [
            f"int ::= {zero}[1-9] [0-9]{{0,{MAX_DIGITS - 1}}}",
            f'str ::= "\\"" char{{0,{MAX_STRING}}} "\\""',
            f'text ::= "\\"" char{{1,{MAX_STRING}}} "\\""',
            'char ::= [^"\\\\\\x00-\\x1F\\x7F] | "\\\\" escape',
            'escape ::= ["\\\\nrt] | "x" hex hex | "u" u4 | "U" u8',
            "hex ::= [0-9a-fA-F]",
            "u4 ::= [0-9a-cA-CefEF] hex hex hex | [dD] [0-7] hex hex",
            'u8 ::= "0000" u4 | "000" [1-9a-fA-F] hex hex hex hex | "0010" hex hex hex hex',
        ]
    return "\n".join(lines) + "\n"


_BUILDERS = {"lark": _lark, "ebnf": _ebnf, "regex": _regex}


@cache
def grammar_for(stage: str, kind: str, dialect: str = "prox") -> str:
    """The grammar of one stage's programs in one notation (see the module docstring)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    if kind not in _BUILDERS:
        raise ValueError(f"unknown grammar kind {kind!r}; kinds: {', '.join(KINDS)}")
    return _BUILDERS[kind](stage, get_dialect(dialect))


@dataclass(frozen=True)
class Grammar:
    """A decoding constraint as backends take it: `kind` is "lark" (llguidance), "ebnf"
    (sglang/xgrammar GBNF) or "regex"; `source` is the grammar text."""

    kind: str
    source: str


def decoding_grammar(stage: str, kind: str = "lark", dialect: str = "prox") -> Grammar:
    """The grammar as the constraint a backend `Request` carries."""
    return Grammar(kind=kind, source=grammar_for(stage, kind, dialect))
