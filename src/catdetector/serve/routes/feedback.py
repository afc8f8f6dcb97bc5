"""``POST /v1/feedback``: the true label of a served prediction (stored by the prediction log)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from catdetector.core.errors import FeedbackError
from catdetector.serve.schemas import ErrorBody, FeedbackIn
from catdetector.serve.state import RuntimeDep
from catdetector.serve.uploads import LimitedBodyRoute

router = APIRouter(route_class=LimitedBodyRoute)  # JSON bodies over max_json_bytes: 413


@router.post(
    "/v1/feedback",
    status_code=201,
    responses={
        404: {"model": ErrorBody, "description": "unknown request id"},
        409: {"model": ErrorBody, "description": "that request already has a label"},
        413: {"model": ErrorBody, "description": "body over the JSON limit"},
        422: {
            "model": ErrorBody,
            "description": "label or source refused, or this server keeps no input images",
        },
        503: {"model": ErrorBody, "description": "the prediction log is unavailable"},
    },
    summary="The true label of a served prediction, and where it came from",
)
async def post_feedback(body: FeedbackIn, runtime: RuntimeDep) -> dict[str, Any]:
    """Record ``body``'s label for its request id (the log decides 404/409)."""
    if runtime.predlog.enabled and runtime.predlog.images is None:
        raise HTTPException(
            422,
            "this server keeps no input images (--no-log-images), so a label could never "
            "be exported for training: restart it without --no-log-images to accept feedback",
        )
    try:
        return await run_in_threadpool(
            runtime.predlog.feedback,
            body.request_id,
            body.label,
            body.source,
            runtime.holder.current,
        )
    except FeedbackError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
