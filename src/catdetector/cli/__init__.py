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
from catdetector.core.errors import CatDetectorError

app = typer.Typer(
    name="catdetector",
    help="Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Which module defines each top-level command: `catdetector show` imports only
# cli/registry.py, not the ~15 modules (and their libraries) of every other command.
# A command missing here still works (every module is then imported); tests check the table.
COMMAND_MODULES = {
    "init": "project",
    "sample": "project",
    "register": "registry",
    "promote": "registry",
    "gate": "registry",
    "rollback": "registry",
    "deprecate": "registry",
    "show": "registry",
    "history": "registry",
    "predict": "predict",
    "env": "env",
    "assess": "assess",
    "learn": "learn",
    "stage": "stage",
    "serve": "serve",
    "monitor": "monitor",
    "feedback": "feedback",
    "demo": "demo",
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

    known = COMMAND_MODULES.get(argv[0]) if argv else None
    for name in [known] if known else command_modules():
        if name in _loaded:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
        _loaded.add(name)


@app.callback()
def _root() -> None:
    """Reproducible, versioned, rollback-able, monitored ML on Git + DVC + GTO."""


def main() -> None:
    """Console-script entry point."""
    try:
        load_commands(sys.argv[1:])
        app()
    except CatDetectorError as exc:
        if os.environ.get("CATDETECTOR_TRACEBACK"):
            raise
        console_err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
