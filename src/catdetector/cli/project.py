"""`catdetector init` and `catdetector sample`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach init and sample."""

    @app.command("init")
    def init(
        directory: Annotated[Path, typer.Argument(help="folder for the new project")] = Path("."),
        remote: Annotated[
            str | None,
            typer.Option(help="DVC remote: a local folder or s3://bucket/prefix"),
        ] = None,
        endpoint_url: Annotated[
            str | None,
            typer.Option(help="S3 endpoint (written to .dvc/config.local, never committed)"),
        ] = None,
        catdetector_source: Annotated[
            str | None,
            typer.Option(
                help="where the project installs catdetector from: 'wheel' (default: a wheel"
                " of this catdetector in vendor/), a .whl file, a version on an index, or"
                " git+URL@COMMIT"
            ),
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """Make a new catdetector project: git + DVC + params + pipeline + environment lock."""
        from catdetector.release.project import init as do_init

        result = do_init(directory, remote, endpoint_url, catdetector_source)
        if json_out:
            print_json(
                {
                    "root": str(result.root),
                    "remote": result.remote,
                    "created": result.created,
                    "commit": result.commit,
                    "catdetector_source": result.source,
                    "lock_differences": [d.__dict__ for d in result.lock_differences],
                }
            )
            return
        if not result.created:
            console.print(f"{result.root} is already a catdetector project (nothing changed)")
            return
        console.print(f"[green]created[/green] {result.root}  (DVC remote: {result.remote})")
        if result.lock_differences:
            names = ", ".join(
                f"{d.name} {d.installed or '(absent)'} (lock: {d.locked})"
                for d in result.lock_differences
            )
            console_err.print(
                f"[yellow]warning:[/yellow] this machine differs from requirements.lock: {names};"
                " run `pip install -r requirements.lock` here before training"
            )
        console.print("next: put images in data/raw/<label>/ (or `catdetector sample data/raw`),")
        console.print("      `dvc add data/raw`, `dvc repro`, `catdetector register`")

    @app.command("sample")
    def sample(
        directory: Annotated[Path, typer.Argument(help="where to write <label>/*.png")],
        n: Annotated[int, typer.Option("--n", help="number of images in all (even)")] = 200,
        seed: Annotated[int, typer.Option(help="random seed; same seed, same bytes")] = 0,
    ) -> None:
        """Write a deterministic SYNTHETIC image sample (cat/ and other/), for demos and tests."""
        from catdetector.training.synthetic import write_sample

        paths = write_sample(directory, n, seed)
        console.print(
            f"wrote {len(paths)} synthetic images (seed {seed}) to {directory}/cat and /other"
        )
