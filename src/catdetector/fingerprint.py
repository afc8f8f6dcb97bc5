"""Environment fingerprint: what a model needs, recorded at training, compared at load."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
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


def current() -> dict[str, Any]:
    """The fingerprint of this interpreter and its packages."""
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": {name: package_version(name) for name in MODEL_PACKAGES},
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
    running = running or current()
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
