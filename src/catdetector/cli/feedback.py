"""`catdetector feedback export`: feedback-labelled inputs as a data folder with provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from catdetector.cli._common import LogDbOpt, console, console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach the feedback sub-commands."""
    feedback = typer.Typer(help="Feedback labels of served predictions.", no_args_is_help=True)
    app.add_typer(feedback, name="feedback")

    @feedback.command("export")
    def export(
        dest: Annotated[
            Path, typer.Argument(help="data folder to write <label>/<sha256>.<ext> in")
        ],
        log_db: LogDbOpt = None,
        images: Annotated[
            Path | None,
            typer.Option(help="where the server kept the inputs (--log-images), if they moved"),
        ] = None,
        skip_model_labels: Annotated[
            bool, typer.Option(help="leave out labels that came from a model instead of refusing")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """Write the labelled inputs and DEST/provenance.json; refuse labels from a model.

        The log is opened read-only. Rows that break the export's rules (a sha256 that
        is not one, a path outside the images folder or DEST, content that does not
        match its hash) are skipped, each named on stderr.
        """
        from catdetector.core.config import log_db_url
        from catdetector.monitor.export import export_log

        summary = export_log(
            log_db_url(log_db),
            dest.resolve(),
            images=images.resolve() if images else None,
            skip_model_labels=skip_model_labels,
        )
        for rid, why in summary.refused:
            console_err.print(
                f"[yellow]skipped request {escape(rid)}:[/yellow] {escape(why)}", soft_wrap=True
            )
        if as_json:
            print_json(summary.to_dict())
            return
        console.print(
            f"exported {len(summary.written)} new file(s) to {summary.dest} "
            f"({len(summary.already)} already there); provenance in {summary.dest}/provenance.json"
        )
        if summary.skipped_model:
            console.print(f"left out {len(summary.skipped_model)} label(s) that came from a model")
        if summary.refused:
            console.print(f"skipped {len(summary.refused)} row(s) that break the export's rules")
