"""`catdetector assess PATH`: the MLOps maturity level of a folder, read-only.

Exit codes: 0 when assessed (and at or above ``--fail-under``); 1 when the
level is below ``--fail-under`` (a folder with no ML has no level and is below
any); 12 (AssessError) when the path cannot be assessed (with ``--format json``
the error is also printed as JSON on stdout); 2 for bad options.
"""

from __future__ import annotations

import textwrap
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from catdetector.assess import Report, assess_repository
from catdetector.assess.model import LEVEL_NAMES
from catdetector.assess.render import score_lines, to_markdown, unrecognised_note
from catdetector.cli._common import console, console_err, print_json
from catdetector.core.errors import AssessError

FAIL_UNDER_EXIT = 1

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_LEVEL_STYLE = {0: "bold red", 1: "bold yellow", 2: "bold green"}


class Format(StrEnum):
    """Output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


def _wrapped(text: str, indent: int, hang: int = 2, style: str = "") -> None:
    """Print ``text`` wrapped to the console width, continuation lines indented further."""
    width = max(40, console.width)
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hang),
        break_on_hyphens=False,
        break_long_words=False,
    ) or [""]
    for line in lines:
        out = escape(line)
        console.print(f"[{style}]{out}[/{style}]" if style else out, soft_wrap=True)


def render_text(report: Report) -> None:
    """Print the report with rich, every wrapped line indented under its item."""
    style = _LEVEL_STYLE.get(report.level, "bold") if report.level is not None else "bold"
    title = f"Level {report.level}" if report.level is not None else "No level"
    heading = f"{title}: {report.level_name}{unrecognised_note(report)}"
    console.print(f"[{style}]{escape(heading)}[/{style}]")
    _wrapped(f"{report.path} ({report.files_scanned} files, {len(report.findings)} findings)", 2, 2)
    if report.next_step:
        _wrapped(f"next: {report.next_step}", 2, 6, "bold")
    for number, finding in enumerate(report.findings, start=1):
        console.print()
        sev = _SEVERITY_STYLE[finding.severity]
        role = (
            f"keeps the level below {finding.blocks_level}"
            if finding.lowers_level
            else f"risk, level {finding.blocks_level}"
        )
        console.print(
            f"{number:>2}. [{sev}]{finding.severity.upper():<8}[/{sev}] "
            f"[bold]{finding.id}[/bold]  [dim]({role})[/dim]",
            soft_wrap=True,
        )
        _wrapped(finding.risk, 4, 2)
        for ev in finding.evidence:
            where = ev.location()
            _wrapped(f"- {where}  {ev.detail}" if where else f"- {ev.detail}", 6, 2)
        _wrapped(f"fix: {finding.fix}", 4, 5, "green")
    if report.score:
        console.print()
        for line in score_lines(report):
            _wrapped(line, 0 if line.startswith("ML Test Score") else 2, 4)
    if report.notes:
        console.print()
        for note in report.notes:
            _wrapped(f"note: {note}", 0, 6, "dim")


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
        try:
            report = assess_repository(path)
        except AssessError as exc:
            if fmt is Format.json:
                print_json({"path": str(path), "error": exc.message, "hint": exc.hint})
            raise
        if fmt is Format.json:
            print_json(report.to_dict())
        elif fmt is Format.markdown:
            print(to_markdown(report), end="")
        else:
            render_text(report)
        if fail_under is not None and (report.level is None or report.level < fail_under):
            shown = "not applicable" if report.level is None else f"level {report.level}"
            console_err.print(
                f"[red]{shown} is below --fail-under {fail_under}[/red]", highlight=False
            )
            raise typer.Exit(FAIL_UNDER_EXIT)
