"""Start uvicorn with the app: one process, or N worker processes that share the port."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import importlib
import importlib.util
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
import uvicorn.config

if importlib.util.find_spec("httptools") is not None:  # uvicorn's faster parser, when present
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseHTTP
else:
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseHTTP  # type: ignore[assignment]

from catdetector.core.config import (
    ServeSettings,
    build_serve_settings,
    default_images_dir,
    log_db_url,
)
from catdetector.core.errors import CatDetectorError, ExternalToolError, RegistryError, UsageError

log = logging.getLogger("catdetector.serve")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class NoDelayHTTP(_BaseHTTP):
    """uvicorn's HTTP protocol with TCP_NODELAY on every connection.

    With ``workers > 1`` uvicorn binds the socket itself with ``proto=0``, so asyncio
    does not set TCP_NODELAY on accepted connections; Nagle's algorithm and the
    client's delayed ACK then add about 40 ms to every keep-alive request.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus the ``catdetector`` logger.

    uvicorn applies it in every worker process, so swaps and refusals reach the log
    with ``--workers N`` too (a ``logging.basicConfig`` in the parent would not).
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
        http=NoDelayHTTP,
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


def run(*, workers: int = 1, log_level: str = "info", **overrides: Any) -> None:
    """Validate settings, then serve until interrupted."""
    settings = build_serve_settings(workers=workers, **overrides)
    if settings.log_enabled and settings.keep_images and settings.log_images is None:
        # Feedback needs the input it labels: kept by default, in the user data folder.
        settings = settings.model_copy(update={"log_images": default_images_dir()})
    if settings.registry:  # an unreachable registry fails here, before anything is loaded
        check_registry(settings.registry, settings.wait_for_registry)
    if settings.cache_dir is None:
        from catdetector.serve.app import cache_dir_for

        settings = settings.model_copy(update={"cache_dir": cache_dir_for(settings)})
    if settings.log_enabled:  # a bad --log-db fails here, once, not in every worker
        from catdetector.monitor.store import create

        create(log_db_url(settings.log_db)).dispose()
    if workers == 1:
        uvicorn.Server(_config(settings, log_level)).run()
        return
    prom_dir = Path(tempfile.mkdtemp(prefix="catdetector-prom-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(prom_dir)  # the workers inherit it
    try:
        _supervise(settings, workers, log_level)
    finally:
        shutil.rmtree(prom_dir, ignore_errors=True)


def _bind(host: str, port: int) -> socket.socket:
    """A socket of one worker's own on ``host:port``, shared with the others by SO_REUSEPORT.

    The kernel spreads new connections over the workers' sockets. With one shared
    socket (uvicorn's ``workers=``) the first worker to wake accepts a whole burst of
    connections, and one process ends up serving every keep-alive client.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def _worker(settings: ServeSettings, log_level: str) -> None:
    """One worker process: its own socket, app, registry watcher and model."""
    sock = _bind(settings.host, settings.port)
    uvicorn.Server(_config(settings, log_level)).run(sockets=[sock])


# What a worker imports to serve any bundle; onnxruntime only where it is installed.
PRELOAD = (
    "catdetector.serve.app",
    "catdetector.training.ladder",
    "skops.io",
    "catdetector.features.embed",
)
PRELOAD_OPTIONAL = ("onnxruntime",)


def _preload() -> None:
    """Import what every worker needs once, here, before the workers are forked.

    The workers then share these pages with this process (copy-on-write) instead of
    each holding its own copy: about 150 MB per worker, mostly scikit-learn. The
    garbage collector's heap is frozen, so its passes do not copy the pages over.
    Nothing here opens a connection or starts a Python thread; the one native thread
    (OpenBLAS's, started by numpy) is handled by OpenBLAS's own fork handlers.
    Runs after ``PROMETHEUS_MULTIPROC_DIR`` is set: prometheus_client picks its
    multiprocess mode when it is imported.
    """
    for name in PRELOAD:
        importlib.import_module(name)
    for name in PRELOAD_OPTIONAL:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _supervise(settings: ServeSettings, workers: int, log_level: str) -> None:
    """Run ``workers`` processes until SIGINT/SIGTERM; restart one that dies later on."""
    if settings.port == 0:
        raise UsageError("--workers N needs a fixed --port (each worker binds it)")
    _bind(settings.host, settings.port).close()  # fail here, not in N workers
    _preload()
    ctx = multiprocessing.get_context("fork")
    stop = threading.Event()

    def start() -> tuple[Any, float]:
        proc = ctx.Process(target=_worker, args=(settings, log_level), name="catdetector-worker")
        proc.start()
        return proc, time.monotonic()

    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    procs = [start() for _ in range(workers)]
    failure: str | None = None
    try:
        while not stop.wait(0.5):
            for i, (proc, started) in enumerate(procs):
                if proc.is_alive():
                    continue
                if time.monotonic() - started < 15:
                    failure = f"a server worker exited with code {proc.exitcode} at start"
                    stop.set()
                    break
                log.warning("worker %s exited with code %s: restarting it", proc.pid, proc.exitcode)
                procs[i] = start()
    finally:
        for proc, _ in procs:
            if proc.is_alive():
                proc.terminate()
        for proc, _ in procs:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise ExternalToolError(failure, hint="see the log above")
