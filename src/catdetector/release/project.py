"""Create catdetector projects (``init``) and manage their DVC remote."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from catdetector.core import layout, tools
from catdetector.core.config import Params, dump_params
from catdetector.core.errors import ProjectError, UsageError
from catdetector.release import deploy, envlock, templates
from catdetector.release.kubernetes import Options

REMOTE_NAME = "storage"


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did."""

    root: Path
    remote: str
    created: bool  # False when the folder already was a catdetector project
    commit: str | None
    source: str = "wheel"  # where the project installs catdetector from
    lock_differences: list[envlock.LockDifference] = field(default_factory=list)


def default_remote(root: Path) -> Path:
    """The local DVC remote used when none is given: a sibling folder of the project."""
    return root.parent / f"{root.name}.dvc-storage"


def check_remote(url: str) -> str:
    """A remote URL made absolute (local) or checked (S3); UsageError otherwise."""
    if "://" in url:
        scheme = url.split("://", 1)[0]
        if scheme != "s3":
            raise UsageError(f"unsupported remote {url!r}: use a local path or s3://bucket/prefix")
        if not url[len("s3://") :].strip("/"):
            raise UsageError(f"remote {url!r} names no bucket")
        if "@" in url.split("/")[2]:
            raise UsageError(
                "put S3 credentials in the environment or .dvc/config.local, not the URL"
            )
        return url
    return str(Path(url).expanduser().resolve())


def remote_url(root: Path) -> str | None:
    """URL of the project's default DVC remote, or None."""
    name = tools.run(["dvc", "config", "core.remote"], root, check=False).stdout.strip()
    if not name:
        return None
    proc = tools.run(["dvc", "config", f"remote.{name}.url"], root, check=False)
    return proc.stdout.strip() or None


def configure_remote(root: Path, url: str, endpoint_url: str | None = None) -> None:
    """Make ``url`` the default DVC remote; machine-specific settings go to config.local."""
    tools.run(["dvc", "remote", "add", "--force", "--default", REMOTE_NAME, url], root)
    if endpoint_url:
        tools.run(
            ["dvc", "remote", "modify", "--local", REMOTE_NAME, "endpointurl", endpoint_url], root
        )
    if "://" not in url:
        Path(url).mkdir(parents=True, exist_ok=True)


def _undo(root: Path, existed: bool) -> None:
    """Remove what a failed init wrote, leaving the folder as it was (empty or absent)."""
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    if not existed:
        root.rmdir()


def init(
    root: Path,
    remote: str | None = None,
    endpoint_url: str | None = None,
    catdetector_source: str | None = None,
) -> InitResult:
    """Create a catdetector project in ``root`` (git + dvc + params + pipeline + lock).

    ``catdetector_source`` is where the project installs catdetector from (see
    ``envlock.parse_source``); the default vendors a wheel of the running catdetector.
    """
    root = root.expanduser().resolve()
    source = envlock.parse_source(catdetector_source)
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} exists and is not a folder")
    if root.is_dir() and layout.is_project(root):
        return InitResult(root, remote_url(root) or "", False, tools.head_commit(root))
    if root.is_dir() and any(root.iterdir()):
        raise ProjectError(
            f"{root} is not empty and is not a catdetector project",
            hint="choose a new or empty folder, or adopt this one: `catdetector init --here`",
        )
    url = check_remote(remote) if remote else str(default_remote(root))
    existed = root.is_dir()
    root.mkdir(parents=True, exist_ok=True)
    try:
        tools.git("init", "-q", "-b", "main", cwd=root)
        tools.run(["dvc", "init", "-q"], root)
        configure_remote(root, url, endpoint_url)
        # an empty data folder, so that `dvc repro` runs prepare, whose error says what to do
        (root / layout.RAW).mkdir(parents=True, exist_ok=True)
        (root / layout.PARAMS).write_text(dump_params(Params()), encoding="utf-8")
        (root / layout.DVC_YAML).write_text(templates.DVC_YAML, encoding="utf-8")
        (root / ".gitignore").write_text(templates.GITIGNORE, encoding="utf-8")
        (root / layout.GTO_CONFIG).write_text(templates.GTO_CONFIG, encoding="utf-8")
        (root / "README.md").write_text(templates.README.format(name=root.name), encoding="utf-8")
        envlock.write(root, source)
        # Kubernetes manifests and the container build file (`catdetector deploy kubernetes`
        # writes them again with the platform's choices)
        deploy.write(root, deploy.files(root, deploy.resolve_options(root, Options(image=""))))
        for rel, text in (
            (layout.CI_WORKFLOW, templates.CI_WORKFLOW),
            (layout.CI_SCRIPT, templates.CI_SCRIPT),
        ):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        (root / layout.CI_SCRIPT).chmod(0o755)
        tools.git("add", "-A", cwd=root)
        proc = tools.run(
            [
                "git",
                "commit",
                "-q",
                "-m",
                "catdetector init: DVC pipeline, params, environment lock, deployment files",
            ],
            root,
            check=False,
        )
    except BaseException:
        _undo(root, existed)
        raise
    if proc.returncode != 0:
        _undo(root, existed)
        raise ProjectError(
            f"git could not make the first commit in {root}: {proc.stderr.strip()}",
            hint="set git user.name and user.email, then run `git commit` there",
        )
    differences = envlock.compare_lock(envlock.read_lock(root / layout.ENV_LOCK))
    return InitResult(root, url, True, tools.head_commit(root), source.kind, differences)
