"""Trees of files for the assess tests: write them, make notebooks, real git with an isolated
configuration. Tests import these from ``tests.assess.builders``, the one home of helpers."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

Files = dict[str, str | bytes]

# Fake credentials are built at run time so that no key-shaped literal sits in this file.
FAKE_AWS_KEY_ID = "AKIA" + "QZ7W3XK2N5R8T4PL"
FAKE_AWS_SECRET = "wJa1rXUtnFEMI" + "K7MDENGbPxRfiCYzQ2Wm8vLs"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def notebook(*cells: str) -> str:
    """A minimal .ipynb with one code cell per argument."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": [line + "\n" for line in cell.splitlines()],
                }
                for cell in cells
            ],
            "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def fake_h5(size: int = 4096) -> bytes:
    """Bytes that look like an HDF5 file (signature and NULs)."""
    return b"\x89HDF\r\n\x1a\n" + bytes(size)


def git_env(home: Path) -> dict[str, str]:
    """An environment for real git with no user or system configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bob",
        GIT_AUTHOR_EMAIL="bob@catdetector.test",
        GIT_COMMITTER_NAME="Bob",
        GIT_COMMITTER_EMAIL="bob@catdetector.test",
    )
    return env


def git(root: Path, *args: str) -> str:
    """Run real git in ``root`` (isolated config) and return stdout."""
    home = root.parent / ".git-home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        env=git_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {args} failed: {proc.stderr}")
    return proc.stdout


def git_init(root: Path, *, tags: tuple[str, ...] = (), message: str = "initial") -> Path:
    """``git init``, add everything not ignored, commit, and tag."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    for tag in tags:
        git(root, "tag", "-a", tag, "-m", f"registered {tag}")
    return root
