"""The lab's reading of DVC's own files: ``.dvc`` files, ``dvc.yaml``, ``dvc.lock``,
``.dvc/config`` and the remote's cache layout.

The one place the lab knows DVC formats, so that it can be pointed at
``catdetector.formats.dvc`` (the project's home of DVC format knowledge).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or ``{}`` when the file is missing, unreadable or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def dvc_out(dvcfile: Path) -> dict[str, Any]:
    """The first output recorded in a ``.dvc`` file (``{}`` when there is none)."""
    outs = read_yaml(dvcfile).get("outs")
    if isinstance(outs, list) and outs and isinstance(outs[0], dict):
        return outs[0]
    return {}


def file_md5(path: Path) -> str:
    """DVC's hash of one file (md5 of its bytes)."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def in_storage(storage: Path, md5: str) -> bool:
    """Whether DVC's remote holds an object (DVC 3 ``files/md5`` layout, or DVC 2)."""
    md5 = md5.removesuffix(".dir")
    names = [md5[2:], md5[2:] + ".dir"]
    return any((base / md5[:2] / n).exists()
               for base in (storage / "files" / "md5", storage) for n in names)


def lock_md5(repo: Path, out_path: str) -> str | None:
    """The md5 ``dvc.lock`` records for a stage output, or None."""
    stages = read_yaml(repo / "dvc.lock").get("stages")
    if not isinstance(stages, dict):
        return None
    for stage in stages.values():
        for out in (stage or {}).get("outs", []) or []:
            if isinstance(out, dict) and out.get("path") == out_path:
                return str(out.get("md5"))
    return None


def stage(repo: Path, name: str) -> dict[str, Any] | None:
    """A stage of ``dvc.yaml``, or None."""
    stages = read_yaml(repo / "dvc.yaml").get("stages")
    found = stages.get(name) if isinstance(stages, dict) else None
    return found if isinstance(found, dict) else None


def is_initialised(repo: Path) -> bool:
    """Whether ``dvc init`` ran in the repository (``.dvc/config`` exists)."""
    return (repo / ".dvc" / "config").exists()


def has_default_remote(repo: Path) -> bool:
    """Whether ``.dvc/config`` names a default remote (``remote = NAME`` in ``[core]``)."""
    config = repo / ".dvc" / "config"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    return bool(re.search(r"^\s*remote\s*=", text, re.M))
