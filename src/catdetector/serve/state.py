"""The app's state that every router reads (settings, model holder, log, batcher) and its
dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import functools
import logging
import random
import secrets
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import platformdirs
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from catdetector.core.config import ServeSettings
from catdetector.registry.state import CANARY as CANARY_STAGE
from catdetector.registry.state import SHADOW as SHADOW_STAGE
from catdetector.serve import routing
from catdetector.serve.batching import Batcher, BatchPolicy
from catdetector.serve.budget import DecodeBudget
from catdetector.serve.holder import CheckRecord, ModelHolder, Served
from catdetector.serve.metrics import ServerMetrics
from catdetector.serve.predlog import PredLog, new_id, request_id
from catdetector.serve.shadow import ShadowRunner
from catdetector.serve.watcher import RegistryWatcher

log = logging.getLogger("catdetector.serve")
RECENT_IDS = 100_000  # client request ids remembered, to answer a reused one with a fresh id


class RecentIds:
    """The latest client-chosen request ids of this process (bounded, oldest forgotten)."""

    def __init__(self, size: int = RECENT_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def claim(self, rid: str) -> bool:
        """True the first time ``rid`` is seen (then remembered), False when it is a reuse."""
        if rid in self._ids:
            return False
        self._ids[rid] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


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
        holder.listeners.append(self._swapped)
        holder.refusal_listeners.append(self._refused)
        # The roles beside the primary that this server follows (stage -> holder).
        wanted = [(SHADOW_STAGE, settings.follow_shadow), (CANARY_STAGE, settings.follow_canary)]
        followed = [s for s, on in wanted if on and settings.registry and s != settings.stage]
        self.roles = {s: ModelHolder() for s in followed}
        for stage, role_holder in self.roles.items():
            role_holder.listeners.append(self.predlog.model_loaded)
            role_holder.listeners.append(functools.partial(self._role_changed, stage))
            role_holder.clear_listeners.append(functools.partial(self._role_cleared, stage))
            role_holder.refusal_listeners.append(self._refused)
        self.budget = DecodeBudget(settings.decode_memory, settings.decode_wait)
        self.shadow = (
            ShadowRunner(settings, self.predlog, metrics, self.budget.total, settings.cache_dir)
            if SHADOW_STAGE in self.roles
            else None
        )
        if self.shadow is not None:  # its process starts with the first shadow loaded
            self.roles[SHADOW_STAGE].listeners.append(self.shadow.ensure_started)
            self.roles[SHADOW_STAGE].clear_listeners.append(self.shadow.retire)  # and stops
        self.rng = random.Random()
        self.recent_ids = RecentIds()
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

    def _swapped(self, served: Served) -> None:
        rung = str(served.model.meta.get("chosen_rung") or "")
        self.metrics.swapped(served.version, rung, served.stage or "")

    def _role_changed(self, stage: str, served: Served) -> None:
        self.metrics.role_changed(stage, served.version, served.share)

    def _role_cleared(self, stage: str, served: Served) -> None:
        self.metrics.role_changed(stage, None, None)

    def canary(self, key: str | None) -> Served | None:
        """The canary snapshot when it answers this request (its share, the client key)."""
        holder = self.roles.get(CANARY_STAGE)
        served = holder.current if holder is not None else None
        if served is None or not routing.to_canary(served.share, key, self.rng):
            return None
        return served

    def shadow_of(self) -> Served | None:
        """The shadow snapshot now (None when no shadow is followed or loaded)."""
        holder = self.roles.get(SHADOW_STAGE)
        return holder.current if holder is not None else None

    def _refused(self, check: CheckRecord) -> None:
        self.metrics.refused(check.reason or "other")

    def request_id(self, header: str | None) -> str:
        """The request's id: the client's ``X-Request-ID`` unless insane or reused, else new.

        A reused id would collide in the prediction log (the record dropped): the request
        is answered, and logged, under a fresh id that the response returns.
        """
        rid = request_id(header)
        if rid == header and not self.recent_ids.claim(rid):
            fresh = new_id()
            log.warning("X-Request-ID %s was already used: this request is %s", rid, fresh)
            return fresh
        return rid

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
