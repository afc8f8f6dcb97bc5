"""The app's state that every router reads (settings, model holder, log, batcher) and its
dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import platformdirs
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from catdetector.core.config import ServeSettings
from catdetector.serve.batching import Batcher, BatchPolicy
from catdetector.serve.holder import ModelHolder, Served
from catdetector.serve.metrics import ServerMetrics
from catdetector.serve.predlog import PredLog
from catdetector.serve.watcher import RegistryWatcher


class Runtime:
    """What the routes need: settings, the holder, the watcher (if following a registry)."""

    def __init__(
        self, settings: ServeSettings, holder: ModelHolder, metrics: ServerMetrics
    ) -> None:
        self.settings = settings
        self.holder = holder
        self.metrics = metrics
        self.watcher: RegistryWatcher | None = None
        self.startup_error: str | None = None
        self.predlog = PredLog(settings, metrics.registry)
        holder.listeners.append(self.predlog.model_loaded)
        policy = BatchPolicy(
            settings.batching, settings.batching_max_size, settings.batching_max_wait_ms / 1000
        )
        self.lanes = settings.predict_lanes()
        on = policy.mode != "off"
        self.batcher = Batcher(policy, metrics.batch_rows.observe, self.lanes) if on else None
        # An unbatched backbone predict runs here: up to one per lane at once, each with
        # its own onnxruntime threads, never on the event loop (batches run in the batcher's).
        self.pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="catdetector-predict")

    def batcher_for(self, served: Served) -> Batcher | None:
        """The batcher, when batching applies to this model."""
        batcher = self.batcher
        return batcher if batcher is not None and batcher.policy.applies_to(served.model) else None

    def served(self) -> Served:
        """One snapshot of the serving model (503 when none)."""
        served = self.holder.current
        if served is None:
            raise HTTPException(503, "no model loaded yet: see /readyz and /v1/model")
        return served


def cache_dir_for(settings: ServeSettings) -> Path:
    """The bundle cache folder: the setting, else the user cache of catdetector."""
    return settings.cache_dir or Path(platformdirs.user_cache_dir("catdetector")) / "serve"


def runtime_of(request: Request) -> Runtime:
    """The app's :class:`Runtime` (set by ``create_app``)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]

bearer_scheme = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def require_admin(runtime: RuntimeDep, creds: BearerDep) -> None:
    """401 unless the request carries ``Authorization: Bearer <admin token>``."""
    token = runtime.settings.admin_token or ""
    if creds is None or not secrets.compare_digest(creds.credentials.encode(), token.encode()):
        raise HTTPException(
            401,
            "admin endpoints need 'Authorization: Bearer <token>'",
            headers={"www-authenticate": "Bearer"},
        )


AdminDep = Depends(require_admin)
