"""`catdetector version`."""

from __future__ import annotations

import typer

from catdetector import __version__
from catdetector.cli._common import console


def register(app: typer.Typer) -> None:
    """Attach the version command."""

    @app.command("version")
    def version() -> None:
        """Print the catdetector version."""
        console.print(__version__)
