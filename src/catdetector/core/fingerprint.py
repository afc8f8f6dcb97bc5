"""Environment fingerprint: what a model needs, recorded at training, compared at load."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

# Packages whose version changes what a loaded model computes.
MODEL_PACKAGES = ("scikit-learn", "numpy", "scipy", "scikit-image", "pillow", "skops")
INFO_PACKAGES = ("catdetector", "dvc", "gto", "fastapi", "uvicorn", "pydantic")


def package_version(name: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def current(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fingerprint of this interpreter and its packages.

    ``extra``: packages that this particular model needs too (e.g. onnxruntime for the
    pretrained rung); they are compared at load like the others.
    """
    needed = MODEL_PACKAGES + tuple(p for p in extra if p not in MODEL_PACKAGES)
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": {name: package_version(name) for name in needed},
        "info": {name: package_version(name) for name in INFO_PACKAGES},
    }


@dataclass(frozen=True)
class Difference:
    """One way the running environment differs from a recorded one."""

    name: str
    recorded: str | None
    running: str | None
    needed: bool  # True when the model depends on it (refuses the load by default)


def compare(recorded: dict[str, Any], running: dict[str, Any] | None = None) -> list[Difference]:
    """Differences between a recorded fingerprint and this (or a given) environment."""
    running = running or current(tuple(recorded.get("packages", {})))
    diffs: list[Difference] = []
    rec_py = ".".join(str(recorded.get("python", "")).split(".")[:2])
    run_py = ".".join(str(running.get("python", "")).split(".")[:2])
    if rec_py != run_py:
        diffs.append(Difference("python", recorded.get("python"), running.get("python"), True))
    for name in sorted(set(recorded.get("packages", {})) | set(running.get("packages", {}))):
        rec = recorded.get("packages", {}).get(name)
        run = running.get("packages", {}).get(name)
        if rec != run:
            diffs.append(Difference(name, rec, run, True))
    for name in sorted(set(recorded.get("info", {})) | set(running.get("info", {}))):
        rec = recorded.get("info", {}).get(name)
        run = running.get("info", {}).get(name)
        if rec != run:
            diffs.append(Difference(name, rec, run, False))
    return diffs


def _closure(requirements: list[str], extras: set[str]) -> set[str]:
    """Names of the installed distributions that these requirements pull in, transitively."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [(r, extras) for r in requirements]
    while todo:
        text, active = todo.pop()
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in active | {""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen or package_version(name) is None:
            continue
        seen.add(name)
        todo += [(r, set(req.extras)) for r in metadata.requires(name) or []]
    return seen


def _dist_bytes(name: str) -> int:
    files = metadata.distribution(name).files or []
    total = 0
    for entry in files:
        try:
            total += Path(entry.locate()).stat().st_size
        except OSError:
            continue
    return total


def install_bytes(extra: str, project: str = "catdetector") -> int:
    """Bytes on disk of the distributions that ``project[extra]`` installs beyond its base.

    Measured from the installed distributions' file lists; 0 when none is installed.
    """
    try:
        requires = metadata.requires(project) or []
    except metadata.PackageNotFoundError:
        return 0
    base = _closure(requires, set())
    with_extra = _closure(requires, {extra})
    return sum(_dist_bytes(name) for name in sorted(with_extra - base))
