"""`catdetector demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, print_json


def register(app: typer.Typer) -> None:
    """Attach demo."""

    @app.command("demo")
    def demo(
        workdir: Annotated[
            Path | None,
            typer.Option(help="empty folder for the workspaces (default: a temp folder)"),
        ] = None,
        remote: Annotated[
            str | None, typer.Option(help="DVC remote: a folder or s3://bucket/prefix")
        ] = None,
        endpoint_url: Annotated[
            str | None, typer.Option(help="S3 endpoint for an s3:// remote")
        ] = None,
        keep: Annotated[bool, typer.Option(help="keep the temp folder afterwards")] = False,
        json_out: Annotated[
            bool, typer.Option("--json", help="print the checks as JSON (no narration)")
        ] = False,
    ) -> None:
        """Run the Bob-and-Alice story end to end and check every claim (SYNTHETIC data)."""
        from rich.table import Table

        from catdetector.demo import Step, run_demo

        if not json_out:
            console.print(
                "[bold]catdetector demo[/bold]: Bob trains, Alice serves, nothing is emailed."
            )

        def show(step: Step) -> None:
            mark = "[green]ok[/green]" if step.ok else "[red]FAILED[/red]"
            extra = f"  [dim]{step.detail}[/dim]" if step.detail else ""
            console.print(
                f"{step.seconds:6.2f}s  {mark}  [bold]{step.actor:5}[/bold] {step.text}{extra}"
            )

        result = run_demo(workdir, remote, endpoint_url, keep, None if json_out else show)
        if json_out:
            print_json(
                {
                    "ok": result.ok,
                    "seconds": round(result.seconds, 1),
                    "workdir": str(result.workdir),
                    "checks": [c.__dict__ for c in result.checks],
                    "steps": [s.__dict__ for s in result.steps],
                }
            )
            if not result.ok:
                raise typer.Exit(1)
            return
        table = Table(
            title=f"catdetector demo: {len(result.checks)} checks in {result.seconds:.0f}s"
        )
        table.add_column("check")
        table.add_column("result")
        table.add_column("evidence")
        for c in result.checks:
            table.add_row(c.name, "[green]PASS[/green]" if c.ok else "[red]FAIL[/red]", c.detail)
        console.print(table)
        if keep or workdir:
            console.print(f"workspaces kept in {result.workdir}")
        if not result.ok:
            raise typer.Exit(1)
