"""The catdetector command line (typer). The only package that prints.

Each command module below registers its commands on ``app``; every command is
a thin function that parses, calls one library function and renders the
result. ``main`` maps ``CatDetectorError`` to a one-line red message and its
exit code (set ``CATDETECTOR_TRACEBACK=1`` to see the traceback).
"""

from __future__ import annotations

import os
import sys

import typer

from catdetector.cli._common import console_err
from catdetector.errors import CatDetectorError

app = typer.Typer(
    name="catdetector",
    help="Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    """Import the command modules so that they attach their commands to ``app``."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):  # type: ignore[name-defined]
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


@app.callback()
def _root() -> None:
    """Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO."""


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except CatDetectorError as exc:
        if os.environ.get("CATDETECTOR_TRACEBACK"):
            raise
        console_err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
