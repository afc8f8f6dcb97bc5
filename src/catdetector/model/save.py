"""Writing a model bundle: reproducible skops bytes, golden samples, one atomic folder.

The reading side (load, verify, predict) is :mod:`catdetector.model.bundle`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from catdetector.core.fsutil import staged_dir
from catdetector.model.bundle import META_FILE, MODEL_FILE, SCHEMA_VERSION, sha256_bytes
from catdetector.model.skopsio import skops_io

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def canonical_skops(estimator: Any) -> bytes:
    """skops bytes made reproducible: skops names nodes by ``id()``, we renumber them.

    The object-identity structure is kept (same id -> same number), entries are
    sorted and zip timestamps fixed, so the same model gives the same bytes.
    """
    sio = skops_io()  # heavy (walks the whole of scikit-learn): only when needed

    src = zipfile.ZipFile(io.BytesIO(sio.dumps(estimator)))
    schema = json.loads(src.read("schema.json"))
    numbering: dict[int, int] = {}

    def renumber(raw: int) -> int:
        return numbering.setdefault(raw, len(numbering) + 1)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = renumber(value)
                elif key == "file" and isinstance(value, str) and re.fullmatch(r"\d+\.npy", value):
                    out[key] = f"{renumber(int(value[:-4]))}.npy"
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    new_schema = walk(schema)
    entries: dict[str, bytes] = {"schema.json": json.dumps(new_schema, indent=2).encode()}
    for info in src.infolist():
        name = info.filename
        if name == "schema.json":
            continue
        if re.fullmatch(r"\d+\.npy", name):
            name = f"{renumber(int(name[:-4]))}.npy"
        entries[name] = src.read(info.filename)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name])
    return out.getvalue()


def write_bundle(
    directory: Path, estimator: Any, meta: dict[str, Any], extra: dict[str, bytes] | None = None
) -> dict[str, Any]:
    """Write the bundle atomically (temp dir, then rename); return the final meta.

    ``extra`` files (e.g. ``backbone.onnx``) are recorded with their hash like the model.
    """
    files = {MODEL_FILE: canonical_skops(estimator)} if estimator is not None else {}
    files.update(extra or {})  # a custom-rung bundle: its ONNX file instead of model.skops
    meta = dict(meta)
    meta["schema_version"] = SCHEMA_VERSION
    meta["files"] = {
        name: {"sha256": sha256_bytes(blob), "size": len(blob)} for name, blob in files.items()
    }
    with staged_dir(directory) as tmp:
        for name, blob in files.items():
            (tmp / name).write_bytes(blob)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def golden_record(name: str, data: bytes, label: str, probabilities: np.ndarray) -> dict[str, Any]:
    """One golden sample entry for model.json."""
    return {
        "name": name,
        "label": label,
        "sha256": sha256_bytes(data),
        "bytes_b64": base64.b64encode(data).decode("ascii"),
        "probabilities": [float(p) for p in probabilities],
    }
