"""`catdetector stage prepare|train|evaluate`: the commands of dvc.yaml."""

from __future__ import annotations

from pathlib import Path

import typer

from catdetector.cli._common import console, console_err


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


def register(app: typer.Typer) -> None:
    """Attach the stage sub-commands."""
    stage = typer.Typer(help="Pipeline stages (run by `dvc repro`).", no_args_is_help=True)
    app.add_typer(stage, name="stage")

    @stage.command("prepare")
    def prepare() -> None:
        """Validate data/raw, drop duplicates, split by content hash, featurize."""
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
        from rich.table import Table

        from catdetector.training.pipeline import train as run

        table = run(Path.cwd())
        view = Table(title=f"ladder (chosen: {table['chosen']})")
        for col in ("rung", "val acc", "test acc", "fit s", "predict ms/img", "size", "install"):
            view.add_column(col)
        for cost in table["costs"]:
            row = table["rungs"][cost["rung"]]
            view.add_row(
                cost["rung"],
                f"{row['val_accuracy']:.3f}",
                f"{row['test_accuracy']:.3f}",
                f"{cost['fit_seconds']:.3f}",
                f"{cost['predict_ms_per_image']:.3f}",
                f"{cost['size_bytes']:,}",
                f"{cost['install_bytes'] / 1e6:,.1f} MB" if cost["install_bytes"] else "-",
            )
        console.print(view)
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
