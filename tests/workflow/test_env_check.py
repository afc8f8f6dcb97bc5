"""`catdetector env check` against a lock and a bundle fingerprint."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.support import cli


def _lock_with(project: Path, tmp_path: Path, name: str, version: str) -> Path:
    """The project's lock (hashed, one package per block) with ``name`` at ``version``."""
    text = (project / "requirements.lock").read_text()
    changed = re.sub(rf"(?m)^{re.escape(name)}==[^ ]+ ", f"{name}=={version} ", text)
    assert changed != text
    lock = tmp_path / "other.lock"
    lock.write_text(changed)
    return lock


def test_project_lock_matches_here(trained_project: Path) -> None:
    proc = cli("env", "check", "--json", cwd=trained_project)
    report = json.loads(proc.stdout)
    assert report["ok"] and report["differences"] == []


def test_lock_differing_in_a_model_package_fails(trained_project: Path, tmp_path: Path) -> None:
    lock = _lock_with(trained_project, tmp_path, "scikit-learn", "0.24.2")
    proc = cli("env", "check", "--lock", str(lock), "--json", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert [(d["name"], d["expected"], d["needed"]) for d in report["differences"]] == [
        ("scikit-learn", "0.24.2", True)
    ]
    text = cli("env", "check", "--lock", str(lock), cwd=tmp_path, check=False)
    assert "scikit-learn" in text.stdout and "MISMATCH" in text.stdout


def test_lock_differing_in_another_package_is_reported_but_passes(
    trained_project: Path, tmp_path: Path
) -> None:
    lock = _lock_with(trained_project, tmp_path, "rich", "1.0.0")
    proc = cli("env", "check", "--lock", str(lock), "--json", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert report["ok"] and [d["name"] for d in report["differences"]] == ["rich"]


def test_bundle_fingerprint_check(trained_project: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(trained_project / "models/catdetector", bundle)
    assert json.loads(cli("env", "check", "--bundle", str(bundle), "--json", cwd=tmp_path).stdout)[
        "ok"
    ]
    meta = json.loads((bundle / "model.json").read_text())
    meta["environment"]["packages"]["numpy"] = "1.19.0"
    (bundle / "model.json").write_text(json.dumps(meta))
    proc = cli("env", "check", "--bundle", str(bundle), cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "numpy" in proc.stdout


def test_env_check_user_errors(tmp_path: Path) -> None:
    proc = cli("env", "check", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "not inside a catdetector project" in proc.stderr
    (tmp_path / "bad.lock").write_text("scikit-learn>=1.0\n")
    proc = cli("env", "check", "--lock", str(tmp_path / "bad.lock"), cwd=tmp_path, check=False)
    assert proc.returncode == 3 and "bad.lock:1" in proc.stderr
    proc = cli("env", "check", "--lock", str(tmp_path / "none.lock"), cwd=tmp_path, check=False)
    assert proc.returncode == 3 and "cannot read lock file" in proc.stderr
    assert "Traceback" not in proc.stderr
