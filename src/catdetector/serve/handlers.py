"""Error handlers: every HTTP error a JSON body, every validation error a 422 that never fails."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from catdetector.serve.state import runtime_of

KEPT = ("type", "loc", "msg")  # of each validation error: never the input (it may be huge or NaN)


def install(app: FastAPI) -> None:
    """Add the handlers to ``app``."""
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """``{"detail": ...}`` with the served version (and the exception's headers)."""
    served = runtime_of(request).holder.current
    headers = dict(exc.headers or {})
    if served is not None:
        headers["x-model-version"] = served.version
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming what is wrong and where, without echoing the input.

    FastAPI's own handler echoes each bad value: a 200 MB body came back in a 200 MB
    answer, and a NaN could not be written as JSON at all (a 500 and a reset connection).
    """
    errors: list[dict[str, Any]] = [
        {key: _plain(err[key]) for key in KEPT if key in err} for err in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [v if isinstance(v, str | int) else str(v) for v in value]
    return str(value)
