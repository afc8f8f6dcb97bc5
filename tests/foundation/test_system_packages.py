"""A test whose system package is missing skips locally and fails in CI (.ci/run sets the flag)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
NEEDS_A_MISSING_PACKAGE = """
from tests.support import system_program

def test_needs_it():
    system_program("no-such-debian-package", "no-such-program-catdetector")
"""


def _outcome(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_missing.py"
    test.write_text(NEEDS_A_MISSING_PACKAGE)
    environ = {k: v for k, v in os.environ.items() if k != "CATDETECTOR_REQUIRE_SYSTEM"}
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_missing_system_package_skips_by_default(tmp_path: Path) -> None:
    proc = _outcome(tmp_path)
    assert proc.returncode == 0 and "1 skipped" in proc.stdout, proc.stdout
    assert "apt-get install no-such-debian-package" in proc.stdout


@pytest.mark.slow
def test_a_missing_system_package_fails_when_ci_requires_it(tmp_path: Path) -> None:
    proc = _outcome(tmp_path, CATDETECTOR_REQUIRE_SYSTEM="1")
    assert proc.returncode == 1 and "1 failed" in proc.stdout, proc.stdout
    assert "no-such-program-catdetector is not installed" in proc.stdout


def test_no_test_skips_for_a_system_package_on_its_own() -> None:
    """Every such skip goes through tests/support.py, so the CI flag reaches it."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if "corpus" in path.parts or path.name == "support.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("skip", "skipif"):
                text = ast.unparse(node)
                if any(w in text for w in ("apt-get", "tmux", "chromium", "postgres", "nginx")):
                    offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert offenders == []


def test_ci_sets_the_flag_and_runs_every_check() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "export CATDETECTOR_REQUIRE_SYSTEM=1" in script
    for check in ("ruff check src tests bench scripts", "mypy", "lint-imports"):
        assert check in script
    for package in ("postgresql", "nginx", "chromium", "tmux"):
        assert package in script
