"""Where each label of a data folder came from: the ``provenance.json`` manifest.

``catdetector feedback export`` writes it beside the labelled images; ``prepare``
reads the one in ``data/raw`` and refuses labels that came from a model, so a
model is never trained on its own predictions (a hidden feedback loop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catdetector.core.errors import DataError

MANIFEST = "provenance.json"
FORMAT = 1


def is_model_source(source: str) -> bool:
    """True for a label produced by a model: source ``model`` or ``model:<name>``."""
    return source == "model" or source.startswith("model:")


def read(folder: Path) -> dict[str, dict[str, Any]]:
    """The manifest's entries (relative file path -> provenance); empty when there is none."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise DataError(f"{path} is not a provenance manifest (no 'files' mapping)")
    return files


def model_labelled(folder: Path) -> list[str]:
    """Files present in ``folder`` whose manifest entry says a model gave the label."""
    return sorted(
        rel
        for rel, entry in read(folder).items()
        if is_model_source(str(entry.get("source", ""))) and (folder / rel).exists()
    )


def refuse_model_labels(folder: Path) -> None:
    """DataError naming the files of ``folder`` labelled by a model, if any."""
    bad = model_labelled(folder)
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise DataError(
            f"{folder} holds {len(bad)} file(s) whose label came from a model "
            f"(training on them is a hidden feedback loop): {shown}",
            hint=f"remove them, or label them by hand and fix {MANIFEST}",
        )
