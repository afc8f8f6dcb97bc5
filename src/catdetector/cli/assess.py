"""`catdetector assess PATH`: the MLOps maturity level of a folder, read-only.

Exit codes: 0 when assessed (and at or above ``--fail-under``); 1 when the
level is below ``--fail-under``; 12 (AssessError) when the path cannot be
assessed; 2 for bad options.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.text import Text

from catdetector.assess import Report, assess_repository
from catdetector.assess.model import LEVEL_NAMES
from catdetector.assess.render import to_markdown
from catdetector.cli._common import console, console_err, print_json

FAIL_UNDER_EXIT = 1

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_LEVEL_STYLE = {0: "bold red", 1: "bold yellow", 2: "bold green"}


class Format(StrEnum):
    """Output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


def render_text(report: Report) -> None:
    """Print the report with rich."""
    header = Text()
    header.append(f"Level {report.level}: {report.level_name}", style=_LEVEL_STYLE[report.level])
    header.append(
        f"  {report.path}  ({report.files_scanned} files, {len(report.findings)} findings)",
        style="dim",
    )
    console.print(header)
    for number, finding in enumerate(report.findings, start=1):
        console.print()
        style = _SEVERITY_STYLE[finding.severity]
        console.print(
            f"{number:>2}. [{style}]{finding.severity.upper():<8}[/{style}] "
            f"[bold]{finding.id}[/bold]  [dim](blocks level {finding.blocks_level})[/dim]"
        )
        console.print(f"    {escape(finding.risk)}")
        for ev in finding.evidence:
            where = ev.location()
            prefix = f"[cyan]{escape(where)}[/cyan]  " if where else ""
            console.print(f"      - {prefix}{escape(ev.detail)}", soft_wrap=False)
        console.print(f"    [green]fix:[/green] {escape(finding.fix)}")
    if report.notes:
        console.print()
        for note in report.notes:
            console.print(f"[dim]note: {escape(note)}[/dim]")


def register(app: typer.Typer) -> None:
    """Attach the assess command."""

    @app.command("assess")
    def assess(
        path: Path = typer.Argument(..., help="Folder to assess (read only; nothing is run)."),
        fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
        fail_under: int | None = typer.Option(
            None,
            "--fail-under",
            min=0,
            max=max(LEVEL_NAMES),
            help=f"Exit {FAIL_UNDER_EXIT} when the level is below this (0-2).",
        ),
    ) -> None:
        """Diagnose the MLOps maturity of a repository: level 0-2, risks, minimal fixes."""
        report = assess_repository(path)
        if fmt is Format.json:
            print_json(report.to_dict())
        elif fmt is Format.markdown:
            print(to_markdown(report), end="")
        else:
            render_text(report)
        if fail_under is not None and report.level < fail_under:
            console_err.print(
                f"[red]level {report.level} is below --fail-under {fail_under}[/red]",
                highlight=False,
            )
            raise typer.Exit(FAIL_UNDER_EXIT)
