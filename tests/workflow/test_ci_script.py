"""The CI workflow that `init` writes calls one script; run that script locally."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import git, retrain, run

# The script's steps run in the venv CATDETECTOR_VENV names (its `install` step makes one;
# tests/workflow/test_fresh_runner.py runs that): here, the test suite's own.
ENV = {**os.environ, "CATDETECTOR_VENV": sys.prefix}


def test_workflow_steps_call_the_script(project_copy: Path) -> None:
    workflow = yaml.safe_load((project_copy / ".github/workflows/catdetector.yml").read_text())
    steps = workflow["jobs"]["train"]["steps"]
    commands = [s["run"] for s in steps if "run" in s]
    assert commands == [
        f"bash ci/continuous-training.sh {step}" for step in ("install", "test", "repro", "gate")
    ]
    assert True in workflow or "on" in workflow  # YAML reads `on:` as True


@pytest.mark.slow  # the CI script: tests, dvc repro, gate (9 s of CPU)
def test_script_runs_tests_repro_and_gate(project_copy: Path) -> None:
    run(["dvc", "push", "-q"], project_copy)
    tests = project_copy / "tests"
    tests.mkdir()
    (tests / "test_params.py").write_text(
        "import yaml\n\ndef test_params():\n"
        "    assert yaml.safe_load(open('params.yaml'))['ladder']['rungs'][0] == 'dummy'\n"
    )
    git("add", "-A", cwd=project_copy)
    git("commit", "-qm", "a project test", cwd=project_copy)
    proc = run(["bash", "ci/continuous-training.sh", "all"], project_copy, env=ENV)
    assert "1 passed" in proc.stdout
    assert "gate passed" in " ".join(proc.stdout.split())


@pytest.mark.slow  # the CI script with a retraining (19 s of CPU)
def test_script_fails_when_the_gate_refuses(project_copy: Path) -> None:
    run(["dvc", "push", "-q"], project_copy)
    retrain(project_copy, "shuffled labels", train={"label_noise": 1.0})
    proc = run(["bash", "ci/continuous-training.sh", "all"], project_copy, check=False, env=ENV)
    assert proc.returncode != 0
    assert "gate refuses" in " ".join(proc.stderr.split())


def test_script_uses_its_own_venv_and_never_a_bare_python(tmp_path: Path) -> None:
    from catdetector.release import templates

    script = templates.CI_SCRIPT
    lines = [ln.strip() for ln in script.splitlines() if not ln.strip().startswith("#")]
    assert not [ln for ln in lines if ln.startswith("python ") or " python " in ln]
    assert '"$PYTHON" -m venv "$VENV"' in script and "-r requirements-ci.lock" in script
    path = tmp_path / "ci.sh"
    path.write_text(script)
    env = {"PATH": "/usr/bin:/bin", "CATDETECTOR_VENV": str(tmp_path / "none"), "HOME": "/tmp"}
    proc = run(["bash", str(path), "test"], tmp_path, check=False, env=env)
    assert proc.returncode == 1 and "run" in proc.stderr and "install" in proc.stderr
    wrong = {**env, "CATDETECTOR_PYTHON": "/bin/false"}
    proc = run(["bash", str(path), "install"], tmp_path, check=False, env=wrong)
    assert proc.returncode == 1 and "locked for Python 3.11" in proc.stderr
