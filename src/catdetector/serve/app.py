"""FastAPI app factory: predict, model info, health, metrics, admin reload."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import platformdirs
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from PIL import Image
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from catdetector import __version__
from catdetector.core.config import ServeSettings, build_serve_settings
from catdetector.core.errors import CatDetectorError, FeedbackError, ImageError
from catdetector.features.images import Limits, open_image
from catdetector.model.bundle import Prediction as ModelPrediction
from catdetector.serve.batching import Batcher, BatchPolicy
from catdetector.serve.dashboard import create_router as create_dashboard
from catdetector.serve.holder import ModelHolder, Served
from catdetector.serve.metrics import MetricsMiddleware, ServerMetrics
from catdetector.serve.predlog import PredLog, new_id, request_id
from catdetector.serve.watcher import RegistryWatcher, load_static

log = logging.getLogger("catdetector.serve")

IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}
INLINE_MAX_BYTES = 1_000_000  # an image this small, and ...
INLINE_MAX_PIXELS = 1_500_000  # ... declaring this few pixels, is predicted on the event loop
MULTIPART_CEILING = 1000  # parts the form parser accepts before we count images
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "model": None}
    for code, text in [
        (400, "malformed multipart body"),
        (413, "body or image over the limit"),
        (415, "not a supported image or content type"),
        (422, "empty, truncated, corrupt or too small image"),
        (503, "no model loaded yet"),
    ]
}


class Prediction(BaseModel):
    """One image's prediction."""

    label: str
    probability: float
    probabilities: dict[str, float]
    version: str
    filename: str | None = None
    request_id: str | None = None  # the id to send feedback for (each image of a batch its own)


class BatchPrediction(BaseModel):
    """A batch's predictions, all by the same model version."""

    version: str
    predictions: list[Prediction]
    request_id: str | None = None


class FeedbackIn(BaseModel):
    """POST /v1/feedback."""

    request_id: str = Field(min_length=1, max_length=32)
    label: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=64, description="human, model, or a name")


class ErrorBody(BaseModel):
    """Every 4xx/5xx body."""

    detail: str


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


def cache_dir_for(settings: ServeSettings) -> Path:
    """The bundle cache folder: the setting, else the user cache of catdetector."""
    return settings.cache_dir or Path(platformdirs.user_cache_dir("catdetector")) / "serve"


def _served(runtime: Runtime) -> Served:
    """One snapshot of the serving model (503 when none)."""
    served = runtime.holder.current
    if served is None:
        raise HTTPException(503, "no model loaded yet: see /readyz and /v1/model")
    return served


# Module level: annotations are strings here, resolved against this module's globals.
bearer_scheme = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything over ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # let request.form() parse what we already read
    return body


async def extract_images(
    request: Request, runtime: Runtime
) -> tuple[list[tuple[str | None, bytes]], bool]:
    """(images, is_batch): raw body (image/*, octet-stream) or multipart 'file'/'files'."""
    settings = runtime.settings
    body = await read_body(request, settings.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            # Parse generously (the body is already bounded), then apply our batch limit.
            form = await request.form(max_files=MULTIPART_CEILING, max_fields=MULTIPART_CEILING)
        except (MultiPartException, StarletteHTTPException) as exc:
            # starlette turns its parser's MultiPartException into a bare 400 HTTPException
            reason = str(getattr(exc, "message", None) or getattr(exc, "detail", "") or exc)
            if reason.startswith("Too many"):
                raise HTTPException(
                    413, f"multipart body over the limit of {settings.max_batch} images"
                ) from exc
            raise HTTPException(400, f"malformed multipart body: {reason}") from exc
        files: list[tuple[str | None, bytes]] = []
        batch = "files" in form
        for key, value in form.multi_items():
            if key not in ("file", "files"):
                continue
            if isinstance(value, str):
                raise HTTPException(415, f"form field {key!r} must be a file upload, not text")
            files.append((value.filename, await value.read()))
        await form.close()
        if not files:
            raise HTTPException(422, "multipart body has no 'file' or 'files' part")
        if len(files) > settings.max_batch:
            raise HTTPException(
                413, f"batch of {len(files)} images is over the limit of {settings.max_batch}"
            )
        return files, batch
    if ctype.startswith("image/") or ctype == "application/octet-stream":
        return [(None, body)], False
    raise HTTPException(
        415,
        f"unsupported content type {ctype or '(none)'!r}: send the image as the body "
        "(image/*, application/octet-stream) or as multipart/form-data 'file'/'files'",
    )


def _open(images: list[tuple[str | None, bytes]], limits: Limits) -> list[Image.Image]:
    """Open every image and check its header (cheap: nothing is decoded yet)."""
    opened: list[Image.Image] = []
    try:
        for index, (name, data) in enumerate(images):
            with _naming(images, index, name):
                opened.append(open_image(data, limits))
    except HTTPException:
        for img in opened:
            img.close()
        raise
    return opened


def _quick(
    served: Served, images: list[tuple[str | None, bytes]], opened: list[Image.Image]
) -> bool:
    """True for one image that a hand-made rung predicts in a few ms: then on the event loop.

    Anything larger (by bytes or by the pixels its header declares) goes to a
    thread, so one big image never stalls the other requests of this worker.
    A few ms of mostly GIL-bound work would not run in parallel in a thread, and
    the hop there and back costs more than it frees the loop for. A backbone's
    decode and predict release the GIL, so they always run in the predict lanes.
    """
    if served.model.has_backbone or len(opened) != 1 or len(images[0][1]) > INLINE_MAX_BYTES:
        return False
    width, height = opened[0].size
    return width * height <= INLINE_MAX_PIXELS


@contextlib.contextmanager
def _naming(images: list[tuple[str | None, bytes]], index: int, name: str | None) -> Iterator[None]:
    """Turn an ImageError into the HTTP error, naming the image when there are several."""
    try:
        yield
    except ImageError as exc:
        where = f"image {index + 1}" + (f" ({name})" if name else "")
        raise HTTPException(
            exc.status, f"{where}: {exc.message}" if len(images) > 1 else exc.message
        ) from exc


def _predict(
    served: Served,
    images: list[tuple[str | None, bytes]],
    opened: list[Image.Image],
    stats: list[dict[str, float]] | None = None,
) -> list[Prediction]:
    """Predict each image; with ``stats``, also append each input's descriptors to it."""
    rows = _prepare(served, images, opened, stats)
    return _answers(served, images, served.model.predict_rows(rows))


def _prepare(
    served: Served,
    images: list[tuple[str | None, bytes]],
    opened: list[Image.Image],
    stats: list[dict[str, float]] | None = None,
) -> np.ndarray:
    """Every image's model input row (decoding closes each image); ``stats`` as above."""
    rows = []
    for index, ((name, _), img) in enumerate(zip(images, opened, strict=True)):
        try:
            with _naming(images, index, name):
                if stats is None:
                    rows.append(served.model.prepare(img))
                else:
                    row, described = served.model.prepare_described(img)
                    rows.append(row)
                    stats.append(described)
        except HTTPException:
            for rest in opened[index + 1 :]:
                rest.close()
            raise
    return np.stack(rows)


def _answers(
    served: Served, images: list[tuple[str | None, bytes]], preds: list[ModelPrediction]
) -> list[Prediction]:
    return [
        Prediction(
            label=pred.label,
            probability=pred.probability,
            probabilities=pred.probabilities,
            version=served.version,
            filename=name,
        )
        for (name, _), pred in zip(images, preds, strict=True)
    ]


def create_app(settings: ServeSettings | None = None, *, start_watcher: bool = True) -> FastAPI:
    """Build the app for ``settings`` (from the environment when None)."""
    settings = settings or build_serve_settings()
    metrics = ServerMetrics()
    runtime = Runtime(settings, ModelHolder(), metrics)
    dashboard, summary = create_dashboard(settings, runtime.holder)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.predlog.start()
        try:
            if settings.bundle is not None:
                await run_in_threadpool(load_static, settings.bundle, settings, runtime.holder)
            elif settings.registry:
                runtime.watcher = RegistryWatcher(settings, runtime.holder, cache_dir_for(settings))
                await run_in_threadpool(runtime.watcher.check_once)
                if start_watcher:
                    runtime.watcher.start()
        except CatDetectorError as exc:
            runtime.startup_error = str(exc)
            log.error("startup: %s", exc)
        yield
        if runtime.watcher is not None:
            runtime.watcher.stop()
        await run_in_threadpool(runtime.predlog.close)  # writes every queued record
        summary.close()
        if runtime.batcher is not None:
            runtime.batcher.close()
        runtime.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="catdetector",
        version=__version__,
        description="Cat-or-not image classifier that follows a GTO registry stage.",
        lifespan=lifespan,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(dashboard)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        served = runtime.holder.current
        headers = dict(exc.headers or {})
        if served is not None:
            headers["x-model-version"] = served.version
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    async def offload(served: Served, work: Callable[..., Any], *args: Any) -> Any:
        """Run ``work`` off the event loop: a backbone's in a predict lane, else in a thread."""
        if served.model.has_backbone:
            return await asyncio.get_running_loop().run_in_executor(runtime.pool, work, *args)
        return await run_in_threadpool(work, *args)

    @app.post(
        "/v1/predict",
        response_model=Prediction | BatchPrediction,
        responses={
            k: {"description": v["description"], "model": ErrorBody} for k, v in ERRORS.items()
        },
        openapi_extra=IMAGE_BODY,
        summary="Classify one image (raw body or multipart 'file') or a batch (multipart 'files')",
    )
    async def predict(request: Request) -> Any:
        # No dependencies on this hot path: solving them costs ~0.1 ms per request.
        started = time.perf_counter()
        rid = request_id(request.headers.get("x-request-id"))
        served = _served(runtime)
        predlog = runtime.predlog
        stats: list[dict[str, float]] | None = [] if predlog.enabled else None
        images: list[tuple[str | None, bytes]] = []
        batcher = runtime.batcher_for(served)
        try:
            with batcher.preparing() if batcher else contextlib.nullcontext():
                images, is_batch = await extract_images(request, runtime)
                limits = Limits(
                    max_bytes=settings.max_body_bytes,
                    max_pixels=min(settings.max_pixels, served.model.limits.max_pixels),
                    min_side=served.model.limits.min_side,
                )
                opened = _open(images, limits)
                args = (served, images, opened, stats)
                if batcher is None:
                    if _quick(served, images, opened):
                        preds = _predict(*args)
                    else:
                        preds = await offload(served, _predict, *args)
            if batcher is not None:  # decoded in a lane, predicted with other requests
                prepare = functools.partial(_prepare, *args)
                preds = _answers(
                    served, images, await batcher.predict(served, len(images), prepare)
                )
        except HTTPException as exc:
            predlog.failed(served, rid, images, exc.status_code, str(exc.detail), started)
            exc.headers = {**(exc.headers or {}), "x-request-id": rid}
            raise
        for pred in preds:
            pred.request_id = new_id() if is_batch else rid
        if stats is not None:
            ids = [p.request_id or rid for p in preds]
            predlog.served(served, ids, images, [p.probabilities for p in preds], stats, started)
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
        )

    @app.post(
        "/v1/feedback",
        status_code=201,
        responses={
            404: {"model": ErrorBody, "description": "unknown request id"},
            409: {"model": ErrorBody, "description": "that request already has a label"},
            422: {"model": ErrorBody, "description": "label or source refused"},
            503: {"model": ErrorBody, "description": "the prediction log is unavailable"},
        },
        summary="The true label of a served prediction, and where it came from",
    )
    async def post_feedback(body: FeedbackIn) -> dict[str, Any]:
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

    @app.get("/v1/model", summary="The served model, and the last load check")
    async def model_info() -> dict[str, Any]:
        served = runtime.holder.current
        check = runtime.holder.last_check
        watcher = runtime.watcher
        return {
            **(served.describe() if served else {"version": None, "stage": settings.stage}),
            "registry": settings.registry,
            "following_stage": settings.stage if settings.registry else None,
            "last_check": check.to_dict() if check else None,
            "poll_error": watcher.poll_error if watcher else None,
            "startup_error": runtime.startup_error,
            "batching": {
                "mode": settings.batching,
                "active": bool(served and runtime.batcher_for(served)),
                "max_size": settings.batching_max_size,
                "max_wait_ms": settings.batching_max_wait_ms,
            },
            "predict_lanes": runtime.lanes,
            "onnx_threads": settings.threads_per_predict(),
        }

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="Readiness: a verified model is loaded",
        responses={503: {"model": ErrorBody, "description": "not ready"}},
    )
    async def readyz() -> JSONResponse:
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

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    if settings.admin_token:

        async def require_admin(creds: BearerDep) -> None:
            token = runtime.settings.admin_token or ""
            if creds is None or not secrets.compare_digest(
                creds.credentials.encode(), token.encode()
            ):
                raise HTTPException(
                    401,
                    "admin endpoints need 'Authorization: Bearer <token>'",
                    headers={"www-authenticate": "Bearer"},
                )

        @app.post(
            "/v1/admin/reload",
            dependencies=[Depends(require_admin)],
            responses={401: {"model": ErrorBody, "description": "missing or wrong token"}},
            summary="Resolve the stage again now (retrying a refused candidate)",
        )
        async def reload() -> dict[str, Any]:
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

    return app
