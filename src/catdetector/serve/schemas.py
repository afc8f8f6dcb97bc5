"""The HTTP API's pydantic models and the OpenAPI fragments the routes share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

IMAGE_BODY: dict[str, Any] = {
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
    source: str = Field(
        "human", min_length=1, max_length=64, description="human (default), model, or a name"
    )


class ErrorBody(BaseModel):
    """Every 4xx/5xx body."""

    detail: str


def error_responses(codes: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` with :class:`ErrorBody` for each code."""
    return {k: {"description": v["description"], "model": ErrorBody} for k, v in codes.items()}
