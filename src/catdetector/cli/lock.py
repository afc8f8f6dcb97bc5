"""`catdetector lock`: rewrite requirements.lock from the project's rungs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, print_json


def register(app: typer.Typer) -> None:
    """Attach lock."""

    @app.command("lock")
    def lock_cmd(
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """(Re)write requirements.lock from the rungs (serving needs) and requirements-ci.lock
        (what CI needs besides: the test runner)."""
        from catdetector.core import layout
        from catdetector.core.errors import UsageError
        from catdetector.release.relock import relock

        root = layout.find_root(Path.cwd())
        if root is None:
            raise UsageError("not inside a catdetector project (no params.yaml and dvc.yaml)")
        done = relock(root)
        if json_out:
            print_json(
                {
                    "groups": list(done.groups),
                    "written": [str(p.relative_to(root)) for p in done.written],
                    "changed": done.changed,
                }
            )
            return
        extras = ", ".join(done.groups) or "none"
        verb = "rewrote" if done.changed else "kept (already current)"
        console.print(f"{verb} {layout.ENV_LOCK} (rung extras: {extras}) and requirements-ci.lock")
        console.print("install it here: pip install -r requirements.lock")
