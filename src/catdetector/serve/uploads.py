"""Reading an upload: the body within its limit, then the images of a raw or multipart body."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect
from starlette.types import Message

from catdetector.core.config import ServeSettings

log = logging.getLogger("catdetector.serve")
MULTIPART_CEILING = 1000  # parts the form parser accepts before we count images
CLIENT_CLOSED = 499  # nginx's status for a client that went away before its answer
Images = list[tuple[str | None, bytes]]


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything over ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the limit of {limit}")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"body is over the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:  # not a server error: counted and logged as 499
        log.info("%s: the client disconnected after %d bytes of the body", request.url.path, size)
        raise HTTPException(
            CLIENT_CLOSED, f"the client disconnected after {size} bytes of the body"
        ) from exc
    return b"".join(chunks)


def replay(request: Request, body: bytes) -> Request:
    """A request over the same scope whose body is ``body`` (already read and bounded)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def parse_form(request: Request, body: bytes, settings: ServeSettings) -> FormData:
    """The multipart form of ``body``: 400 when malformed, 413 over the part ceiling."""
    try:
        # Parse generously (the body is already bounded), then apply our batch limit.
        return await replay(request, body).form(
            max_files=MULTIPART_CEILING, max_fields=MULTIPART_CEILING
        )
    except (MultiPartException, StarletteHTTPException) as exc:
        # starlette turns its parser's MultiPartException into a bare 400 HTTPException
        reason = str(getattr(exc, "message", None) or getattr(exc, "detail", "") or exc)
        if reason.startswith("Too many"):
            raise HTTPException(
                413, f"multipart body over the limit of {settings.max_batch} images"
            ) from exc
        raise HTTPException(400, f"malformed multipart body: {reason}") from exc


async def extract_images(request: Request, settings: ServeSettings) -> tuple[Images, bool]:
    """(images, is_batch): raw body (image/*, octet-stream) or multipart 'file'/'files'."""
    body = await read_body(request, settings.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await parse_form(request, body, settings)
        files: Images = []
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


class LimitedBodyRoute(APIRoute):
    """A route whose body is read within ``max_json_bytes`` (413 above) before FastAPI parses it.

    Set as ``route_class`` of the routers that take JSON; the limit is the app's setting.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.runtime.settings.max_json_bytes
            return await handler(replay(request, await read_body(request, limit)))

        return limited
