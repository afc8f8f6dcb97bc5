"""Start the server: plain uvicorn for one worker, gunicorn (serve.workers) for more."""

from __future__ import annotations

import copy
import logging
import logging.config
import time
from typing import Any

import uvicorn
import uvicorn.config

from catdetector.core.config import (
    ServeSettings,
    build_serve_settings,
    default_images_dir,
    log_db_url,
)
from catdetector.core.errors import CatDetectorError, RegistryError

log = logging.getLogger("catdetector.serve")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus the ``catdetector`` logger.

    Applied by uvicorn with one worker, and in gunicorn's master before the fork with
    more (the workers inherit it), so swaps and refusals reach the log either way.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["catdetector"] = {
        "format": "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
    }
    config["handlers"]["catdetector"] = {
        "formatter": "catdetector",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["catdetector"] = {
        "handlers": ["catdetector"],
        "level": level.upper(),
        "propagate": False,
    }
    config["loggers"]["alembic"] = {"level": "WARNING"}  # the prediction log's migrations
    # every line of every handler goes through the one redaction layer
    config.setdefault("filters", {})["redact"] = {"()": "catdetector.core.redact.RedactingFilter"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact"]
    return config


def _config(settings: ServeSettings, log_level: str) -> uvicorn.Config:
    """The uvicorn config of one serving process."""
    from catdetector.serve.app import create_app

    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        log_config=log_config(log_level),
        access_log=False,
    )


def check_registry(url: str, wait: float) -> None:
    """Fail fast when the registry cannot be reached, or keep trying for ``wait`` seconds.

    For platforms that start the server before the network: the waits double from
    half a second, and each new reason for failing is logged once.
    """
    from catdetector.registry.tags import remote_tags

    deadline = time.monotonic() + wait
    delay, last = 0.5, ""
    while True:
        try:
            remote_tags(url, timeout=max(5.0, min(30.0, wait or 30.0)))
            return
        except CatDetectorError as exc:
            left = deadline - time.monotonic()
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if left <= 0:
                raise RegistryError(
                    f"cannot reach the registry {url}: {reason}",
                    hint="check the URL and its access, or give --wait-for-registry SECONDS "
                    "when the network comes up after the server",
                ) from exc
            if reason != last:
                log.warning("registry not reachable yet (waiting %.0f s more): %s", left, reason)
                last = reason
            time.sleep(min(delay, left))
            delay = min(delay * 2, 30.0)


def run(
    *, workers: int = 1, gunicorn: bool = False, log_level: str = "info", **overrides: Any
) -> None:
    """Validate settings, then serve until interrupted (gunicorn for ``workers`` > 1)."""
    settings = build_serve_settings(workers=workers, **overrides)
    if workers == 1 and not gunicorn:
        uvicorn.Server(_config(_prepared(settings), log_level)).run()
        return
    from catdetector.serve.workers import multiprocess_metrics, serve

    with multiprocess_metrics():  # before anything imports prometheus_client
        logging.config.dictConfig(log_config(log_level))
        serve(_prepared(settings), workers, log_level)


def _prepared(settings: ServeSettings) -> ServeSettings:
    """The settings with their defaults filled in, once the registry and the log answer."""
    if settings.log_enabled and settings.keep_images and settings.log_images is None:
        # Feedback needs the input it labels: kept by default, in the user data folder.
        settings = settings.model_copy(update={"log_images": default_images_dir()})
    if settings.registry:  # an unreachable registry fails here, before anything is loaded
        check_registry(settings.registry, settings.wait_for_registry)
    if settings.cache_dir is None:
        from catdetector.serve.state import cache_dir_for

        settings = settings.model_copy(update={"cache_dir": cache_dir_for(settings)})
    if settings.log_enabled:  # a bad --log-db fails here, once, not in every worker
        from catdetector.monitor.store import create

        create(log_db_url(settings.log_db)).dispose()
    return settings
