"""Helpers for tests: run the real CLI and tools, build real projects."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

# ../shared beside the repository (as in CI); CATDETECTOR_TEST_REAL_DATA overrides it (a worktree).
REAL_DATA = Path(
    os.environ.get("CATDETECTOR_TEST_REAL_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dogscats-sample"
)
BIN = Path(sys.executable).parent
# Set by .ci/run: a test whose system package is missing fails instead of skipping.
REQUIRE_SYSTEM = "CATDETECTOR_REQUIRE_SYSTEM"


def system_package_missing(package: str, what: str) -> NoReturn:
    """Skip a test that needs Debian's ``package``; fail instead when CI requires it."""
    message = f"{what} is not installed (apt-get install {package}; .ci/run does it)"
    if os.environ.get(REQUIRE_SYSTEM, "") not in ("", "0"):
        pytest.fail(f"{message}; {REQUIRE_SYSTEM} is set, so this fails", pytrace=False)
    pytest.skip(message)


def system_program(package: str, *names: str) -> str:
    """The path of the first of ``names`` on PATH, or skip (fail in CI): see above."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    system_package_missing(package, names[0])


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks it; the caller binds it soon after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    args: list[str],
    cwd: Path,
    *,
    check: bool = True,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on unexpected failure show its output in the assertion."""
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    proc = subprocess.run(
        [exe, *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def cli(*args: str, cwd: Path, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed ``catdetector`` console script."""
    return run(["catdetector", *args], cwd, check=check, **kw)


def git(*args: str, cwd: Path) -> str:
    """Run git, return stdout."""
    return run(["git", *args], cwd).stdout.strip()


def read_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(path.read_text())


def make_trained_project(
    root: Path,
    n: int = 200,
    seed: int = 0,
    remote: str | None = None,
    endpoint_url: str | None = None,
    edit: Callable[[Path], None] | None = None,
) -> Path:
    """init -> ``edit(root)`` (e.g. an older template's dvc.yaml and params.yaml) -> sample
    -> dvc add -> dvc repro -> git commit, all with the real tools."""
    args = ["init", str(root)] + (["--remote", remote] if remote else [])
    args += ["--endpoint-url", endpoint_url] if endpoint_url else []
    cli(*args, cwd=root.parent)
    if edit is not None:
        edit(root)
    cli("sample", "data/raw", "--n", str(n), "--seed", str(seed), cwd=root)
    run(["dvc", "add", "-q", "data/raw"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "data: synthetic sample", cwd=root)
    run(["dvc", "repro", "-q"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "train", cwd=root)
    return root


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``build(folder)`` once per run, even under pytest-xdist.

    The first worker that asks builds it under a lock in the workers' common temp folder;
    the others wait and reuse it. Read-only: a worker copies it before changing anything
    (two workers never run git or DVC in the same folder). A build that failed half-way
    is started again by the next worker that asks.
    """
    from filelock import FileLock

    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = shared / f"once-{name}", shared / f"once-{name}.done"
    with FileLock(str(shared / f"once-{name}.lock")):
        if not done.is_file():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def set_params(root: Path, **sections: dict[str, Any]) -> None:
    """Update sections of params.yaml in place."""
    import yaml

    path = root / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for section, values in sections.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def retrain(root: Path, message: str, **sections: dict[str, Any]) -> str:
    """Change params, `dvc repro`, commit, `dvc push`; return the new commit."""
    set_params(root, **sections)
    run(["dvc", "repro", "-q"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", message, cwd=root)
    run(["dvc", "push", "-q"], root)
    return git("rev-parse", "HEAD", cwd=root)


def gto_show(root: Path) -> dict[str, Any]:
    """`gto show --json` of the catdetector artifact: {'latest', 'stages'}."""
    data = json.loads(run(["gto", "show", "--json"], root).stdout)
    entry = data.get("catdetector", {})
    stages = {k: v for k, v in (entry.get("stage") or {}).items() if v}  # declared, empty: None
    return {"latest": entry.get("version"), "stages": stages}


def copy_project(src: Path, dest_parent: Path) -> Path:
    """Copy a project and its sibling local DVC remote (the remote path stays valid)."""
    dest = dest_parent / src.name
    shutil.copytree(src, dest, symlinks=True)
    remote = src.parent / f"{src.name}.dvc-storage"
    if remote.exists():
        shutil.copytree(remote, dest_parent / remote.name)
        # what `dvc remote modify --local storage url URL` writes, by DVC's own code in this
        # process (a `dvc` process per copy cost 0.5 s of CPU)
        from dvc.config import Config

        with Config(dvc_dir=str(dest / ".dvc")).edit("local") as conf:
            conf.setdefault("remote", {}).setdefault("storage", {})["url"] = str(
                dest_parent / remote.name
            )
    return dest


def publish(proj: Path, work: Path, name: str = "origin.git", *, dvc_push: bool = True) -> Path:
    """A bare origin ``work/name`` with ``proj``'s main pushed (its upstream), and ``dvc push``
    unless ``dvc_push`` is False: the origin."""
    origin = work / name
    run(["git", "init", "-q", "--bare", str(origin)], work)
    git("remote", "add", "origin", str(origin), cwd=proj)
    git("push", "-q", "-u", "origin", "main", cwd=proj)
    if dvc_push:
        run(["dvc", "push", "-q"], proj)
    return origin
