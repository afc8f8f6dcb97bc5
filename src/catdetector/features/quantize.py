"""The int8 backbone: onnxruntime's static quantisation of the exported float32 backbone.

``quant_pre_process`` (shape inference, graph optimisation), then ``quantize_static``
in QDQ format with per-channel int8 weights and uint8 activations, calibrated (MinMax)
on backbone inputs of a fixed, seeded subset of training images. Everything that
decides the result (the float32 file, the calibration images, onnxruntime's version,
the settings below) keys a content-addressed cache, so a second training quantises
nothing. Training only: it needs the ``deep`` extra (``onnx``); serving runs the
result with onnxruntime alone.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from catdetector.core.fsutil import atomic_file

# Bump when the quantisation settings or steps below change: part of the cache key.
QUANT_VERSION = 1
SETTINGS = {
    "format": "QDQ",
    "weights": "QInt8 per-channel",
    "activations": "QUInt8",
    "calibration": "MinMax",
    "pre_process": "quant_pre_process",
    "version": QUANT_VERSION,
}
CALIBRATION_BATCH = 8
# Smallest cosine similarity between int8 and float32 embeddings of one golden sample.
MIN_COSINE = 0.95


def calibration_digest(entries: list[dict[str, str]]) -> str:
    """sha256 of the calibration set (its ``path`` and ``sha256`` entries, in order)."""
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()


def cache_key(float_sha256: str, calibration_sha256: str, ort_version: str) -> str:
    """The int8 file's cache key: what it was made from and by."""
    blob = json.dumps([float_sha256, calibration_sha256, ort_version, SETTINGS], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def quantize_int8(float_onnx: bytes, calibration: np.ndarray, input_name: str) -> bytes:
    """The int8 (QDQ) version of ``float_onnx``, calibrated on ``calibration`` (n, 3, H, W)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches: Iterator[dict[str, np.ndarray]] = iter(
                {input_name: calibration[i : i + CALIBRATION_BATCH].astype(np.float32)}
                for i in range(0, len(calibration), CALIBRATION_BATCH)
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

    with tempfile.TemporaryDirectory(prefix="catdetector-int8-") as tmp:
        source, prepared, out = (Path(tmp) / n for n in ("float.onnx", "pre.onnx", "int8.onnx"))
        source.write_bytes(float_onnx)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(out),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            weight_type=QuantType.QInt8,
            activation_type=QuantType.QUInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
        return out.read_bytes()


def cached_int8(
    root: Path,
    float_onnx: bytes,
    calibration: list[dict[str, str]],
    pixels: Any,
    input_name: str,
) -> tuple[bytes, bool]:
    """The int8 backbone from ``<root>/<key>.onnx``, else quantised now and stored there.

    ``pixels()`` gives the calibration inputs (called only on a miss). Returns the bytes
    and whether they came from the cache.
    """
    import onnxruntime

    key = cache_key(
        hashlib.sha256(float_onnx).hexdigest(),
        calibration_digest(calibration),
        str(onnxruntime.__version__),
    )
    path = root / f"{key}.onnx"
    try:
        return path.read_bytes(), True
    except OSError:
        pass
    blob = quantize_int8(float_onnx, pixels(), input_name)
    with atomic_file(path) as handle:
        handle.write(blob)
    return blob, False


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)
    return np.asarray(np.sum(a64 * b64, axis=1) / np.maximum(norms, 1e-12))
