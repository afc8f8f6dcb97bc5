"""Prometheus metrics of the server, as a pure ASGI middleware (no per-request task overhead)."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
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
        "/openapi.json",
    }
)


# Module level: the registry watcher counts here; every ServerMetrics exposes it.
REFUSALS = Counter(
    "catdetector_model_refusals",
    "Candidates refused by load checks, by reason (integrity, skew, bundle, remote, other)",
    ["reason"],
    registry=None,
)


class ServerMetrics:
    """Request counter by route, status and model version; a latency histogram by route."""

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
        self.refusals = REFUSALS
        self.registry.register(REFUSALS)

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
