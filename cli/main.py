"""The `refine` command. Each subcommand lives in its own module; register new ones in the block below."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.annotate import annotate
from cli.apply import apply
from cli.eval import eval_app
from cli.recut import recut
from cli.run import run
from cli.show import show
from cli.train import train

app = typer.Typer(
    name="refine",
    help="Refine LLM pre-training corpora with edit programs, guarded rewrites and learned refiners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"refine {version('refine')}")
        except PackageNotFoundError:
            typer.echo("refine (not installed: run from a source tree)")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """Refine LLM pre-training corpora with edit programs, guarded rewrites and learned refiners."""
    from refine.memory import return_freed_memory

    return_freed_memory()  # a long batch process: its peak memory is what a machine must have


# --- commands: one line each --------------------------------------------------------------------
app.command("run")(run)
app.command("apply")(apply)
app.command("recut")(recut)
app.command("show")(show)
app.command("annotate")(annotate)
app.command("train")(train)
app.add_typer(eval_app, name="eval")
# ------------------------------------------------------------------------------------------------

if __name__ == "__main__":
    app()
