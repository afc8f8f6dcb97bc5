"""Shared rendering helpers for CLI command modules."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Print machine-readable JSON on stdout (no rich markup)."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))
