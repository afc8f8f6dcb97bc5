"""The catdetector command line (typer). The only package that prints.

Each command module below registers its commands on ``app``; every command is
a thin function that parses, calls one library function and renders the
result. ``main`` maps ``CatDetectorError`` to a one-line red message and its
exit code (set ``CATDETECTOR_TRACEBACK=1`` to see the traceback).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from catdetector.cli._common import console, console_err
from catdetector.core.errors import CatDetectorError

app = typer.Typer(
    name="catdetector",
    help="Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's own help layout: at 80 columns option names are never cut (rich's table
    # squeezes them to `--allow-env-mismat…`); help text wraps under them
    rich_markup_mode=None,
)


# Which module defines each top-level command: `catdetector show` imports only
# cli/registry.py, not the ~15 modules (and their libraries) of every other command.
# A command missing here still works (every module is then imported); tests check the table.
COMMAND_MODULES = {
    "init": "project",
    "sample": "project",
    "upgrade": "project",
    "register": "registry",
    "promote": "registry",
    "unassign": "registry",
    "gate": "registry",
    "rollback": "registry",
    "deprecate": "registry",
    "show": "registry",
    "history": "registry",
    "predict": "predict",
    "env": "env",
    "lock": "lock",
    "assess": "assess",
    "learn": "learn",
    "stage": "stage",
    "serve": "serve",
    "monitor": "monitor",
    "feedback": "feedback",
    "demo": "demo",
    "deploy": "deploy",
    "version": "version",
}
_loaded: set[str] = set()


def command_modules() -> list[str]:
    """Every command module of this package."""
    import pkgutil

    return [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


def load_commands(argv: list[str] | None = None) -> None:
    """Attach the commands to ``app``: only the module of ``argv[0]`` when known, else all."""
    import importlib

    if argv and argv[0] == "--version":
        return  # answered by the root callback; no command module is needed
    known = COMMAND_MODULES.get(argv[0]) if argv else None
    for name in [known] if known else command_modules():
        if name in _loaded:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
        _loaded.add(name)


def _show_version(value: bool) -> None:
    if value:
        from catdetector import __version__

        console.print(__version__, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the catdetector version and exit.",
        ),
    ] = False,
) -> None:
    """Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO."""


TRACEBACK_ENV = "CATDETECTOR_TRACEBACK"


def _fail(exc: CatDetectorError) -> None:
    """Print ``exc`` as one red line (redacted by the error itself) and exit with its code."""
    from rich.markup import escape

    console_err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def main() -> None:
    """Console-script entry point: every failure is one red line and an exit code.

    ``CatDetectorError`` exits with its class's code; an ``OSError`` (permission,
    missing path, full disk) with the code of its class in ``core.errors``; anything
    else is a bug: one line, exit 70, and ``CATDETECTOR_TRACEBACK=1`` shows the traceback.
    """
    from catdetector.core import redact
    from catdetector.core.errors import InternalError, from_os_error

    try:
        load_commands(sys.argv[1:])
        app()
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get(TRACEBACK_ENV):
            raise
        if isinstance(exc, CatDetectorError):
            _fail(exc)
        if isinstance(exc, OSError):
            _fail(from_os_error(exc))
        text = redact.redact(str(exc)).splitlines()
        first = text[0] if text else ""
        _fail(
            InternalError(
                f"unexpected {type(exc).__name__}{': ' + first if first else ''}",
                hint=f"a bug in catdetector: run with {TRACEBACK_ENV}=1 to see the traceback",
            )
        )
