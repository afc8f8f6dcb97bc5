"""The dashboard at ``/``: a page and its script served by the app, fed by one JSON endpoint.

``GET /v1/monitor/summary`` gives the current model and the live figures of its
recent predictions, read from the prediction log (the same report as
``catdetector monitor report``, over the last :data:`WINDOW` predictions), and
each candidate the server follows (shadow, canary) beside the primary: the figures
of ``catdetector monitor compare`` since the candidate was loaded, and the verdict
that ``monitor watch --promote-on-pass/--abort-on-fail`` would give it now; and the
last decision that watch took on each role (promoted or aborted, when, by whom, why),
read from the registry the server follows: the message of the tag that cleared it.
Nothing comes from elsewhere: no CDN, no font, no framework.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
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
from catdetector.formats import gto
from catdetector.monitor import compare, report, schema
from catdetector.monitor import store as store_mod
from catdetector.monitor.decide import Bounds, verdict
from catdetector.registry.state import ROLE_STAGES, RegistryState
from catdetector.serve.holder import ModelHolder, Served
from catdetector.serve.watcher import RegistryWatcher

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

    def __init__(
        self,
        settings: ServeSettings,
        holder: ModelHolder,
        roles: Mapping[str, ModelHolder] | None = None,
        watcher: Callable[[], RegistryWatcher | None] | None = None,
    ) -> None:
        self.settings = settings
        self.holder = holder
        self.roles = dict(roles or {})  # stage (shadow, canary) -> its holder
        self.watcher = watcher or (lambda: None)  # the registry watcher, once it exists
        self._decision_error: str | None = None  # logged once per change, not per refresh
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
            "candidates": [],
            "decisions": self._decisions(),
        }
        if served is None:
            return out
        out["model"] = {**served.describe(), "atc": served.model.meta.get("atc")}
        if not self.settings.log_enabled:
            return out
        try:
            out["live"] = self._live(served)
            out["candidates"] = self._candidates(served)
        except (CatDetectorError, SQLAlchemyError) as exc:
            log.warning("dashboard: the prediction log is unavailable: %s", exc)
            out["log"]["error"] = str(exc).splitlines()[0]
        return out

    def _decisions(self) -> list[dict[str, Any]]:
        """The last ``monitor watch`` decision on each role, from the registry followed."""
        watcher = self.watcher()
        state = watcher.state if watcher is not None else None
        if watcher is None or state is None:
            return []
        try:
            found = decisions(state, watcher.message)
        except CatDetectorError as exc:
            if str(exc) != self._decision_error:
                log.warning("dashboard: cannot read the registry's decisions: %s", exc)
            self._decision_error = str(exc)
            return []
        self._decision_error = None
        return found

    def _candidates(self, primary: Served) -> list[dict[str, Any]]:
        """Each followed candidate beside the primary, since the candidate was loaded."""
        out = []
        for stage, holder in sorted(self.roles.items()):
            served = holder.current
            if served is None:
                continue
            since = datetime.fromtimestamp(served.loaded_at, UTC).replace(microsecond=0)
            built = compare.build(
                self._open(), thresholds_of(primary), since, stage, served.version
            )
            found = built.comparisons[0] if built.comparisons else None
            out.append(candidate_view(stage, served, found))
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


def decisions(state: RegistryState, message: Callable[[str], str]) -> list[dict[str, Any]]:
    """The decision recorded by the newest tag that cleared each role, newest first.

    ``message`` reads a tag's message. A role cleared by hand (no decision recorded)
    has none: only what ``monitor watch`` decided is shown.
    """
    out = []
    for stage in ROLE_STAGES:
        cleared = [e for e in state.events if e.stage == stage and e.unassign]
        if not cleared:
            continue
        note = gto.decision_of(message(cleared[-1].tag))
        if note is not None:
            held = state.stage_version(stage)
            out.append({**note.to_dict(), "tag": cleared[-1].tag, "role_now": held})
    return sorted(out, key=lambda d: d["at"], reverse=True)


def candidate_view(stage: str, served: Served, found: compare.Comparison | None) -> dict[str, Any]:
    """One candidate beside the primary: what the dashboard's side-by-side table shows."""
    out: dict[str, Any] = {
        "role": stage,
        "version": served.version,
        "share": getattr(served, "share", None),
        "loaded_at": datetime.fromtimestamp(served.loaded_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "paired": stage == compare.SHADOW,
        "note": found.note if found else "no record of this candidate yet",
        "agreement": found.agreement if found else None,
        "agreement_ceiling": found.agreement_ceiling if found else None,
        "primary": None,
        "candidate": None,
    }
    for side in ("primary", "candidate"):
        figures = found.sides[side] if found else None
        if figures:
            out[side] = {
                k: figures[k] for k in ("version", "requests", "error", "latency_ms", "confidence")
            }
            out[side]["accuracy"] = found.labelled[side] if found else None
            out[side]["alarms"] = figures["alarms"]
    outcome, reasons = verdict(found, Bounds())
    out["decision"] = {"outcome": outcome, "reasons": reasons, "rules": "monitor watch defaults"}
    return out


def create_router(
    settings: ServeSettings,
    holder: ModelHolder,
    roles: Mapping[str, ModelHolder] | None = None,
    watcher: Callable[[], RegistryWatcher | None] | None = None,
) -> tuple[APIRouter, Summary]:
    """The dashboard routes, and the summary builder (close it on shutdown).

    ``roles``: the holders of the shadow and canary this server follows, by stage;
    ``watcher``: gives the registry watcher once the app has one (the decisions).
    """
    router = APIRouter()
    summary = Summary(settings, holder, roles, watcher)
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
