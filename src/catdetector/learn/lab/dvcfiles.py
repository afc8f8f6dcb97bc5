"""The lab's reading of DVC's own files: ``.dvc`` files, ``dvc.yaml``, ``dvc.lock``,
``.dvc/config`` and the remote's cache layout.

The lab's view of them; the format knowledge itself is in ``catdetector.formats``
(the project's one home of DVC and GTO formats).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from catdetector.formats import dvc, dvcremote


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or ``{}`` when the file is missing, unreadable or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def dvc_out(dvcfile: Path) -> dict[str, Any]:
    """The first output recorded in a ``.dvc`` file (``{}`` when there is none)."""
    out = dvc.read_dvcfile_out(dvcfile)
    if out is None:
        return {}
    return {k: v for k, v in dataclasses.asdict(out).items() if v is not None}


def file_md5(path: Path) -> str:
    """DVC's hash of one file, as ``dvc add`` records it."""
    return dvc.file_md5(path)


def in_storage(storage: Path, md5: str) -> bool:
    """Whether DVC's remote holds an object (DVC 3 ``files/md5`` layout, or DVC 2)."""
    return dvcremote.find_object(storage, md5) is not None


def lock_md5(repo: Path, out_path: str) -> str | None:
    """The md5 ``dvc.lock`` records for a stage output, or None."""
    try:
        text = (repo / "dvc.lock").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    out = dvc.lock_out(text, out_path)
    return out.md5 if out else None


def stage(repo: Path, name: str) -> dict[str, Any] | None:
    """A stage of ``dvc.yaml``, or None."""
    stages = read_yaml(repo / "dvc.yaml").get("stages")
    found = stages.get(name) if isinstance(stages, dict) else None
    return found if isinstance(found, dict) else None


def is_initialised(repo: Path) -> bool:
    """Whether ``dvc init`` ran in the repository (``.dvc/config`` exists)."""
    return (repo / ".dvc" / "config").exists()


def has_default_remote(repo: Path) -> bool:
    """Whether DVC's config names a default remote with a URL (read by DVC's own loader)."""
    try:
        return dvcremote.default_remote(repo) is not None
    except dvcremote.RemoteConfigError:
        return False
