"""N server processes under gunicorn: uvicorn workers, the app preloaded, one socket each.

gunicorn is the process manager: it forks the workers from a master that has loaded
the app (``preload_app``: the imports' pages are shared copy-on-write), restarts a
worker that dies, replaces them all on ``SIGHUP`` (new workers first, then the old
ones drain) and drains them on ``SIGTERM`` (each worker's lifespan shutdown writes its
queued prediction log records). Each worker runs uvicorn through the ``uvicorn-worker``
package and follows the registry itself (its own watcher and model).

``reuse_port``: gunicorn then binds one ``SO_REUSEPORT`` socket in each worker, so the
kernel spreads new connections over the workers. On one shared socket the first worker
to wake accepts a whole burst and serves every keep-alive client alone (bench/README.md).
gunicorn sets ``TCP_NODELAY`` on its listening sockets, and Linux copies it to every
accepted connection, so replies are not held back by Nagle's algorithm.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from catdetector.core.config import ServeSettings
from catdetector.core.errors import ExternalToolError
from catdetector.model.skopsio import skops_io

# What a worker imports to serve any bundle; onnxruntime only where it is installed.
PRELOAD = (
    "catdetector.training.ladder",
    "catdetector.features.embed",
)
PRELOAD_OPTIONAL = ("onnxruntime",)
GRACEFUL_SECONDS = 30  # SIGTERM: how long workers may drain before they are killed
KEEPALIVE_SECONDS = 5  # idle keep-alive connections (uvicorn's own default)


class Worker(UvicornWorker):
    """uvicorn-worker's worker, without uvicorn's access log (the metrics count requests)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": "auto", "access_log": False}


def _redact_gunicorn_logs() -> None:
    """gunicorn's own log handlers go through the redaction layer too."""
    from catdetector.core import redact

    redact.install_log_filter("gunicorn.error", "gunicorn.access")


def _on_starting(_: Any) -> None:
    _redact_gunicorn_logs()


def _post_fork(_: Any, __: Any) -> None:
    _redact_gunicorn_logs()  # after a SIGHUP reload gunicorn made new handlers


def _worker_exited(_: Any, worker: Any) -> None:
    """A worker is gone: prometheus_client drops its live gauges (multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class Application(BaseApplication):
    """gunicorn configured from Python; the app is built once, in the master."""

    def __init__(self, settings: ServeSettings, workers: int, log_level: str) -> None:
        self.settings = settings
        self.n_workers = workers
        self.log_level = log_level
        super().__init__()

    def load_config(self) -> None:
        """Every gunicorn setting we rely on, stated here (no config file is read)."""
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        options: dict[str, Any] = {
            "bind": [f"{host}:{self.settings.port}"],
            "workers": self.n_workers,
            "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
            "preload_app": True,
            "reuse_port": True,
            "graceful_timeout": GRACEFUL_SECONDS,
            # 0: no heartbeat kill; a worker's first model fetch may take minutes
            "timeout": 0,
            "keepalive": KEEPALIVE_SECONDS,
            "loglevel": self.log_level,
            "proc_name": "catdetector",
            # no control socket: its one default path ($HOME/.gunicorn/gunicorn.ctl) would be
            # shared by every server of the user, and HOME may be read-only in a container
            "control_socket_disable": True,
            "on_starting": _on_starting,
            "post_fork": _post_fork,
            "child_exit": _worker_exited,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """The ASGI app, and every module a worker needs, imported before the fork.

        The workers share these pages with the master (copy-on-write) instead of each
        holding its own copy, mostly scikit-learn; the garbage collector's heap is
        frozen so that its passes do not copy them over. Nothing here opens a connection
        or starts a Python thread (the app's threads start in each worker's lifespan).
        """
        from catdetector.serve.app import create_app

        app = create_app(self.settings)
        for name in PRELOAD:
            importlib.import_module(name)
        skops_io()  # skops.io as bundles load it (no estimator trusted by default)
        for name in PRELOAD_OPTIONAL:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        gc.collect()
        gc.freeze()
        return app


@contextlib.contextmanager
def multiprocess_metrics() -> Iterator[Path]:
    """prometheus_client's multiprocess mode: a private folder, removed at the end.

    Set before prometheus_client is imported (it picks its mode then); each worker
    writes its own files there and ``/metrics`` sums them (``serve.metrics``).
    """
    prom_dir = Path(tempfile.mkdtemp(prefix="catdetector-prom-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(prom_dir)
    try:
        yield prom_dir
    finally:
        shutil.rmtree(prom_dir, ignore_errors=True)


def serve(settings: ServeSettings, workers: int, log_level: str) -> None:
    """Run ``workers`` processes until SIGTERM or SIGINT (SIGHUP: replace them all)."""
    try:
        Application(settings, workers, log_level).run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise ExternalToolError(
                f"the server stopped: a worker failed (gunicorn exit status {exc.code})",
                hint="see the log above",
            ) from None
