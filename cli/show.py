"""`refine show OUTPUT ID`: one document's raw and refined text as a coloured diff, with its programs and errors."""

from __future__ import annotations

import difflib
from typing import Annotated, Iterable, Optional

import typer
from rich.table import Table
from rich.text import Text

from cli.common import console, die, note
from programs.lines import line_body, split_lines
from refine.io import Source, SourceReader, read_jsonl_dir, to_document
from refine.outdir import OutputDir


def find_row(rows: Iterable[dict], doc_id: str, key=lambda r: r.get("id"), nth: int = 1) -> dict | None:
    """The `nth` row (1-based) whose key is `doc_id`."""
    return next((r for r in rows if key(r) == doc_id and (nth := nth - 1) == 0), None)


def find_audit(rows: Iterable[dict], doc_id: str) -> tuple[dict | None, str, int, int, int]:
    """(audit row, its id, which occurrence, how many rows have that id, kept rows with it up to this one).
    "ID#k" names the k-th document with id ID (as `refine eval data` keys repeated ids)."""
    base, sep, k = doc_id.rpartition("#")
    wanted = [(doc_id, 1)] + ([(base, int(k))] if sep and base and k.isdigit() and int(k) > 1 else [])
    seen: dict[str, list[dict]] = {i: [] for i, _ in wanted}
    for row in rows:
        if row.get("id") in seen:
            seen[row["id"]].append(row)
    for i, n in wanted:
        if len(seen[i]) >= n:
            chosen = seen[i][:n]
            return chosen[-1], i, n, len(seen[i]), sum(bool(r.get("kept")) for r in chosen)
    return None, doc_id, 1, 0, 0


def raw_text(info: dict, audit: dict) -> str | None:
    """The document's text as the input had it, read back from the input row the audit points to."""
    location = audit.get("source") or {}
    source = next((Source.from_dict(s) for s in info.get("sources", []) if s["path"] == location.get("file")), None)
    if source is None or location.get("row") is None:
        return None
    config = info.get("config", {})
    reader = SourceReader(source)
    try:
        row = next(iter(reader.rows(location["row"], location["row"] + 1)), None)
    except OSError:
        return None
    finally:
        reader.close()
    if row is None:
        return None
    doc = to_document(row, source, config.get("text_field", "text"), config.get("id_field", "id"))
    return getattr(doc, "text", None)


def line_diff(raw: str, refined: str) -> Text:
    """Raw lines numbered as programs see them; removed lines red, added (edited) lines green."""
    out = Text()
    number = 0
    width = max(3, len(str(len(split_lines(raw)) - 1)))
    for entry in difflib.ndiff([line_body(x) for x in split_lines(raw)],
                               [line_body(x) for x in split_lines(refined)]):
        tag, body = entry[:2], entry[2:]
        if tag == "? ":
            continue
        if tag == "+ ":
            out.append(f"{'':>{width + 2}} + {body}\n", style="green")
            continue
        label = f"[{number:0{width}d}]"
        number += 1
        if tag == "- ":
            out.append(f"{label} - {body}\n", style="red")
        else:
            out.append(f"{label}   {body}\n", style="dim")
    return out


def show(
    output: Annotated[str, typer.Argument(metavar="OUTPUT", help="A `refine run` or `refine apply` output directory.")],
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="The document id (the `id` of its audit row).")],
    diff: Annotated[bool, typer.Option(help="Show the line diff (--no-diff: programs and errors only).")] = True,
    width: Annotated[Optional[int], typer.Option(help="Console width in characters.")] = None,
) -> None:
    """Print one document's raw and refined text as a coloured line diff, with its programs and errors."""
    if width is not None:
        console.width = width
    out = OutputDir(output)
    if not out.fs.isdir(out.root):
        die(f"output directory not found: {output!r}")
    info = out.run_info()
    if info is None:
        die(f"{output!r} is not a refine output directory (no run.json)")
    audit, doc_id, nth, copies, kept_nth = find_audit(read_jsonl_dir(out.fs, out.join("programs")), doc_id)
    if audit is None:
        quarantined = find_row(read_jsonl_dir(out.fs, out.join("quarantine")), doc_id)
        if quarantined is not None:
            die(f"{doc_id!r} was quarantined: {quarantined['reason']}: {quarantined['message']}", code=1)
        die(f"no document {doc_id!r} in {output}/programs/", code=1)

    if copies > 1:
        note(f"{copies} documents have id {doc_id!r}; this is #{nth} (show {doc_id}#2 … for the others)")
    console.print(Text.assemble(("id ", "bold"), doc_id if nth == 1 else f"{doc_id}#{nth}", ("  outcome ", "bold"), audit["outcome"],
                                ("  kept ", "bold"), str(audit["kept"]), ("  refiner ", "bold"),
                                str(audit.get("refiner"))))
    if audit.get("drop_reason"):
        own = audit.get("audit") or {}  # the refiner's own reason for its drop_doc(): a rule's name, say
        why = ": ".join(str(own[k]) for k in ("drop_reason", "drop_detail") if own.get(k))
        console.print(Text.assemble(("dropped: ", "bold red"), audit["drop_reason"], f" ({why})" if why else ""))
    for i, program in enumerate(audit.get("programs") or []):
        scope = program.get("lines")
        where = f"lines {scope[0]}–{scope[1]}" if scope else "whole document"
        console.print(Text(f"program {i} ({program.get('stage')}, {where})", style="bold cyan"))
        console.print(Text(program["program"] or "(empty)"))
    if audit.get("rewrite"):
        console.print(Text("rewritten by the refiner (no program)", style="bold cyan"))
    if audit.get("errors"):
        table = Table("program", "op", "error", "message", title="errors", title_justify="left")
        for e in audit["errors"]:
            table.add_row(str(e.get("program")), str(e.get("op") or "(program)"), e["code"], e["message"])
        console.print(table)
    if not diff:
        return
    raw = raw_text(info, audit)
    if raw is None:
        die(f"the input row of {doc_id!r} ({audit.get('source')}) can no longer be read", code=1)
    refined = ""
    if audit["kept"]:
        row = find_row(read_jsonl_dir(out.fs, out.join("data")), doc_id, key=lambda r: (r.get("refine") or {}).get("id"),
                       nth=kept_nth)
        if row is None:
            die(f"{doc_id!r} is kept but missing from {output}/data/ (an unfinished shard?)", code=1)
        refined = row[info.get("config", {}).get("text_field", "text")]
    console.print(line_diff(raw, refined))
