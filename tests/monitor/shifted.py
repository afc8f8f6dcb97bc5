"""Inputs for the drift tests: a fresh sample of the training distribution, and shifted ones."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from catdetector.features import images
from catdetector.model.bundle import LoadedModel
from catdetector.training.synthetic import write_sample
from tests.monitor.records import record


def darken(data: bytes, factor: float = 0.3) -> bytes:
    """The image with every pixel scaled by ``factor`` (much darker), as a PNG."""
    with Image.open(io.BytesIO(data)) as img:
        pixels = np.asarray(img.convert("RGB"), np.float64) * factor
    out = io.BytesIO()
    Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def fresh_sample(folder: Path, n: int, seed: int) -> list[bytes]:
    """``n`` synthetic images from the generator the trained project used (another seed)."""
    return [p.read_bytes() for p in sorted(write_sample(folder, n, seed))]


def photos(folder: Path, labels: tuple[str, ...] = ("cat", "other")) -> list[bytes]:
    """The real photos of ``labels`` (sorted by name)."""
    return [p.read_bytes() for label in labels for p in sorted((folder / label).iterdir())]


def served_values(model: LoadedModel, inputs: list[bytes]) -> dict[str, list[float]]:
    """What the server logs for drift: each descriptor, and the positive label's probability."""
    values: dict[str, list[float]] = {name: [] for name in images.DESCRIPTORS}
    values["probability"] = []
    positive = model.labels[0]
    for data in inputs:
        decoded = images.decode(data, model.spec, model.limits)
        for name, value in images.describe(decoded).items():
            values[name].append(value)
        pred = model.predict_bytes([data])[0]
        values["probability"].append(pred.probabilities[positive])
    return values


def stats_of(values: dict[str, list[float]], index: int) -> dict[str, Any]:
    """The descriptor dict of input ``index`` (the ``stats`` column of a logged prediction)."""
    return {k: v[index] for k, v in values.items() if k != "probability"}


def model_meta(model: LoadedModel, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``models`` row meta a server records for ``model`` (as serve.predlog keeps it)."""
    from catdetector.serve.predlog import MODEL_META_KEYS

    return {k: model.meta[k] for k in MODEL_META_KEYS if k in model.meta and k not in drop}


def prediction_rows(
    model: LoadedModel,
    version: str,
    values: dict[str, list[float]],
    created_at: datetime,
    latency_ms: float = 5.0,
) -> list[dict[str, Any]]:
    """One ``predictions`` row per input, as the server logs it."""
    labels = model.labels
    rows = []
    for i, p in enumerate(values["probability"]):
        probs = dict(zip(labels, [p, 1 - p], strict=True))
        label = max(probs, key=probs.__getitem__)
        stats = stats_of(values, i)
        rows.append(
            record(
                created_at=created_at,
                model_version=version,
                width=int(stats["width"]),
                height=int(stats["height"]),
                stats=stats,
                label=label,
                probability=p,
                confidence=probs[label],
                latency_ms=latency_ms + i % 10,
            )
        )
    return rows


def error_row(version: str, created_at: datetime, status: int = 415) -> dict[str, Any]:
    """The row of a refused request."""
    empty = ("input_sha256", "width", "height", "stats", "label", "probability", "confidence")
    return record(
        created_at=created_at,
        model_version=version,
        status=status,
        error="not an image",
        latency_ms=0.5,
        **dict.fromkeys(empty),
    )
