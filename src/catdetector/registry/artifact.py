"""The model behind a version: its hash in ``dvc.lock``, in the workspace, in the remote."""

from __future__ import annotations

import json
from pathlib import Path

from catdetector.core import layout, tools
from catdetector.core.errors import RegistryError
from catdetector.formats import dvc, dvcremote, gto
from catdetector.registry.state import read_state


def model_md5(lock_text: str) -> str | None:
    """The DVC md5 (``...dir``) that a dvc.lock text records for the model output."""
    out = dvc.lock_out(lock_text, layout.MODEL_DIR, stage="train")
    return out.md5 if out else None


def lock_model_md5(root: Path, rev: str) -> str | None:
    """The model md5 that ``dvc.lock`` records at ``rev`` (None without one)."""
    proc = tools.run(["git", "show", f"{rev}:{layout.DVC_LOCK}"], root, check=False)
    return model_md5(proc.stdout) if proc.returncode == 0 else None


def version_with_model(root: Path, md5: str) -> str | None:
    """The highest registered version whose commit's dvc.lock records the model ``md5``."""
    state = read_state(root)
    for version in reversed(state.live()):
        if lock_model_md5(root, state.versions[version]) == md5:
            return version
    return None


def workspace_matches(root: Path, md5: str) -> bool:
    """True when the workspace's model folder hashes to ``md5``."""
    model = root / layout.MODEL_DIR
    return model.is_dir() and dvc.dir_md5(model) == md5


def in_remote(root: Path, md5: str) -> bool:
    """True when the model ``md5`` (a ``.dir``) and every file it lists are in the remote.

    A local remote is read directly (its cache layout), which costs milliseconds; any
    other remote is asked through ``dvc status --cloud`` (about a second).
    """
    try:
        remote = dvcremote.default_remote(root)
    except dvcremote.RemoteConfigError as exc:
        raise RegistryError(f"cannot read the DVC config: {exc}") from exc
    folder = remote.local_path if remote else None
    if folder is not None and folder.is_dir():
        return dvcremote.has_output(folder, md5)
    cloud = tools.run(
        ["dvc", "status", "--cloud", "--json", str(layout.MODEL_DIR)], root, check=False
    )
    if cloud.returncode != 0:
        raise RegistryError(f"cannot reach the DVC remote: {cloud.stderr.strip()[-300:]}")
    return not json.loads(cloud.stdout or "{}")


def sort_versions(versions: list[str]) -> list[str]:
    """Versions in GTO's SemVer order."""
    return sorted(versions, key=gto.version_key)
