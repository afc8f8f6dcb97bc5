"""`catdetector upgrade`: a project made by an older catdetector declares its stages' params
as the current template does.

DVC re-runs a stage when a param it declares changes, and only then. A project made
before ``pretrained.precision`` existed declares ``params: [ladder, train]`` for its train
stage, so changing ``pretrained.*`` would never retrain. The current template's
declarations are the reference; the rewrite goes through ``formats.dvc`` and keeps every
other edit (comments, order, the user's own stages and params).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from catdetector.core import fsutil, layout
from catdetector.core.config import Params
from catdetector.core.errors import ConfigError
from catdetector.formats import dvc
from catdetector.release import templates

FIX = "run `catdetector upgrade`"


@dataclass(frozen=True)
class Stale:
    """A stage of dvc.yaml that lacks params the current template declares for it."""

    stage: str
    missing: tuple[str, ...]

    def message(self) -> str:
        """One line: what DVC does not see, and the fix."""
        names = ", ".join(f"`{m}`" for m in self.missing)
        return (
            f"dvc.yaml's {self.stage} stage does not declare the params {names} "
            f"(made by an older catdetector): `dvc repro` will not re-run {self.stage} "
            f"when they change; {FIX}"
        )


@dataclass
class Upgrade:
    """What :func:`upgrade` changed (nothing when the project was current)."""

    stale: list[Stale]
    params_added: list[str] = field(default_factory=list)  # sections appended to params.yaml
    written: list[Path] = field(default_factory=list)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found", hint="run inside a catdetector project") from exc


def stale_stages(root: Path) -> list[Stale]:
    """The stages of ``root``'s dvc.yaml missing params that the template's same-named
    stage declares ([] for a current project; stages of the user's own are not compared)."""
    text = _read(root / layout.DVC_YAML)
    out = []
    for stage in ("prepare", "train", "evaluate"):
        ours = dvc.stage_params(templates.DVC_YAML, stage) or []
        theirs = dvc.stage_params(text, stage)
        if theirs is None:
            continue
        missing = tuple(name for name in ours if not dvc.covers(theirs, name))
        if missing:
            out.append(Stale(stage, missing))
    return out


def upgrade(root: Path, dry_run: bool = False) -> Upgrade:
    """Declare the missing params in dvc.yaml and give params.yaml any section it lacks
    (the defaults; DVC refuses a declared section that params.yaml does not have)."""
    stale = stale_stages(root)
    result = Upgrade(stale)
    if not stale:
        return result
    dvc_path, params_path = root / layout.DVC_YAML, root / layout.PARAMS
    text = _read(dvc_path)
    for one in stale:
        text = dvc.with_stage_params(text, one.stage, list(one.missing))
    params_text = _read(params_path)
    present = yaml.safe_load(params_text) or {}
    if not isinstance(present, dict):
        raise ConfigError(f"{params_path} must be a mapping of sections")
    defaults = Params().to_yaml_dict()
    wanted = [name for one in stale for name in one.missing if name in defaults]
    result.params_added = [n for n in dict.fromkeys(wanted) if n not in present]
    if dry_run:
        return result
    fsutil.write_text(dvc_path, text)  # atomic: a crash leaves the old file whole
    result.written.append(dvc_path)
    if result.params_added:
        added = yaml.safe_dump({n: defaults[n] for n in result.params_added}, sort_keys=False)
        sep = "" if params_text.endswith("\n") else "\n"
        note = "# added by `catdetector upgrade`: the defaults\n"
        fsutil.write_text(params_path, params_text + sep + note + added)
        result.written.append(params_path)
    return result
