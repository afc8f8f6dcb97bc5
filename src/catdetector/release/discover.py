"""Find what an existing repository already has: labelled image folders and model files.

Read-only; used by ``catdetector init --here`` to name candidates in its plan.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from catdetector.features.images import SUPPORTED_SUFFIXES

MODEL_SUFFIXES = (".h5", ".keras", ".pt", ".onnx", ".pkl", ".joblib")
# Folders never searched: tools' own state, environments, caches.
SKIP_DIRS = frozenset(
    {".git", ".dvc", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages"}
)
MAX_DEPTH = 4
_NAME_BAD = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class DataFolder:
    """A folder of ``<label>/`` subfolders holding images."""

    path: str  # relative to the root, POSIX
    labels: tuple[str, ...]
    images: int


@dataclass(frozen=True)
class ModelFile:
    """A model file, by suffix."""

    path: str  # relative to the root, POSIX
    size: int


def _walk(root: Path) -> list[tuple[Path, list[str], list[str]]]:
    out = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH
        )
        out.append((here, dirs, sorted(files)))
    return out


def _images_in(folder: Path) -> int:
    try:
        return sum(
            1
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
        )
    except OSError:
        return 0


def label_folders(folder: Path) -> dict[str, int]:
    """Subfolders of ``folder`` that hold images directly, with their image counts."""
    found: dict[str, int] = {}
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return found
    for child in children:
        count = _images_in(child)
        if count:
            found[child.name] = count
    return found


def find(root: Path) -> tuple[list[DataFolder], list[ModelFile]]:
    """Labelled image folders (two or more label subfolders) and model files under ``root``."""
    data: list[DataFolder] = []
    models: list[ModelFile] = []
    for here, _dirs, files in _walk(root):
        rel = here.relative_to(root).as_posix()
        if here != root and not any(rel == d.path or rel.startswith(d.path + "/") for d in data):
            labels = label_folders(here)
            if len(labels) >= 2:
                data.append(DataFolder(rel, tuple(labels), sum(labels.values())))
        for name in files:
            path = here / name
            if path.suffix.lower() in MODEL_SUFFIXES and not path.is_symlink():
                models.append(ModelFile(path.relative_to(root).as_posix(), path.stat().st_size))
    inside = [m for m in models if not any(m.path.startswith(d.path + "/") for d in data)]
    return data, inside


def artifact_name(path: str, taken: set[str]) -> str:
    """A GTO artifact name for a model file (lower case, digits, dashes), unique in ``taken``."""
    stem = Path(path).stem.lower()
    base = _NAME_BAD.sub("-", stem).strip("-") or "model"
    if not base[0].isalpha():
        base = "model-" + base
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
