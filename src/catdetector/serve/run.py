"""Start uvicorn with the app, in one process or several (settings travel as CATDETECTOR_*)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from catdetector.config import build_serve_settings


def run(*, workers: int = 1, log_level: str = "info", **overrides: Any) -> None:
    """Validate settings, then serve until interrupted."""
    settings = build_serve_settings(workers=workers, **overrides)
    if settings.cache_dir is None:
        from catdetector.serve.app import cache_dir_for

        settings = settings.model_copy(update={"cache_dir": cache_dir_for(settings)})
    if workers == 1:
        from catdetector.serve.app import create_app

        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            access_log=False,
        )
        return
    # Several processes: each worker builds its app from the environment.
    for key, value in settings.model_dump(exclude_none=True).items():
        os.environ[f"CATDETECTOR_{key.upper()}"] = str(value)
    prom_dir = Path(tempfile.mkdtemp(prefix="catdetector-prom-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(prom_dir)
    try:
        uvicorn.run(
            "catdetector.serve.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level=log_level,
            access_log=False,
        )
    finally:
        shutil.rmtree(prom_dir, ignore_errors=True)
