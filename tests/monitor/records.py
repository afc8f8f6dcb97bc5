"""Prediction records for store and writer tests."""

from __future__ import annotations

import uuid
from typing import Any

from catdetector.monitor.store import utcnow


def record(**overrides: Any) -> dict[str, Any]:
    """One successful prediction record, as the server queues it."""
    row: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "created_at": utcnow(),
        "model_version": "v0.1.0",
        "model_md5": "0" * 32,
        "status": 200,
        "error": None,
        "input_sha256": "a" * 64,
        "width": 64,
        "height": 48,
        "stats": {"width": 64.0, "height": 48.0, "brightness": 120.5},
        "label": "cat",
        "probability": 0.8,
        "confidence": 0.8,
        "latency_ms": 1.5,
        "image_path": None,
    }
    row.update(overrides)
    return row
