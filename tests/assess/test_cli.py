"""`catdetector assess` through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.assess.builders import broken_startup, level1_repo


def _exe() -> str:
    exe = Path(sys.executable).parent / "catdetector"
    if exe.exists():
        return str(exe)
    found = shutil.which("catdetector")
    if found is None:
        pytest.skip("the catdetector console script is not installed")
    return found


def run(*args: str, columns: int = 120) -> subprocess.CompletedProcess[str]:
    """Run ``catdetector assess ...`` (no tracebacks wanted: CATDETECTOR_TRACEBACK unset)."""
    env = {k: v for k, v in os.environ.items() if k != "CATDETECTOR_TRACEBACK"}
    env["COLUMNS"] = str(columns)
    return subprocess.run(
        [_exe(), "assess", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture(scope="module")
def level0(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return broken_startup(tmp_path_factory.mktemp("cli") / "catdetector-ai")


@pytest.fixture(scope="module")
def level1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return level1_repo(tmp_path_factory.mktemp("cli") / "pipeline")


def test_text_format(level0: Path) -> None:
    proc = run(str(level0))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Level 0: manual process")
    positions = [out.index(i) for i in ("bus-factor", "no-rollback", "training-serving-skew")]
    assert positions == sorted(positions)
    assert "train.py:16" in out and "fix:" in out and "keeps the level below 1" in out
    assert "next: to reach Level 1:" in out and "ML Test Score" in out


def test_text_output_wraps_under_its_item(level0: Path) -> None:
    out = run(str(level0), columns=72).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 72
    for line in lines[1:]:
        # only the numbered finding headers and notes start at the left margin
        assert (
            not line
            or line[0] == " "
            or line[:2].strip().isdigit()
            or line[:1].isdigit()
            or line.startswith(("note:", "ML Test Score"))
        ), line
    fixes = [i for i, line in enumerate(lines) if line.startswith("    fix: ")]
    assert fixes and lines[fixes[0] + 1].startswith("         ")  # wrapped under the fix


def test_json_error_for_a_missing_path(tmp_path: Path) -> None:
    proc = run(str(tmp_path / "nope"), "--format", "json")
    assert proc.returncode == 12
    data = json.loads(proc.stdout)
    assert "no such folder" in data["error"] and data["path"].endswith("nope")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_folder_without_ml_is_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Awesome list\n\n- [a link](https://example.org)\n")
    proc = run(str(tmp_path), "--format", "json")
    data = json.loads(proc.stdout)
    assert data["level"] is None and data["applicable"] is False and data["findings"] == []
    text = run(str(tmp_path), "--fail-under", "0")
    assert text.stdout.startswith("No level: not applicable")
    assert text.returncode == 1 and "not applicable is below --fail-under 0" in text.stderr


def test_json_format(level0: Path) -> None:
    proc = run(str(level0), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["level"] == 0 and data["path"] == str(level0)
    assert [f["id"] for f in data["findings"][:3]] == [
        "bus-factor",
        "no-rollback",
        "training-serving-skew",
    ]
    first = data["findings"][0]
    assert set(first) >= {"id", "risk", "severity", "evidence", "blocks_level", "fix"}
    assert set(first["evidence"][0]) == {"file", "line", "detail"}
    assert isinstance(data["files_scanned"], int) and isinstance(data["notes"], list)


def test_markdown_format(level0: Path) -> None:
    proc = run(str(level0), "-f", "markdown")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "# MLOps assessment: Level 0 (manual process)"
    assert "| # | id | severity | level | risk | evidence | minimal fix |" in lines
    first = "| 1 | `bus-factor` | high | keeps the level below 1 |"  # no proof 3 in it
    assert any(line.startswith(first) for line in lines)
    assert any(line.startswith("**Next:** to reach Level 1:") for line in lines)


def test_fail_under_fails_below_the_level(level0: Path) -> None:
    proc = run(str(level0), "--fail-under", "1", "--format", "json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["level"] == 0  # the report is still printed
    assert "level 0 is below --fail-under 1" in proc.stderr


def test_fail_under_passes_at_the_level(level1: Path) -> None:
    assert run(str(level1), "--fail-under", "1").returncode == 0
    assert run(str(level1), "--fail-under", "0").returncode == 0
    assert run(str(level1), "--fail-under", "2").returncode == 1


def test_fail_under_out_of_range_is_a_usage_error(level1: Path) -> None:
    proc = run(str(level1), "--fail-under", "3")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_path_is_one_readable_line(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope"
    if kind == "file":
        target.write_text("not a folder")
    proc = run(str(target))
    assert proc.returncode == 12
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    expected = "no such folder" if kind == "missing" else "not a folder"
    assert lines[0].startswith("error: ") and expected in lines[0] and str(target) in lines[0]


def test_not_applicable_exit_status_is_the_documented_one(tmp_path: Path) -> None:
    """Issue 22: the docs said a not-applicable folder exits 1; it exits 1 only below
    --fail-under, 0 without it, and the docs now say so."""
    (tmp_path / "README.md").write_text("# A list of links\n")
    assert run(str(tmp_path)).returncode == 0
    assert run(str(tmp_path), "--fail-under", "0").returncode == 1
    docs = (Path(__file__).resolve().parents[2] / "docs" / "assess-checks.md").read_text()
    flat = " ".join(docs.split())
    assert "including a folder that is not applicable when no `--fail-under` is given" in flat
    assert "a folder that is not applicable has no level and is below any `--fail-under`" in flat
