"""The model behind a version: which artifact, its hash at a commit, in the workspace, in
the remote.

catdetector's own artifact is the bundle folder recorded by the ``train`` stage in
``dvc.lock``; any other artifact the root ``dvc.yaml`` declares (e.g. a team's
``model.h5`` adopted by ``init --here``) is a file or folder tracked by its own ``.dvc``
file, or an output of one of the project's stages (``dvc.lock``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from catdetector.core import layout, tools
from catdetector.core.errors import RegistryError, UsageError
from catdetector.formats import dvc, dvcremote, gto
from catdetector.registry.state import read_state


@dataclass(frozen=True)
class Artifact:
    """A GTO artifact of the repository: its name and the path of its model."""

    name: str
    path: str

    @property
    def own(self) -> bool:
        """True for catdetector's own bundle (the one the metric gate reads)."""
        return self.name == layout.ARTIFACT

    @property
    def dvcfile(self) -> str:
        """The ``.dvc`` file that tracks an adopted model (``dvc add`` writes it)."""
        return f"{self.path}.dvc"


OWN = Artifact(layout.ARTIFACT, layout.MODEL_DIR.as_posix())


def declared(root: Path) -> dict[str, str]:
    """Artifacts the root ``dvc.yaml`` declares (name -> path); catdetector's own always."""
    try:
        text = (root / layout.DVC_YAML).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    found = dvc.yaml_artifacts(text)
    found.setdefault(OWN.name, OWN.path)
    return found


def resolve(root: Path, name: str | None) -> Artifact:
    """The artifact ``name`` (None: catdetector's own); UsageError naming the declared ones."""
    if name is None or name == OWN.name:
        return OWN
    known = declared(root)
    if name not in known:
        raise UsageError(
            f"unknown artifact {name!r}: {layout.DVC_YAML} declares {', '.join(sorted(known))}"
        )
    return Artifact(name, known[name])


def model_md5(lock_text: str) -> str | None:
    """The DVC md5 (``...dir``) that a dvc.lock text records for the model output."""
    out = dvc.lock_out(lock_text, layout.MODEL_DIR, stage="train")
    return out.md5 if out else None


def _show(root: Path, rev: str, path: str | Path) -> str | None:
    proc = tools.run(["git", "show", f"{rev}:{Path(path).as_posix()}"], root, check=False)
    return proc.stdout if proc.returncode == 0 else None


def lock_model_md5(root: Path, rev: str) -> str | None:
    """The model md5 that ``dvc.lock`` records at ``rev`` (None without one)."""
    text = _show(root, rev, layout.DVC_LOCK)
    return model_md5(text) if text is not None else None


def md5_at(root: Path, art: Artifact, rev: str) -> str | None:
    """The DVC md5 of ``art``'s model at ``rev``: its ``.dvc`` file, else ``dvc.lock``."""
    if art.own:
        return lock_model_md5(root, rev)
    text = _show(root, rev, art.dvcfile)
    if text is not None:
        name = Path(art.path).name
        for out in dvc.dvcfile_outs(text):
            if Path(out.path).as_posix() == name:
                return out.md5
    lock = _show(root, rev, layout.DVC_LOCK)
    staged = dvc.lock_out(lock, art.path) if lock is not None else None
    return staged.md5 if staged else None


def version_with_model(root: Path, md5: str) -> str | None:
    """The highest registered version whose commit's dvc.lock records the model ``md5``."""
    state = read_state(root)
    for version in reversed(state.live()):
        if lock_model_md5(root, state.versions[version]) == md5:
            return version
    return None


def workspace_md5(root: Path, art: Artifact) -> str | None:
    """DVC's hash of ``art``'s model in the workspace (None when it is not there)."""
    path = root / art.path
    if path.is_dir():
        return dvc.dir_md5(path)
    return dvc.file_md5(path) if path.is_file() else None


def workspace_matches(root: Path, md5: str, art: Artifact = OWN) -> bool:
    """True when the workspace's model of ``art`` hashes to ``md5``."""
    return workspace_md5(root, art) == md5


def in_remote(root: Path, md5: str, art: Artifact = OWN) -> bool:
    """True when the output ``md5`` (a file, or a ``.dir`` and every file it lists) is in
    the remote.

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
    cloud = tools.run(["dvc", "status", "--cloud", "--json", art.path], root, check=False)
    if cloud.returncode != 0:
        raise RegistryError(f"cannot reach the DVC remote: {cloud.stderr.strip()[-300:]}")
    return not json.loads(cloud.stdout or "{}")


def sort_versions(versions: list[str]) -> list[str]:
    """Versions in GTO's SemVer order."""
    return sorted(versions, key=gto.version_key)
