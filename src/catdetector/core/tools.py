"""Run git and dvc as subprocesses with readable errors (no shell, no prompts)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from catdetector.core.errors import CatDetectorError, ExternalToolError


def executable(name: str) -> str:
    """Path of ``name``: next to this interpreter first (a venv's dvc/gto), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise ExternalToolError(f"{name} is not installed or not on PATH")
    return found


def tool_env() -> dict[str, str]:
    """Environment for child tools: never prompt, and find our own console scripts."""
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    bindir = str(Path(sys.executable).parent)
    if bindir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def run(
    args: Sequence[str],
    cwd: Path | None = None,
    *,
    check: bool = True,
    timeout: float | None = 600,
    error: type[CatDetectorError] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tool; on failure raise ``error`` (default ExternalToolError) with its stderr."""
    argv = [executable(args[0]), *args[1:]]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=tool_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise (error or ExternalToolError)(
            f"`{' '.join(args)}` timed out after {timeout}s"
        ) from exc
    if check and proc.returncode != 0:
        raise (error or ExternalToolError)(f"`{' '.join(args)}` failed: {failure_text(proc)}")
    return proc


def failure_text(proc: subprocess.CompletedProcess[str]) -> str:
    """The useful part of a failed tool's output: its ERROR lines, else its last lines."""
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    lines = [ln for ln in lines if "Having any troubles?" not in ln]
    errors = [ln for ln in lines if ln.startswith(("ERROR", "error:", "fatal:"))]
    return " | ".join((errors or lines)[-4:]) or f"exit code {proc.returncode}"


def git(*args: str, cwd: Path, check: bool = True) -> str:
    """Run git and return its stripped stdout."""
    return run(["git", *args], cwd, check=check).stdout.strip()


def head_commit(cwd: Path) -> str | None:
    """HEAD's commit, or None outside a repository or before the first commit."""
    proc = run(["git", "rev-parse", "HEAD"], cwd, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def is_dirty(cwd: Path, paths: Sequence[str] = ()) -> bool:
    """True when tracked files (optionally only ``paths``) have uncommitted changes."""
    out = run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", *paths], cwd, check=False
    )
    return bool(out.stdout.strip())
