"""Find what an existing repository already has: labelled image folders and model files.

Read-only; used by ``catdetector init --here`` to name candidates in its plan.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from catdetector.core import layout
from catdetector.core.config import Params
from catdetector.core.errors import ProjectError
from catdetector.features.images import SUPPORTED_SUFFIXES
from catdetector.release.envlock import CI_LOCK

MODEL_SUFFIXES = (".h5", ".keras", ".pt", ".onnx", ".pkl", ".joblib")
# Folders never searched: tools' own state, environments, caches.
SKIP_DIRS = frozenset(
    {".git", ".dvc", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages"}
)
MAX_DEPTH = 4
_NAME_BAD = re.compile(r"[^a-z0-9-]+")
# What catdetector's own params.yaml sections and pipeline write (refused when present).
OWN_SECTIONS = tuple(Params.model_fields)
OWN_STAGES = ("prepare", "train", "evaluate")
OWN_OUTPUTS = (
    layout.MODEL_DIR,
    layout.LADDER_METRICS,
    layout.TEST_METRICS,
    layout.COSTS_REPORT,
    layout.CONFUSION_PLOT,
    layout.ROC_PLOT,
)


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


# ---------------------------------------------------------------- what catdetector would overwrite


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProjectError(f"{path} cannot be read as YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ProjectError(f"{path} is not a YAML mapping")
    return doc


def _overlaps(a: str, b: str) -> bool:
    pa, pb = PurePosixPath(a), PurePosixPath(b)
    return pa == pb or pa in pb.parents or pb in pa.parents


def prepared_folder(data: str | None) -> str:
    """Where prepare writes: data/prepared, unless the data folder holds it (then prepared/)."""
    if data is not None and _overlaps(data, str(layout.PREPARED)):
        return "prepared"
    return str(layout.PREPARED)


def clashes(root: Path, models: dict[str, str], data: str | None) -> list[str]:
    """Everything that catdetector's files would overwrite, as readable phrases."""
    found: list[str] = []
    outputs = [prepared_folder(data), *map(str, OWN_OUTPUTS)]
    for tracked in ([data] if data else []) + list(models.values()):
        found += [
            f"{tracked} overlaps catdetector's output {o}" for o in outputs if _overlaps(tracked, o)
        ]
    dvc_yaml = root / layout.DVC_YAML
    if dvc_yaml.is_file():
        doc = load_yaml(dvc_yaml)
        stages = doc.get("stages") or {}
        found += [f"dvc.yaml already has a stage {s!r}" for s in OWN_STAGES if s in stages]
        artifacts = doc.get("artifacts") or {}
        taken = [layout.ARTIFACT, *models]
        found += [f"dvc.yaml already declares artifact {a!r}" for a in taken if a in artifacts]
    params = root / layout.PARAMS
    if params.is_file():
        doc = load_yaml(params)
        found += [f"params.yaml already has a section {s!r}" for s in OWN_SECTIONS if s in doc]
    found += [f"{p} already exists" for p in outputs if (root / p).exists()]
    found += [f"{p} already exists" for p in (layout.ENV_LOCK, CI_LOCK) if (root / p).exists()]
    return found
