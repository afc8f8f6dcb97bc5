"""`catdetector init`, `catdetector sample` and `catdetector upgrade`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach init, sample and upgrade."""

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
        here: Annotated[
            bool,
            typer.Option(
                "--here",
                help="adopt an existing folder or git repository: keep every file and the"
                " history, `dvc add` its data folder and model files",
            ),
        ] = False,
        data: Annotated[
            str | None, typer.Option(help="with --here: the folder of <label>/ images")
        ] = None,
        model: Annotated[
            list[str] | None,
            typer.Option(help="with --here: a model file to track and register (repeatable)"),
        ] = None,
        plan_only: Annotated[
            bool, typer.Option("--plan", help="with --here: print the plan, change nothing")
        ] = False,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """Make a new catdetector project: git + DVC + params + pipeline + environment lock.

        With --here, adopt the existing folder (DIRECTORY, default the current one) instead.
        """
        from catdetector.release.project import init as do_init

        if here:
            _adopt(
                directory,
                data,
                model,
                (remote, endpoint_url),
                catdetector_source,
                plan_only,
                json_out,
            )
            return
        if data or model or plan_only:
            from catdetector.core.errors import UsageError

            raise UsageError("--data, --model and --plan go with --here (adopt a folder)")

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

    def _adopt(
        directory: Path,
        data: str | None,
        models: list[str] | None,
        remote: tuple[str | None, str | None],
        source: str | None,
        plan_only: bool,
        json_out: bool,
    ) -> None:
        from catdetector.core import layout
        from catdetector.release import adopt

        if layout.is_project(directory.resolve()):
            if json_out:
                print_json({"root": str(directory.resolve()), "created": False})
            else:
                console.print(f"{directory.resolve()} is already a catdetector project")
            return
        plan = adopt.plan(directory, data, models, *remote)
        if not plan_only:
            plan = adopt.apply(plan, source)
        if json_out:
            print_json({**plan.to_dict(), "applied": not plan_only})
            return
        title = "plan (nothing changed)" if plan_only else "adopted"
        console.print(f"[bold]{title}[/bold]: {plan.root}")
        if plan.data_candidates or plan.model_candidates:
            found = [d.path + "/" for d in plan.data_candidates]
            found += [m.path for m in plan.model_candidates]
            console.print("  found: " + ", ".join(found), soft_wrap=True)
        for step in plan.steps():
            console.print(f"  - {step}", soft_wrap=True, markup=False)
        if not plan_only:
            console.print("next: `dvc push`, `git push`; then `dvc repro` trains the ladder")

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

    @app.command("upgrade")
    def upgrade(
        directory: Annotated[Path, typer.Argument(help="the project")] = Path("."),
        check: Annotated[
            bool, typer.Option("--check", help="change nothing; exit 1 when an upgrade is due")
        ] = False,
    ) -> None:
        """Bring a project made by an older catdetector to the current dvc.yaml declarations
        (e.g. the train stage's `pretrained` params), keeping every edit of yours."""
        from rich.markup import escape

        from catdetector.release.upgrade import upgrade as do_upgrade

        result = do_upgrade(directory, dry_run=check)
        if not result.stale:
            console.print("the project is current: nothing to upgrade")
            return
        for one in result.stale:
            if check:
                console_err.print(
                    f"[yellow]stale:[/yellow] {escape(one.message())}", soft_wrap=True
                )
            else:
                console.print(
                    f"dvc.yaml: the {one.stage} stage now declares the params "
                    + ", ".join(one.missing)
                )
        if check:
            raise typer.Exit(1)
        for name in result.params_added:
            console.print(f"params.yaml: added the section {name} (the defaults)")
        stages = " and ".join(one.stage for one in result.stale)
        console.print(
            f"`dvc repro` re-runs {stages} once (its declaration changed); then commit "
            "dvc.yaml, params.yaml and dvc.lock"
        )
