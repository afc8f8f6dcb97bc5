"""`catdetector lock`: the lock follows the rungs. A fresh venv installed from the lock of a
project with the pretrained rung on: before `catdetector lock`, `env check` fails naming
it (and `predict` refuses); after, `env check` passes and `predict` and `serve` work."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from catdetector.release import envlock
from tests.serve import serving
from tests.serve.serving import Server
from tests.support import cli, run

PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


def _env(home: Path, venv: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PIP_CACHE_DIR": PIP_CACHE,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "DVC_NO_ANALYTICS": "1",
        "LANG": "C.UTF-8",
    }


@pytest.mark.slow
def test_lock_adds_onnxruntime_for_the_pretrained_rung_and_dvc_repro_warns(
    project_copy: Path,
) -> None:
    assert "onnxruntime" not in envlock.read_lock(project_copy / "requirements.lock")
    from tests.deep.conftest import enable_pretrained

    enable_pretrained(project_copy)
    check = cli("env", "check", cwd=project_copy, check=False)
    assert check.returncode == 1
    assert "run `catdetector lock`" in " ".join(check.stderr.split())
    report = json.loads(cli("env", "check", "--json", cwd=project_copy, check=False).stdout)
    assert not report["ok"] and "(pretrained needs " in report["problems"][0]
    assert "onnxruntime" in report["problems"][0]
    out = json.loads(cli("lock", "--json", cwd=project_copy).stdout)
    assert out == {
        "groups": ["serve-deep"],
        "written": ["requirements.lock", "requirements-ci.lock", out["written"][2]],
        "changed": True,
    }
    pins = envlock.read_lock(project_copy / "requirements.lock")
    assert pins["onnxruntime"].hashes and "pytest" not in pins
    assert "pytest" in envlock.read_lock(project_copy / "requirements-ci.lock")
    assert json.loads(cli("env", "check", "--json", cwd=project_copy).stdout)["ok"]
    again = json.loads(cli("lock", "--json", cwd=project_copy).stdout)
    assert again["changed"] is False  # the same rungs, the same lock


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.timeout(2400)  # two installs of ~150 packages into a fresh venv
def test_a_venv_from_the_lock_serves_the_pretrained_rung_after_catdetector_lock(
    deep_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(deep_project, root, symlinks=True)
    home = tmp_path / "home"
    home.mkdir()
    venv = tmp_path / "venv"
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    run([str(base), "-m", "venv", str(venv)], tmp_path)
    env = _env(home, venv)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--require-hashes"]
    run([*pip, "-r", "requirements.lock"], root, env=env, timeout=1500)
    here = str(venv / "bin" / "catdetector")
    image = next((root / "data/raw/cat").iterdir())

    before = run([here, "env", "check"], root, env=env, check=False)
    assert before.returncode == 1
    assert "run `catdetector lock`" in " ".join(before.stderr.split())
    refused = run([here, "predict", str(image)], root, env=env, check=False)
    assert refused.returncode != 0 and "onnxruntime" in refused.stderr

    run([here, "lock"], root, env=env)
    run([*pip, "-r", "requirements.lock"], root, env=env, timeout=1500)
    after = run([here, "env", "check"], root, env=env)
    assert "environment matches" in " ".join(after.stdout.split())
    predicted = json.loads(run([here, "predict", "--json", str(image)], root, env=env).stdout)
    assert json.dumps(predicted).count("label") >= 1

    monkeypatch.setattr(serving, "BIN", venv / "bin")  # the fresh venv's `catdetector serve`
    fresh = Server(["--bundle", str(root / "models/catdetector"), "--no-log"], tmp_path, env)
    try:
        fresh.wait_ready(timeout=120)
        resp = fresh.predict(image.read_bytes(), "image/jpeg")
        assert resp.status_code == 200, resp.text
    finally:
        fresh.stop()
