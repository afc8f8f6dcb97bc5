"""The dashboard at ``/``: a page and its script served by the app, fed by one JSON endpoint.

``GET /v1/monitor/summary`` gives the current model and the live figures of its
recent predictions, read from the prediction log (the same report as
``catdetector monitor report``, over the last :data:`WINDOW` predictions).
Nothing comes from elsewhere: no CDN, no font, no framework.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.config import MonitorParams, ServeSettings, log_db_url
from catdetector.core.errors import CatDetectorError
from catdetector.monitor import report, schema
from catdetector.monitor import store as store_mod
from catdetector.serve.holder import ModelHolder, Served

log = logging.getLogger("catdetector.serve")

WINDOW = 1000  # the latest predictions of the current version that the live figures cover
MINUTES = 30  # the request-rate chart's span
STATIC = files("catdetector.serve") / "static"
ASSETS = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}


def thresholds_of(served: Served) -> MonitorParams:
    """The monitor thresholds the model was trained with (defaults for older bundles)."""
    section = (served.model.meta.get("params") or {}).get("monitor") or {}
    try:
        return MonitorParams.model_validate(section)
    except ValidationError:
        return MonitorParams()


def per_minute(rows: list[report.Row], now: datetime) -> list[dict[str, Any]]:
    """Requests and errors in each of the last :data:`MINUTES` minutes, oldest first."""
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=MINUTES - 1)
    total: Counter[int] = Counter()
    errors: Counter[int] = Counter()
    for row in rows:
        slot = int((row.created_at - start).total_seconds() // 60)
        if 0 <= slot < MINUTES:
            total[slot] += 1
            errors[slot] += row.status >= 400
    return [
        {
            "minute": (start + timedelta(minutes=i)).strftime("%H:%M"),
            "requests": total[i],
            "errors": errors[i],
        }
        for i in range(MINUTES)
    ]


class Summary:
    """Builds the summary; opens the prediction log read-only on first use."""

    def __init__(self, settings: ServeSettings, holder: ModelHolder) -> None:
        self.settings = settings
        self.holder = holder
        self._store: store_mod.Store | None = None
        self._lock = threading.Lock()

    def _open(self) -> store_mod.Store:
        with self._lock:
            if self._store is None:
                # read-only: the writer alone creates and migrates the log
                self._store = schema.open_read(log_db_url(self.settings.log_db))
            return self._store

    def close(self) -> None:
        """Close the read connections."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def build(self) -> dict[str, Any]:
        """The JSON of ``GET /v1/monitor/summary``."""
        served = self.holder.current
        out: dict[str, Any] = {
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "stage": self.settings.stage if self.settings.registry else None,
            "registry": self.settings.registry,
            "model": None,
            "log": {"enabled": self.settings.log_enabled, "error": None},
            "live": None,
        }
        if served is None:
            return out
        out["model"] = {**served.describe(), "atc": served.model.meta.get("atc")}
        if not self.settings.log_enabled:
            return out
        try:
            out["live"] = self._live(served)
        except (CatDetectorError, SQLAlchemyError) as exc:
            log.warning("dashboard: the prediction log is unavailable: %s", exc)
            out["log"]["error"] = str(exc).splitlines()[0]
        return out

    def _live(self, served: Served) -> dict[str, Any]:
        store = self._open()
        params = thresholds_of(served)
        rows = report.read_rows(store, versions=[served.version], last=WINDOW)
        truth = report.read_true_labels(store, (r.request_id for r in rows))
        info = report.ModelInfo(
            served.model.meta, loaded_at=datetime.fromtimestamp(served.loaded_at, UTC)
        )
        figures = report.version_report(served.version, rows, info, truth, params).to_dict()
        return {
            **figures,
            "window": WINDOW,
            "total_requests": store.count_predictions(served.version, roles=store_mod.SERVED),
            "thresholds": params.model_dump(),
            "per_minute": per_minute(rows, datetime.now(UTC)),
            "recent_latency_ms": [round(r.latency_ms, 3) for r in rows[-200:]],
        }


def create_router(settings: ServeSettings, holder: ModelHolder) -> tuple[APIRouter, Summary]:
    """The dashboard routes, and the summary builder (close it on shutdown)."""
    router = APIRouter()
    summary = Summary(settings, holder)
    page = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    assets = {name: (STATIC / name).read_bytes() for name in ASSETS}

    @router.get("/", response_class=HTMLResponse, summary="The dashboard", include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        return HTMLResponse(page)

    @router.get("/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in assets:
            return Response('{"detail":"not found"}', 404, media_type="application/json")
        return Response(assets[name], media_type=ASSETS[name])

    @router.get("/v1/monitor/summary", summary="Current model and live monitoring figures")
    async def monitor_summary() -> dict[str, Any]:
        return await run_in_threadpool(summary.build)

    return router, summary
