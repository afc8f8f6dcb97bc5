"""The served model and health: ``/v1/model``, ``/healthz``, ``/readyz``, ``/v1/admin/reload``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from catdetector.core.errors import CatDetectorError
from catdetector.serve.predlog import CANARY, PRIMARY, SHADOW
from catdetector.serve.schemas import ErrorBody
from catdetector.serve.state import AdminDep, Runtime, RuntimeDep
from catdetector.serve.watcher import load_static

router = APIRouter()
admin = APIRouter(dependencies=[AdminDep])  # included only when an admin token is set


@router.get("/v1/model", summary="The served model, and the last load check")
async def model_info(runtime: RuntimeDep) -> dict[str, Any]:
    """What is served, what was checked last, and how requests are run."""
    settings = runtime.settings
    served = runtime.holder.current
    check = runtime.holder.last_check
    watcher = runtime.watcher
    return {
        **(served.describe() if served else {"version": None, "stage": settings.stage}),
        "registry": settings.registry,
        "following_stage": settings.stage if settings.registry else None,
        "last_check": check.to_dict() if check else None,
        "poll_error": watcher.poll_error if watcher else None,
        "poll_failures": watcher.poll_failures if watcher else 0,
        "polls": watcher.polls if watcher else 0,
        "startup_error": runtime.startup_error,
        "batching": {
            "mode": settings.batching,
            "active": bool(served and runtime.batcher_for(served)),
            "max_size": settings.batching_max_size,
            "max_wait_ms": settings.batching_max_wait_ms,
        },
        "predict_lanes": runtime.lanes,
        "onnx_threads": settings.threads_per_predict(),
        "roles": roles_view(runtime),
    }


def roles_view(runtime: Runtime) -> dict[str, Any]:
    """Each role's version and share: the primary stage, and the shadow and canary followed."""
    primary = runtime.holder.current
    roles: dict[str, Any] = {
        runtime.settings.stage: {
            "role": PRIMARY,
            "version": primary.version if primary else None,
            "commit": primary.commit if primary else None,
            "share": None,
        }
    }
    for stage, holder in runtime.roles.items():
        served, check = holder.current, holder.last_check
        roles[stage] = {
            "role": stage,
            "version": served.version if served else None,
            "commit": served.commit if served else None,
            "share": served.share if served else None,
            "tag": served.tag if served else None,
            "last_check": check.to_dict() if check else None,
        }
    canary = runtime.roles.get(CANARY)
    if canary is not None and canary.current is not None:  # the share the primary keeps
        roles[runtime.settings.stage]["share"] = 100 - (canary.current.share or 0)
    shadow = runtime.shadow
    if shadow is not None:
        roles[SHADOW]["queue"] = {"capacity": runtime.settings.shadow_queue, **shadow.view()}
    return roles


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """Always ok while the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: a verified model is loaded",
    responses={503: {"model": ErrorBody, "description": "not ready"}},
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """200 with the version when a model is served, else 503 with the reason."""
    served = runtime.holder.current
    check = runtime.holder.last_check
    if served is None:
        reason = (
            (check.error if check and check.error else None)
            or runtime.startup_error
            or (runtime.watcher.poll_error if runtime.watcher else None)
            or "no model yet"
        )
        return JSONResponse({"ready": False, "detail": reason}, status_code=503)
    body: dict[str, Any] = {"ready": True, "version": served.version}
    if check is not None and not check.ok:
        body["last_candidate_refused"] = {"version": check.version, "error": check.error}
    return JSONResponse(body, headers={"x-model-version": served.version})


@admin.post(
    "/v1/admin/reload",
    responses={401: {"model": ErrorBody, "description": "missing or wrong token"}},
    summary="Resolve the stage again now (retrying a refused candidate)",
)
async def reload(runtime: RuntimeDep) -> dict[str, Any]:
    """Check the stage (or the static bundle) again now."""
    settings = runtime.settings
    if runtime.watcher is not None:
        record = await run_in_threadpool(runtime.watcher.check_once, True)
    elif settings.bundle is not None:
        try:
            await run_in_threadpool(load_static, settings.bundle, settings, runtime.holder)
        except CatDetectorError as exc:
            raise HTTPException(409, f"reload refused: {exc}") from exc
        record = runtime.holder.last_check
    else:
        record = None
    served = runtime.holder.current
    return {
        "version": served.version if served else None,
        "last_check": record.to_dict() if record else None,
    }
