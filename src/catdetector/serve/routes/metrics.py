"""``GET /metrics``: Prometheus exposition."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from catdetector.serve.state import RuntimeDep

router = APIRouter()


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus(runtime: RuntimeDep) -> Response:
    """The server's metrics (every worker's, with ``--workers N``)."""
    return Response(runtime.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
