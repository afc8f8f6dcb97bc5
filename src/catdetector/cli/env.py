"""`catdetector env check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach the env sub-commands."""
    env = typer.Typer(help="Training-serving environment checks.", no_args_is_help=True)
    app.add_typer(env, name="env")

    @env.command("check")
    def check_cmd(
        bundle: Annotated[
            Path | None, typer.Option(help="compare with this bundle's fingerprint")
        ] = None,
        lock: Annotated[Path | None, typer.Option(help="compare with this lock file")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """List the packages that differ here; exit 1 when one that the model needs differs."""
        from rich.markup import escape
        from rich.table import Table

        from catdetector.release.envcheck import check

        report = check(bundle, lock, Path.cwd())
        if json_out:
            print_json(report.to_dict())
        elif not report.differences and not report.problems:
            console.print(f"[green]environment matches[/green] {report.reference}")
        elif report.differences:
            table = Table(title=f"differences from {report.reference}")
            for col in ("package", "expected", "installed", "model needs it"):
                table.add_column(col)
            for d in report.differences:
                table.add_row(
                    d.name,
                    d.expected or "(absent)",
                    d.installed or "(absent)",
                    "[red]yes[/red]" if d.needed else "no",
                )
            console.print(table)
            verdict = (
                "[red]MISMATCH[/red]: the model may compute differently here"
                if not report.ok
                else "[green]ok[/green]: no package the model needs differs"
            )
            console.print(verdict)
        if not json_out:
            for problem in report.problems:
                console_err.print(f"[red]error:[/red] {escape(problem)}", soft_wrap=True)
        if not report.ok:
            raise typer.Exit(1)
