"""Shared rendering helpers for CLI command modules."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from catdetector.core.layout import LOG_DB_ENV

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)

LogDbOpt = Annotated[
    str | None,
    typer.Option(
        "--log-db",
        help=f"prediction log: SQLite file or postgresql:// URL (default: ${LOG_DB_ENV}, "
        "else the server's default file)",
    ),
]


def print_json(data: Any) -> None:
    """Print machine-readable JSON on stdout (no rich markup)."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))
