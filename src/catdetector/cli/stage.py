"""`catdetector stage prepare|train|evaluate`: the commands of dvc.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from catdetector.cli._common import console, console_err, human_bytes

if TYPE_CHECKING:
    from rich.table import Table


def ladder_view(table: dict[str, Any]) -> Table:
    """The ladder's rungs as a rich table that fits 80 columns (sizes with a unit)."""
    from rich.table import Table

    view = Table(title=f"ladder (chosen: {table['chosen']})")
    view.add_column("rung", no_wrap=True)
    for col in ("val acc", "test acc", "fit s", "ms/img", "size", "install"):
        view.add_column(col, justify="right", no_wrap=True)
    for cost in table["costs"]:
        row = table["rungs"][cost["rung"]]
        view.add_row(
            cost["rung"],
            f"{row['val_accuracy']:.3f}",
            f"{row['test_accuracy']:.3f}",
            f"{cost['fit_seconds']:.3f}",
            f"{cost['predict_ms_per_image']:.3f}",
            human_bytes(cost["size_bytes"]),
            human_bytes(cost["install_bytes"]) if cost["install_bytes"] else "-",
        )
    return view


def _warn_if_lock_behind(root: Path) -> None:
    """Tell the user (stderr) when requirements.lock no longer covers the rungs."""
    from rich.markup import escape

    from catdetector.core.errors import ConfigError
    from catdetector.release.relock import coverage

    try:
        cover = coverage(root)
    except ConfigError:  # no lock (a project made by hand): nothing to compare
        return
    if not cover.ok:
        console_err.print(f"[yellow]warning:[/yellow] {escape(cover.message())}", soft_wrap=True)


def _warn_if_stale(root: Path) -> None:
    """Tell the user (stderr) when dvc.yaml declares fewer params than the template."""
    from rich.markup import escape

    from catdetector.core.errors import ConfigError
    from catdetector.release.upgrade import stale_stages

    try:
        stale = stale_stages(root)
    except ConfigError:  # no dvc.yaml (a stage run by hand): nothing to compare
        return
    for one in stale:
        console_err.print(f"[yellow]warning:[/yellow] {escape(one.message())}", soft_wrap=True)


def _check_params(root: Path) -> None:
    """params.yaml's one-line error before the pipeline's imports (scikit-learn, scipy):
    the stage reads it again, as it always did."""
    from catdetector.core import layout
    from catdetector.core.config import load_params

    load_params(root / layout.PARAMS)


def register(app: typer.Typer) -> None:
    """Attach the stage sub-commands."""
    stage = typer.Typer(help="Pipeline stages (run by `dvc repro`).", no_args_is_help=True)
    app.add_typer(stage, name="stage")

    @stage.command("prepare")
    def prepare() -> None:
        """Validate data/raw, drop duplicates, split by content hash, featurize."""
        _warn_if_stale(Path.cwd())
        _check_params(Path.cwd())
        from catdetector.training.pipeline import prepare as run

        summary = run(Path.cwd())
        counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
        console.print(
            f"prepare: {counts}; {summary.duplicates} duplicate(s) dropped, "
            f"{summary.bad} bad file(s) skipped (see data/prepared/report.json)"
        )

    @stage.command("train")
    def train() -> None:
        """Fit every rung of the ladder, keep the simplest good one, write the bundle."""
        _warn_if_stale(Path.cwd())
        _check_params(Path.cwd())
        from catdetector.training.pipeline import train as run

        console.print(ladder_view(run(Path.cwd())))
        _warn_if_lock_behind(Path.cwd())

    @stage.command("evaluate")
    def evaluate() -> None:
        """Test-split metrics and plots for the chosen model."""
        from catdetector.training.pipeline import evaluate as run

        scores = run(Path.cwd())
        console.print(
            "evaluate: "
            + ", ".join(
                f"{k} {scores[k]:.3f}" for k in ("accuracy", "precision", "recall", "f1", "roc_auc")
            )
        )
