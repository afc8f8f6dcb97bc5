"""FastAPI app factory: the state, the lifespan, error handlers and the routers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi_offline import FastAPIOffline

from catdetector import __version__
from catdetector.core.config import ServeSettings, build_serve_settings
from catdetector.core.errors import CatDetectorError
from catdetector.serve import handlers
from catdetector.serve.dashboard import create_router as create_dashboard
from catdetector.serve.holder import ModelHolder
from catdetector.serve.metrics import MetricsMiddleware, ServerMetrics
from catdetector.serve.routes import feedback, metrics, model, predict
from catdetector.serve.state import Runtime, cache_dir_for
from catdetector.serve.watcher import RegistryWatcher, load_static

__all__ = ["cache_dir_for", "create_app"]

log = logging.getLogger("catdetector.serve")


def create_app(settings: ServeSettings | None = None, *, start_watcher: bool = True) -> FastAPI:
    """Build the app for ``settings`` (from the environment when None)."""
    settings = settings or build_serve_settings()
    runtime = Runtime(settings, ModelHolder(), ServerMetrics())
    dashboard, summary = create_dashboard(
        settings, runtime.holder, runtime.roles, lambda: runtime.watcher
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.predlog.start()
        if runtime.shadow is not None:
            runtime.shadow.start()
        try:
            if settings.bundle is not None:
                await run_in_threadpool(load_static, settings.bundle, settings, runtime.holder)
            elif settings.registry:
                runtime.watcher = RegistryWatcher(
                    settings, runtime.holder, cache_dir_for(settings), runtime.roles
                )
                await run_in_threadpool(runtime.watcher.check_once)
                if start_watcher:
                    runtime.watcher.start()
        except CatDetectorError as exc:
            runtime.startup_error = str(exc)
            log.error("startup: %s", exc)
        yield
        if runtime.watcher is not None:
            runtime.watcher.stop()
        if runtime.shadow is not None:
            await run_in_threadpool(runtime.shadow.close)
        await run_in_threadpool(runtime.predlog.close)  # writes every queued record
        summary.close()
        if runtime.batcher is not None:
            runtime.batcher.close()
        runtime.pool.shutdown(wait=False, cancel_futures=True)

    # /docs (Swagger UI) and /redoc with their assets from the fastapi-offline package: no CDN.
    app = FastAPIOffline(
        title="catdetector",
        version=__version__,
        description="Cat-or-not image classifier that follows a GTO registry stage.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.add_middleware(MetricsMiddleware, metrics=runtime.metrics)
    handlers.install(app)

    app.include_router(dashboard)
    app.include_router(predict.router)
    app.include_router(feedback.router)
    app.include_router(model.router)
    app.include_router(metrics.router)
    if settings.admin_token:
        app.include_router(model.admin)
    return app
