"""``POST /v1/predict``: one image or a batch."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.background import BackgroundTask

from catdetector.features.limits import decoded_bytes
from catdetector.serve import inference
from catdetector.serve.holder import Served
from catdetector.serve.predlog import CANARY, PRIMARY, new_id
from catdetector.serve.schemas import (
    ERRORS,
    IMAGE_BODY,
    BatchPrediction,
    Prediction,
    error_responses,
)
from catdetector.serve.shadow import ShadowJob
from catdetector.serve.state import Runtime, runtime_of
from catdetector.serve.uploads import Images, extract_images

router = APIRouter()


async def offload(runtime: Runtime, served: Served, work: Callable[..., Any], *args: Any) -> Any:
    """Run ``work`` off the event loop: a backbone's in a predict lane, else in a thread."""
    if served.model.has_backbone:
        return await asyncio.get_running_loop().run_in_executor(runtime.pool, work, *args)
    return await run_in_threadpool(work, *args)


@router.post(
    "/v1/predict",
    response_model=Prediction | BatchPrediction,
    responses=error_responses(ERRORS),
    openapi_extra=IMAGE_BODY,
    summary="Classify one image (raw body or multipart 'file') or a batch (multipart 'files')",
)
async def predict(request: Request) -> Any:
    """Classify the uploaded image(s)."""
    # No dependencies on this hot path: solving them costs ~0.1 ms per request.
    started = time.perf_counter()
    runtime = runtime_of(request)
    settings = runtime.settings
    rid = runtime.request_id(request.headers.get("x-request-id"))
    served = runtime.served()
    role = PRIMARY
    if runtime.roles:  # the canary answers its share of requests (by client key, else random)
        canary = runtime.canary(request.headers.get(settings.client_key_header))
        if canary is not None:
            served, role = canary, CANARY
    predlog = runtime.predlog
    stats: list[dict[str, float]] | None = [] if predlog.enabled else None
    images: Images = []
    batcher = runtime.batcher_for(served)
    try:
        async with contextlib.AsyncExitStack() as stack:
            with batcher.preparing() if batcher else contextlib.nullcontext():
                images, is_batch = await extract_images(request, settings)
                limits = inference.limits_for(settings, served, runtime.budget.total)
                opened = inference.open_all(images, limits)
                try:  # decoding waits for its share of the worker's decode memory
                    cost = sum(decoded_bytes(img) for img in opened)
                    await stack.enter_async_context(runtime.budget.hold(cost))
                except BaseException:
                    for img in opened:
                        img.close()
                    raise
                args = (served, images, opened, stats)
                if batcher is None:
                    if inference.quick(served, images, opened):
                        preds = inference.predict(*args)
                    else:
                        preds = await offload(runtime, served, inference.predict, *args)
            if batcher is not None:  # decoded in a lane, predicted with other requests
                prepare = functools.partial(inference.prepare, *args)
                inline = inference.small(images, opened)  # when alone in this worker
                preds = inference.answers(
                    served, images, await batcher.predict(served, len(images), prepare, inline)
                )
    except HTTPException as exc:
        predlog.failed(served, rid, images, exc.status_code, str(exc.detail), started, role)
        exc.headers = {**(exc.headers or {}), "x-request-id": rid}
        raise
    for pred in preds:
        pred.request_id = new_id() if is_batch else rid
        runtime.metrics.predicted(served.version, pred.label, pred.probability)
    ids = [p.request_id or rid for p in preds]
    if stats is not None:
        probs = [p.probabilities for p in preds]
        predlog.served(served, ids, images, probs, stats, started, role)
    runtime.metrics.routed.labels(role).inc()
    background = None
    if role == PRIMARY and runtime.shadow is not None:
        shadow = runtime.shadow_of()
        if shadow is not None:  # predicted after this response is sent, on its own queue
            background = BackgroundTask(runtime.shadow.submit, ShadowJob(shadow, images, ids))
    result: BaseModel = (
        BatchPrediction(version=served.version, predictions=preds, request_id=rid)
        if is_batch
        else preds[0]
    )
    # Serialized by pydantic-core directly (the response_model above is for the docs).
    return Response(
        result.model_dump_json(),
        media_type="application/json",
        headers={"x-model-version": served.version, "x-request-id": rid},
        background=background,
    )
