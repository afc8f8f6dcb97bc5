"""`catdetector serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console_err


def register(app: typer.Typer) -> None:
    """Attach serve."""

    @app.command("serve")
    def serve(
        registry: Annotated[
            str | None, typer.Option(help="git URL (or path) of the registry repository to follow")
        ] = None,
        stage: Annotated[str, typer.Option(help="stage to follow")] = "prod",
        bundle: Annotated[
            Path | None, typer.Option(help="serve this bundle folder instead of a registry stage")
        ] = None,
        host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port")] = 8000,
        poll_interval: Annotated[
            float | None, typer.Option(help="seconds between registry polls")
        ] = None,
        workers: Annotated[int, typer.Option(help="server processes (one per core)")] = 1,
        process_manager: Annotated[
            str,
            typer.Option(
                envvar="CATDETECTOR_PROCESS_MANAGER",
                help="auto: plain uvicorn for one worker, gunicorn (uvicorn workers) for more; "
                "gunicorn: also for one worker (SIGHUP replaces the workers)",
            ),
        ] = "auto",
        cache_dir: Annotated[Path | None, typer.Option(help="bundle cache folder")] = None,
        allow_env_mismatch: Annotated[
            bool, typer.Option(help="load models whose packages differ from here (reported)")
        ] = False,
        remote_config: Annotated[
            list[str] | None,
            typer.Option(
                help="DVC remote option name=value for fetching (repeatable), "
                "e.g. endpointurl=http://127.0.0.1:9000"
            ),
        ] = None,
        batching: Annotated[
            str | None,
            typer.Option(
                help="group concurrent requests into one predict: auto (when the model's "
                "predict is cheaper per image in a batch), on, off"
            ),
        ] = None,
        batching_max_size: Annotated[
            int | None, typer.Option(help="most images in one batched predict")
        ] = None,
        batching_max_wait_ms: Annotated[
            float | None,
            typer.Option(help="longest a batch waits for requests still being decoded (ms)"),
        ] = None,
        onnx_threads: Annotated[
            int | None,
            typer.Option(
                help="onnxruntime threads of one backbone predict (0: one, and each worker "
                "runs as many predicts at once as it has cores)"
            ),
        ] = None,
        wait_for_registry: Annotated[
            float,
            typer.Option(
                help="seconds to keep trying an unreachable registry at start (default: fail)"
            ),
        ] = 0.0,
        log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
        log: Annotated[
            bool, typer.Option("--log/--no-log", help="record every prediction in the log")
        ] = True,
        log_db: Annotated[
            str | None,
            typer.Option(
                help="prediction log: SQLite file or postgresql:// URL "
                "[default: predictions.sqlite in the user data folder]"
            ),
        ] = None,
        log_images: Annotated[
            Path | None,
            typer.Option(
                help="keep every input image here, content-addressed "
                "[default: inputs in the user data folder]"
            ),
        ] = None,
        keep_images: Annotated[
            bool,
            typer.Option(
                "--keep-images/--no-log-images",
                help="keep inputs (feedback needs them; --no-log-images refuses feedback)",
            ),
        ] = True,
        shadow: Annotated[
            bool,
            typer.Option(
                "--shadow/--no-shadow",
                help="also follow the registry's shadow stage: it predicts a copy of each "
                "request after the answer is sent, never returned",
            ),
        ] = True,
        canary: Annotated[
            bool,
            typer.Option(
                "--canary/--no-canary",
                help="also follow the registry's canary stage: it answers the share of "
                "requests its registry tag records",
            ),
        ] = True,
        shadow_queue: Annotated[
            int | None,
            typer.Option(help="shadow copies waiting at most; past it they are shed (counted)"),
        ] = None,
    ) -> None:
        """Serve the model of a registry stage; follow it without a restart.

        With a registry, the shadow and canary stages are followed too (--no-shadow,
        --no-canary turn them off); X-Client-Id pins a client to one version.

        The admin endpoint POST /v1/admin/reload is on only when CATDETECTOR_ADMIN_TOKEN is set.
        """
        import logging
        import os

        from catdetector.core import redact, tools
        from catdetector.core.config import log_db_url
        from catdetector.core.errors import UsageError

        logging.basicConfig(
            level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        redact.install_log_filter()
        if registry is None and bundle is None:
            registry = os.environ.get("CATDETECTOR_REGISTRY") or None
        if (registry is None) == (bundle is None):
            raise UsageError("give exactly one of --registry URL or --bundle DIR")
        # Secrets stay in this process: the URL's userinfo goes to git by its environment,
        # remote option values are masked in every message.
        if registry is not None:
            registry = tools.remember_credentials(registry)
        config_items = remote_config or [
            i for i in os.environ.get("CATDETECTOR_REMOTE_CONFIG", "").split(",") if i.strip()
        ]
        redact.register(*(i.split("=", 1)[1] for i in config_items if "=" in i))
        if bundle is not None and bundle.is_file():  # a model file: only bundles are served
            from catdetector.core.errors import BundleError
            from catdetector.features.custom import not_a_bundle

            raise BundleError(not_a_bundle(bundle))
        if process_manager not in ("auto", "gunicorn"):
            raise UsageError(f"--process-manager is auto or gunicorn, not {process_manager!r}")
        if port == 0 and (workers > 1 or process_manager == "gunicorn"):
            raise UsageError(
                "--port 0 serves one plain uvicorn worker: give a fixed --port "
                "(each gunicorn worker binds it)"
            )
        if log:  # a wrong log URL is one line now, not after the model has loaded
            from catdetector.monitor.store import backend

            backend(log_db_url(log_db))
        checked_bundle = startup_checks(host, port, bundle)
        if registry is not None:
            from catdetector.registry.stages import check_remote

            check_remote(registry, stage)  # the stages its default branch's .gto declares
        from catdetector.monitor.store import redacted  # SQLAlchemy: once the checks pass
        from catdetector.serve.run import run

        console_err.print(
            f"catdetector serving {'stage ' + stage + ' of ' + registry if registry else bundle}"
            f" on http://{host}:{port} ({workers} worker(s)"
            f"{', gunicorn' if workers > 1 or process_manager == 'gunicorn' else ''})",
            markup=False,
        )
        console_err.print(
            f"prediction log: {redacted(log_db_url(log_db))}" if log else "prediction log: off",
            markup=False,
        )
        run(
            registry=registry,
            stage=stage,
            bundle=checked_bundle,
            host=host,
            port=port,
            poll_interval=poll_interval,
            workers=workers,
            gunicorn=process_manager == "gunicorn",
            cache_dir=cache_dir.resolve() if cache_dir else None,
            allow_env_mismatch=allow_env_mismatch,
            log_level=log_level,
            remote_config=",".join(config_items) if config_items else None,
            log_enabled=None if log else False,
            log_db=log_db,
            log_images=log_images.resolve() if log_images else None,
            keep_images=None if keep_images else False,
            batching=batching,
            batching_max_size=batching_max_size,
            batching_max_wait_ms=batching_max_wait_ms,
            onnx_threads=onnx_threads,
            wait_for_registry=wait_for_registry or None,
            follow_shadow=None if shadow else False,
            follow_canary=None if canary else False,
            shadow_queue=shadow_queue,
        )


def startup_checks(host: str, port: int, bundle: Path | None) -> Path | None:
    """Before loading anything: the port is free and ``--bundle`` is a bundle folder.

    Returns the resolved bundle path. A port in use is a UsageError, a missing or
    incomplete bundle a BundleError: one line, instead of a model load that ends in
    uvicorn's own failure, or a server that can only answer 503.
    """
    import socket

    from catdetector.core.errors import UsageError
    from catdetector.model.meta import read_meta

    resolved = bundle.resolve() if bundle is not None else None
    if resolved is not None:
        read_meta(resolved)
    if port != 0:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                sock.bind((host, port))
            except OSError as exc:
                raise UsageError(
                    f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                    hint="another server is using that port: stop it or pick another --port",
                ) from exc
    return resolved
