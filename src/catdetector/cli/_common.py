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


def human_bytes(size: int | float) -> str:
    """A byte count with a decimal unit, 4 significant characters: 812 B, 13.5 MB, 1.20 GB."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 999.5 or unit == "GB":
            break
        value /= 1000
    if unit == "B":
        return f"{int(value)} B"
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def print_json(data: Any) -> None:
    """Print machine-readable JSON on stdout (no rich markup)."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))
