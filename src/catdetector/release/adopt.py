"""``catdetector init --here``: adopt an existing folder or git repository.

The course's minimum fix, applied to the team's own repository: ``git init`` only when
there is no repository, ``dvc init``, ``dvc add`` the data folder and each model file,
set the remote, declare the model files as GTO artifacts, and add catdetector's params
and pipeline where they do not clash. Every existing file keeps its bytes (DVC appends
its entries to ``.gitignore`` files) and the git history is kept. Every clash is found
by :func:`plan` before anything is written; ``--plan`` stops there.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catdetector.core import layout, tools
from catdetector.core.config import DataParams, Params, dump_params
from catdetector.core.errors import ProjectError, UsageError
from catdetector.formats import dvc
from catdetector.release import discover, envlock, templates
from catdetector.release.project import REMOTE_NAME, check_remote, configure_remote, remote_url

FIRST_VERSION = "v0.1.0"  # what each adopted model file is registered as


@dataclass
class Plan:
    """What ``init --here`` will do (or did) in ``root``."""

    root: Path
    git_init: bool
    dvc_init: bool
    remote: str | None  # None: keep the remote DVC already has
    data: discover.DataFolder | None
    models: dict[str, str]  # GTO artifact name -> model file path
    untrack_git: list[str]  # paths git tracks today that move to DVC
    writes: list[str]  # files written or extended
    skipped: list[str]  # files kept as they are (already there)
    endpoint_url: str | None = None  # S3 endpoint: .dvc/config.local, never committed
    data_candidates: list[discover.DataFolder] = field(default_factory=list)
    model_candidates: list[discover.ModelFile] = field(default_factory=list)
    commit: str | None = None

    def steps(self) -> list[str]:
        """The plan as human-readable steps, in order."""
        out = ["git init" if self.git_init else "keep the git repository and its history"]
        out.append("dvc init" if self.dvc_init else "keep the DVC setup")
        out.append(f"DVC remote: {self.remote}" if self.remote else "keep the DVC remote")
        for path in self.untrack_git:
            out.append(f"git rm --cached {path} (its history stays; DVC tracks it from now on)")
        if self.data is not None:
            labels = ", ".join(self.data.labels)
            out.append(f"dvc add {self.data.path}  ({self.data.images} images; labels {labels})")
        else:
            out.append("no labelled image folder found: put images in data/raw/<label>/ later")
        for name, path in self.models.items():
            out.append(f"dvc add {path}  (GTO artifact {name!r})")
        out += [f"write {w}" for w in self.writes]
        out += [f"keep {s} as it is" for s in self.skipped]
        out.append("git commit")
        out += [f"gto register {name} --version {FIRST_VERSION}" for name in self.models]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {
            "root": str(self.root),
            "steps": self.steps(),
            "data": self.data.path if self.data else None,
            "labels": list(self.data.labels) if self.data else [],
            "models": self.models,
            "data_candidates": [d.path for d in self.data_candidates],
            "model_candidates": [m.path for m in self.model_candidates],
            "commit": self.commit,
        }


def _rel(root: Path, given: str, what: str) -> str:
    path = (root / given).resolve() if not Path(given).is_absolute() else Path(given).resolve()
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError as exc:
        raise UsageError(f"{what} {given} is outside {root}") from exc
    if not path.exists():
        raise UsageError(f"{what} {given} does not exist in {root}")
    return rel


def _git_state(root: Path) -> bool:
    """True when ``root`` is a git repository's top level; refuses a subfolder of one."""
    proc = tools.run(["git", "rev-parse", "--show-toplevel"], root, check=False)
    if proc.returncode != 0:
        return False
    top = Path(proc.stdout.strip()).resolve()
    if top != root:
        raise ProjectError(
            f"{root} is inside the git repository {top}",
            hint=f"run `catdetector init --here` at the repository's top level ({top})",
        )
    return True


def _git_tracked(root: Path, path: str) -> bool:
    proc = tools.run(["git", "ls-files", "--", path], root, check=False)
    return bool(proc.stdout.strip())


def plan(
    root: Path,
    data: str | None = None,
    models: list[str] | None = None,
    remote: str | None = None,
    endpoint_url: str | None = None,
) -> Plan:
    """Decide what ``init --here`` does in ``root``; ProjectError on any clash (nothing written)."""
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder", hint="--here adopts an existing folder")
    has_git = _git_state(root)
    if has_git and tools.is_dirty(root):
        raise ProjectError(
            f"{root} has uncommitted changes to tracked files",
            hint="commit or stash them first, so the adoption is one commit of its own",
        )
    data_candidates, model_candidates = discover.find(root)
    chosen_data: discover.DataFolder | None = None
    if data is not None:
        rel = _rel(root, data, "--data")
        labels = discover.label_folders(root / rel)
        if len(labels) < 2:
            raise UsageError(
                f"--data {data} holds no <label>/ subfolders of images (two or more needed)"
            )
        chosen_data = discover.DataFolder(rel, tuple(labels), sum(labels.values()))
    elif len(data_candidates) == 1:
        chosen_data = data_candidates[0]
    elif data_candidates:
        names = ", ".join(d.path for d in data_candidates)
        raise UsageError(f"several labelled image folders ({names}): choose one with --data")
    if chosen_data is not None and chosen_data.path == ".":
        raise UsageError("--data must be a folder below the repository root, not the root")
    paths = (
        [_rel(root, m, "--model") for m in models] if models else [m.path for m in model_candidates]
    )
    for path in paths:
        if not (root / path).is_file():
            raise UsageError(f"--model {path} is not a file")
    named: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        named[discover.artifact_name(path, {layout.ARTIFACT, *named})] = path
    clashes = discover.clashes(root, named, chosen_data.path if chosen_data else None)
    if clashes:
        raise ProjectError(
            f"{root}: {'; '.join(clashes)}; nothing was written",
            hint="rename or move them, then run `catdetector init --here` again",
        )
    tracked = [p for p in ([chosen_data.path] if chosen_data else []) + list(named.values())]
    dvc_init = not (root / ".dvc").is_dir()
    writes = [str(layout.DVC_YAML), str(layout.PARAMS), str(layout.ENV_LOCK), str(envlock.CI_LOCK)]
    skipped: list[str] = []
    for kept_file in (layout.CI_WORKFLOW, layout.CI_SCRIPT, layout.GTO_CONFIG):
        (skipped if (root / kept_file).exists() else writes).append(str(kept_file))
    if remote is not None:
        remote_url_ = check_remote(remote)
    elif dvc_init or not remote_url(root):
        remote_url_ = str(root.parent / f"{root.name}.dvc-storage")
    else:
        remote_url_ = None
    return Plan(
        root=root,
        git_init=not has_git,
        dvc_init=dvc_init,
        remote=remote_url_,
        data=chosen_data,
        models=named,
        untrack_git=[p for p in tracked if has_git and _git_tracked(root, p)],
        writes=writes,
        skipped=skipped,
        endpoint_url=endpoint_url,
        data_candidates=data_candidates,
        model_candidates=model_candidates,
    )


def _merged_dvc_yaml(root: Path, raw: str, models: dict[str, str]) -> str:
    """dvc.yaml text: ours, or theirs (comments and stages kept) with ours added."""
    path = root / layout.DVC_YAML
    text = templates.dvc_yaml(raw, models, discover.prepared_folder(raw))
    if not path.is_file():
        return text
    return dvc.merged_dvc_yaml(path.read_text(encoding="utf-8"), text)


def _params_text(root: Path, data: discover.DataFolder | None) -> str:
    """params.yaml: theirs with catdetector's sections appended (no section is shared)."""
    labels = list(data.labels) if data else DataParams().labels
    raw = data.path if data else str(layout.RAW)
    prepared = discover.prepared_folder(data.path if data else None)
    ours = dump_params(Params(data=DataParams(labels=labels, raw=raw, prepared=prepared)))
    path = root / layout.PARAMS
    if not path.is_file():
        return ours
    theirs = path.read_text(encoding="utf-8")
    sep = "" if not theirs or theirs.endswith("\n") else "\n"
    return theirs + sep + "# catdetector\n" + ours


class _Undo:
    """What a failed adoption must restore: files it wrote or changed, folders it made."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.saved: dict[Path, bytes | None] = {}
        self.made: list[Path] = []

    def keep(self, path: Path) -> None:
        if path not in self.saved:
            self.saved[path] = path.read_bytes() if path.is_file() else None

    def keep_gitignores(self) -> None:
        for path in self.root.rglob(".gitignore"):
            if ".git" not in path.relative_to(self.root).parts:
                self.keep(path)

    def restore(self, git_index: bool) -> None:
        for path, blob in self.saved.items():
            if blob is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(blob)
        for folder in self.made:
            shutil.rmtree(folder, ignore_errors=True)
        if git_index:
            tools.run(["git", "reset", "-q"], self.root, check=False)


def apply(p: Plan, catdetector_source: str | None = None) -> Plan:
    """Carry out a plan; on failure restore what it changed and re-raise."""
    root = p.root
    source = envlock.parse_source(catdetector_source)
    undo = _undo_for(p)
    try:
        _apply(p, source, undo)
    except BaseException:
        undo.restore(git_index=not p.git_init)
        raise
    p.commit = tools.head_commit(root)
    return p


def _undo_for(p: Plan) -> _Undo:
    undo = _Undo(p.root)
    if p.git_init:
        undo.made.append(p.root / ".git")
    if p.dvc_init:
        undo.made.append(p.root / ".dvc")
    else:
        undo.keep(p.root / ".dvc" / "config")
    undo.keep_gitignores()
    tracked = ([p.data.path] if p.data else []) + list(p.models.values())
    for rel in tracked:
        undo.keep(p.root / f"{rel}.dvc")
        undo.keep(p.root / Path(rel).parent / ".gitignore")
    for rel in (*p.writes, str(envlock.SOURCE_FILE), ".dvcignore"):
        undo.keep(p.root / rel)
    if not (p.root / envlock.VENDOR).exists():
        undo.made.append(p.root / envlock.VENDOR)
    return undo


def _apply(p: Plan, source: envlock.Source, undo: _Undo) -> None:
    root = p.root
    if p.git_init:
        tools.git("init", "-q", "-b", "main", cwd=root)
    if p.dvc_init:
        tools.run(["dvc", "init", "-q"], root)
    if p.remote:
        configure_remote(root, p.remote, p.endpoint_url)
    for rel in p.untrack_git:
        tools.git("rm", "-r", "-q", "--cached", "--", rel, cwd=root)
    tracked = ([p.data.path] if p.data else []) + list(p.models.values())
    todo = [rel for rel in tracked if not (root / f"{rel}.dvc").is_file()]
    if todo:
        tools.run(["dvc", "add", "-q", *todo], root)
    raw = p.data.path if p.data else str(layout.RAW)
    text = _merged_dvc_yaml(root, raw, p.models)
    (root / layout.DVC_YAML).write_text(text, encoding="utf-8")
    (root / layout.PARAMS).write_text(_params_text(root, p.data), encoding="utf-8")
    envlock.write(root, source)
    if str(layout.GTO_CONFIG) in p.writes:  # the registry's stages, declared once
        (root / layout.GTO_CONFIG).write_text(templates.GTO_CONFIG, encoding="utf-8")
    ci = ((layout.CI_WORKFLOW, templates.CI_WORKFLOW), (layout.CI_SCRIPT, templates.CI_SCRIPT))
    for ci_path, body in ci:
        if str(ci_path) in p.writes:
            if not (root / ci_path).parent.exists():
                undo.made.append(root / ci_path.parts[0])
            (root / ci_path).parent.mkdir(parents=True, exist_ok=True)
            (root / ci_path).write_text(body, encoding="utf-8")
            if ci_path == layout.CI_SCRIPT:
                (root / ci_path).chmod(0o755)
    if p.git_init:
        tools.git("add", "-A", cwd=root)
    else:
        ours = [".dvc", ".dvcignore", *p.writes, *(f"{t}.dvc" for t in tracked)]
        ours += [str(envlock.SOURCE_FILE), str(envlock.VENDOR), str(envlock.CI_LOCK)]
        ours += [
            str(g.relative_to(root))
            for g in root.rglob(".gitignore")
            if ".git" not in g.relative_to(root).parts
        ]
        tools.git("add", "--", *[o for o in ours if (root / o).exists()], cwd=root)
    what = ", ".join(tracked) or "no data yet"
    proc = tools.run(
        ["git", "commit", "-q", "-m", f"catdetector init --here: DVC tracks {what}; pipeline"],
        root,
        check=False,
    )
    if proc.returncode != 0:
        raise ProjectError(
            f"git could not commit the adoption in {root}: {tools.failure_text(proc)}",
            hint="set git user.name and user.email, then run `catdetector init --here` again",
        )
    for name in p.models:  # the model in use today becomes the first version: a rollback point
        tools.run(["gto", "register", name, "HEAD", "--version", FIRST_VERSION], root)


__all__ = ["REMOTE_NAME", "Plan", "apply", "plan"]
