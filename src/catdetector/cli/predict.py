"""`catdetector predict`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach predict."""

    @app.command("predict")
    def predict(
        files: Annotated[list[Path], typer.Argument(help="image files")],
        bundle: Annotated[
            Path | None, typer.Option(help="model bundle folder (default: the project's)")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="a JSON list on stdout")] = False,
        allow_env_mismatch: Annotated[
            bool, typer.Option(help="load even if model packages differ from training")
        ] = False,
        registry: Annotated[
            str | None,
            typer.Option(help="fetch the model from this registry (git URL or path) instead"),
        ] = None,
        stage: Annotated[
            str | None, typer.Option(help="with --registry: the version in this stage")
        ] = None,
        version: Annotated[
            str | None, typer.Option(help="with --registry: this version [default: latest]")
        ] = None,
        remote_config: Annotated[
            list[str] | None,
            typer.Option(help="with --registry: DVC remote option name=value (repeatable)"),
        ] = None,
    ) -> None:
        """Label images with the model, through the same preprocessing as training."""
        from catdetector.serve.predict import (
            load_for_predict,
            load_from_registry,
            model_version,
            predict_files,
        )

        if registry is not None:
            import platformdirs

            from catdetector.core.errors import UsageError

            if bundle is not None:
                raise UsageError("give --bundle or --registry, not both")
            cache = Path(platformdirs.user_cache_dir("catdetector")) / "predict"
            model, name = load_from_registry(
                registry,
                stage=stage,
                version=version,
                cache_dir=cache,
                remote_config=remote_config,
                allow_env_mismatch=allow_env_mismatch,
            )
        else:
            model = load_for_predict(bundle, Path.cwd(), allow_env_mismatch)
            name = model_version(model, Path.cwd())
        results = predict_files(model, files, name)
        if json_out:
            print_json([r.to_dict() for r in results])
        else:
            for r in results:
                if r.error:
                    console_err.print(f"[red]{r.file}: error: {r.error}[/red]")
                else:
                    typer.echo(f"{r.file}\t{r.label}\t{r.probability:.4f}\t{r.version}")
        if any(r.error for r in results):
            raise typer.Exit(1)
