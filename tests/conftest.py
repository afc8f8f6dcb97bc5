"""Shared fixtures: an isolated HOME and git identity, and real catdetector projects."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REAL_DATA, built_once, copy_project, make_trained_project


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test runs with its own HOME, git identity and no system git config."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Bob\n\temail = bob@catdetector.test\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("DVC_NO_ANALYTICS", "1")
    mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    mp.setenv("CATDETECTOR_DATA_DIR", str(home / "catdetector-data"))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        mp.delenv(var, raising=False)
    bindir = str(Path(sys.executable).parent)
    mp.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
    yield home
    mp.undo()


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory: pytest.TempPathFactory, isolated_home: Path) -> Path:
    """A project after init -> sample -> dvc add -> dvc repro -> commit (read-only: copy it).

    Trained once per run (``built_once``); each pytest-xdist worker reads its own copy.
    """
    shared = built_once(tmp_path_factory, "trained", lambda f: _trained(f / "proj"))
    return copy_project(shared / "proj", tmp_path_factory.mktemp("trained"))


def _trained(root: Path) -> None:
    make_trained_project(root)


@pytest.fixture
def project_copy(trained_project: Path, tmp_path: Path) -> Path:
    """A private copy of the trained project that a test may change."""
    return copy_project(trained_project, tmp_path)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The 400 real photos, or skip."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"{REAL_DATA} is absent")
    return REAL_DATA
