"""`Program` -> canonical text: one call per line, every argument by keyword in signature order,
double-quoted strings with minimal escaping, line numbers in the dialect's numbering.

The canonical form is what the decoding grammars (`grammar.py`) accept and what `parse` reads on its
fast path. `parse(render(p)) == p` for every valid program (scope aside), so rendering is also how
programs are stored in audits and training targets.
"""

from __future__ import annotations

from programs.ops import OP_NAMES, Operation, OpError, Program
from programs.dialects import get_dialect, signature

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def render(program: Program, dialect: str = "prox") -> str:
    """The program's canonical text (no trailing newline; the empty program is "")."""
    return "\n".join(render_op(op, dialect) for op in program.ops)


def render_op(op: Operation, dialect: str = "prox") -> str:
    """One operation as a canonical call, e.g. `remove_lines(line_start=0, line_end=4)`."""
    d = get_dialect(dialect)
    args = []
    for param in signature(type(op)):
        value = getattr(op, param.name)
        text = str(value + d.first_line) if param.type is int else quote(value)
        args.append(f"{d.keyword(param.name)}={text}")
    return f"{d.op_name(OP_NAMES[type(op)])}({', '.join(args)})"


def error_record(error: OpError) -> dict:
    """An `OpError` as the audit stores it, its operation written as program text."""
    return {"code": error.code, "message": error.message,
            "op": render_op(error.op) if error.op is not None else None,
            "program": error.program_index, "index": error.op_index}


def quote(value: str) -> str:
    """A double-quoted Python string literal for `value`: backslash, quote, newline, carriage return
    and tab escaped as `\\\\ \\" \\n \\r \\t`, other unprintable characters as `\\xNN`, `\\uNNNN` or
    `\\UNNNNNNNN`; everything else, including non-ASCII text, as itself."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return '"' + "".join(_escape(c) for c in value) + '"'


def _escape(c: str) -> str:
    if c in _ESCAPES:
        return _ESCAPES[c]
    if c.isprintable():
        return c
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
