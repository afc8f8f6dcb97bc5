"""Fixtures of the learn tests: an isolated data folder, HOME and git identity."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SEED = HERE / "data" / "module1-exercises.md"
SHARED_SEED = HERE.parents[2] / "shared" / "seed" / "module1-exercises.md"


def catdetector_exe() -> str:
    """The catdetector console script of the running environment."""
    beside = Path(sys.executable).with_name("catdetector")
    if beside.exists():
        return str(beside)
    found = shutil.which("catdetector")
    if found is None:
        pytest.skip("catdetector console script not installed")
    return found


@pytest.fixture
def learn_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment with its own data folder, HOME and git config (also applied in-process)."""
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Bob Test\n\temail = bob@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    values = {
        "CATDETECTOR_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DVC_NO_ANALYTICS": "1",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CATDETECTOR_TRACEBACK", raising=False)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(learn_env: dict[str, str], tmp_path: Path) -> RunCli:
    """Run the real `catdetector` console script; returns the completed process.

    It waits for the process to exit (no timeout by default: a lab run takes
    a minute under load; pytest-timeout ends a hang).
    """

    def run(
        args: Sequence[str],
        *,
        stdin: str = "",
        cwd: Path | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [catdetector_exe(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=learn_env,
            cwd=cwd or tmp_path,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def run_main(
    learn_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> RunCli:
    """Run the console-script entry point in this process (faster than a subprocess)."""
    from catdetector.cli import main

    def run(
        args: Sequence[str],
        *,
        stdin: str = "",
        cwd: Path | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["catdetector", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.chdir(cwd or tmp_path)
        capsys.readouterr()
        code: int = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run
