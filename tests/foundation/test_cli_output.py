"""What a new user meets at an 80-column terminal: --version, help and tables that fit."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from catdetector import __version__
from catdetector.cli import app, load_commands
from catdetector.cli._common import human_bytes
from catdetector.cli.stage import ladder_view
from tests.support import cli


def _commands() -> list[tuple[list[str], Any]]:
    """Every leaf command of the CLI with its path (``['monitor', 'report']``)."""
    load_commands()
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "list_commands"):  # a group (typer vendors its own click)
            ctx = command.context_class(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            found.append((path, command))

    walk(typer.main.get_command(app), [])
    return found


def _help(path: list[str]) -> str:
    load_commands(path)  # as main() does: the command's module registers it
    result = CliRunner().invoke(
        app, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80", "TERM": "dumb"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_version_option_prints_the_version(tmp_path: Path) -> None:
    proc = cli("--version", cwd=tmp_path)
    assert proc.stdout == f"{__version__}\n" and proc.stderr == ""
    assert cli("version", cwd=tmp_path).stdout == proc.stdout


def test_every_help_fits_80_columns_with_every_option_name_whole() -> None:
    commands = _commands()
    assert len(commands) > 20
    for path, command in commands:
        text = _help(path)
        too_wide = [line for line in text.splitlines() if len(line) > 80]
        assert too_wide == [], (path, too_wide)
        assert "…" not in text, (path, text)
        for param in command.params:
            for name in [*param.opts, *param.secondary_opts]:
                if name.startswith("--"):
                    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (path, name)


def test_serve_help_shows_its_long_options_whole() -> None:
    text = _help(["serve"])
    for name in ("--allow-env-mismatch", "--no-allow-env-mismatch", "--batching-max-wait-ms"):
        assert name in text


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (812, "812 B"), (1534, "1.53 kB"), (13_530_812, "13.5 MB"),
     (999_999, "1 MB"), (412_000_000, "412 MB"), (2_500_000_000, "2.5 GB")],
)  # fmt: skip
def test_sizes_have_a_unit(size: int, shown: str) -> None:
    assert human_bytes(size) == shown


def test_ladder_table_fits_80_columns_with_units() -> None:
    rungs = ("dummy", "heuristic", "linear", "nonlinear", "pretrained")
    table = {
        "chosen": "pretrained",
        "rungs": {r: {"val_accuracy": 0.123456, "test_accuracy": 0.987654} for r in rungs},
        "costs": [
            {
                "rung": r,
                "fit_seconds": 123.456789,
                "predict_ms_per_image": 1234.5678,
                "size_bytes": 13_530_812,
                "install_bytes": 812_345_678 if r == "pretrained" else 0,
            }
            for r in rungs
        ],
    }
    console = Console(width=80, record=True, force_terminal=False, color_system=None)
    console.print(ladder_view(table))
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    for cell in ("pretrained", "0.123", "0.988", "123.457", "1234.568", "13.5 MB", "812 MB"):
        assert cell in text, text
    assert os.linesep.join(text.splitlines()).count("13.5 MB") == len(rungs)
