"""Prometheus metrics of the server, as a pure ASGI middleware (no per-request task overhead)."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prom_mp

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

KNOWN_ROUTES = frozenset(
    {
        "/v1/predict",
        "/v1/model",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admin/reload",
        "/v1/feedback",
        "/docs",
        "/redoc",
        "/openapi.json",
    }
)


CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class ServerMetrics:
    """Requests, latency, predictions by label, confidence, the served model, swaps, refusals.

    Names follow Prometheus conventions: counters end in ``_total`` (added by the client
    library), units are in the name, ``catdetector_model_info`` is an info-style gauge
    (value 1, the facts in its labels).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "catdetector_requests",
            "HTTP requests by route, status and the model version that answered",
            ["route", "status", "model_version"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "catdetector_request_seconds",
            "Request latency by route",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.swaps = Counter(
            "catdetector_model_swaps",
            "Models swapped in",
            ["model_version"],
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "catdetector_batch_rows",
            "Images per batched predict call (adaptive batching)",
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
            registry=self.registry,
        )
        self.refusals = Counter(
            "catdetector_model_refusals",
            "Candidate models refused by the load checks, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.predictions = Counter(
            "catdetector_predictions",
            "Images answered, by predicted label and model version",
            ["label", "model_version"],
            registry=self.registry,
        )
        self.confidence = Histogram(
            "catdetector_prediction_confidence_ratio",
            "Probability of the predicted label, by model version",
            ["model_version"],
            buckets=CONFIDENCE_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "catdetector_model_info",
            "The model being served (1), its version, rung and stage in the labels",
            ["version", "rung", "stage"],
            multiprocess_mode="livemax",
            registry=self.registry,
        )
        self._info: tuple[str, str, str] | None = None
        self.routed = Counter(
            "catdetector_routed_requests",
            "Prediction requests by the role whose version answered (primary or canary)",
            ["role"],
            registry=self.registry,
        )
        self.shadow_shed = Counter(
            "catdetector_shadow_shed",
            "Primary predictions whose shadow copy was dropped (queue_full, shutdown, starting, "
            "process_died, unloadable, role_cleared)",
            ["reason"],
            registry=self.registry,
        )
        self.shadow_done = Counter(
            "catdetector_shadow_predictions",
            "Shadow predictions made (never returned), by version and outcome (ok, error)",
            ["model_version", "outcome"],
            registry=self.registry,
        )
        self.shadow_restarts = Counter(
            "catdetector_shadow_restarts",
            "Shadow processes started again after one died",
            registry=self.registry,
        )
        self.shadow_queued = Gauge(
            "catdetector_shadow_queued",
            "Shadow requests queued, being predicted, or whose records are not yet written",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.role_info = Gauge(
            "catdetector_role_info",
            "The version a role (shadow, canary) runs (1), with the canary's share in percent",
            ["role", "version", "share"],
            multiprocess_mode="livemax",
            registry=self.registry,
        )
        self._roles: dict[str, tuple[str, str]] = {}

    def predicted(self, version: str, label: str, confidence: float) -> None:
        """Count one answered image."""
        self.predictions.labels(label, version).inc()
        self.confidence.labels(version).observe(confidence)

    def swapped(self, version: str, rung: str, stage: str) -> None:
        """A model was swapped in: count it and point the info gauge at it."""
        self.swaps.labels(version).inc()
        info = (version, rung, stage)
        if self._info is not None and self._info != info:
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # other workers' files: zero it
                self.model_info.labels(*self._info).set(0)
            else:
                self.model_info.remove(*self._info)
        self.model_info.labels(*info).set(1)
        self._info = info

    def role_changed(self, role: str, version: str | None, share: int | None) -> None:
        """A role now runs ``version`` (None: cleared): point its info gauge at it."""
        old = self._roles.pop(role, None)
        if old is not None:
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
                self.role_info.labels(role, *old).set(0)
            else:
                self.role_info.remove(role, *old)
        if version is not None:
            labels = (version, str(share or 0) if role == "canary" else "")
            self.role_info.labels(role, *labels).set(1)
            self._roles[role] = labels

    def refused(self, reason: str) -> None:
        """A candidate model was refused for ``reason`` (a short, fixed word)."""
        self.refusals.labels(reason).inc()

    def render(self) -> bytes:
        """Exposition text; aggregates all worker processes in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            prom_mp.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request; reads the version from ``x-model-version``."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        seen = {"status": 500, "version": ""}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key == b"x-model-version":
                        seen["version"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in KNOWN_ROUTES else "other"
            self.metrics.requests.labels(route, str(seen["status"]), seen["version"]).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)
