"""A bundle's ``model.json``, read without the model's libraries (scikit-learn, skops):
``env check`` and the fetcher need only this."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catdetector.core.errors import BundleError

META_FILE = "model.json"
SCHEMA_VERSION = 1


def read_meta(directory: Path) -> dict[str, Any]:
    """Parse ``model.json``; BundleError when missing or not a bundle's meta."""
    path = directory / META_FILE
    if directory.is_file():
        from catdetector.features.custom import not_a_bundle  # numpy, PIL: error path only

        raise BundleError(not_a_bundle(directory))
    if not directory.is_dir():
        raise BundleError(f"no model bundle at {directory}", hint="run `dvc repro` or `dvc pull`")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleError(f"{path} is missing: {directory} is not a complete bundle") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON: {exc}") from exc
    required = ("schema_version", "labels", "files", "preprocess", "environment", "golden")
    if not isinstance(meta, dict) or any(k not in meta for k in required):
        raise BundleError(f"{path} is not a catdetector model.json (missing fields)")
    if meta["schema_version"] != SCHEMA_VERSION:
        raise BundleError(
            f"{path} has schema version {meta['schema_version']}; this catdetector reads "
            f"{SCHEMA_VERSION}"
        )
    return meta
