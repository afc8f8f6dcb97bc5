"""The generated CI script on a fresh runner: a fresh clone, a fresh venv, an empty HOME.

The runner reproduces Bob's trained commit byte for byte (`dvc status` clean after `repro`;
`dvc metrics diff` empty after `dvc pull && dvc repro -f`) in an environment installed
only from what the project commits.

The install step installs `requirements.lock` in pip's hash-checking mode from the
package index (the one network use of the suite, as on a real runner), with catdetector
itself from the wheel that `init` vendored. The pip download cache of the user running
the tests is reused (pip checks every file against the lock's hashes anyway), so that
the test costs one install, not one download of ~130 packages.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from tests.support import cli, git, run, set_params

PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


def _runner_env(home: Path, venv: Path) -> dict[str, str]:
    """What a CI runner has: its own HOME, the venv's python first on PATH, nothing else."""
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "CI": "true",
        "PIP_CACHE_DIR": PIP_CACHE,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "DVC_NO_ANALYTICS": "1",
        "ITERATIVE_DO_NOT_TRACK": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "LANG": "C.UTF-8",
    }


def _metrics(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "metrics").glob("*.json"))}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_ci_script_on_a_fresh_clone_with_a_fresh_venv_and_empty_home(tmp_path: Path) -> None:
    origin = tmp_path / "proj"
    cli("init", str(origin), cwd=tmp_path)
    cli("sample", "data/raw", "--n", "120", "--seed", "0", cwd=origin)
    run(["dvc", "add", "-q", "data/raw"], origin)
    # a project test, run by the CI script's `test` step with the lock's pytest
    (origin / "tests").mkdir()
    (origin / "tests" / "test_params.py").write_text(
        "import yaml\n\n\ndef test_the_ladder_starts_at_the_dummy():\n"
        "    with open('params.yaml') as f:\n"
        "        assert yaml.safe_load(f)['ladder']['rungs'][0] == 'dummy'\n"
    )
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "data", cwd=origin)
    run(["dvc", "repro", "-q"], origin)
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "train", cwd=origin)
    run(["dvc", "push", "-q"], origin)
    wheels = list((origin / "vendor").glob("catdetector-*.whl"))
    assert len(wheels) == 1 and git("ls-files", "vendor", cwd=origin)

    runner = tmp_path / "runner"
    home = runner / "home"
    home.mkdir(parents=True)
    clone = runner / "proj"
    git("clone", "-q", str(origin), str(clone), cwd=runner)
    venv = runner / "venv"
    base_python = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    )
    run([str(base_python), "-m", "venv", str(venv)], runner)
    env = _runner_env(home, venv)
    script = ["bash", "ci/continuous-training.sh"]

    proc = run([*script, "install", "test", "repro", "gate"], clone, env=env, timeout=1500)
    out = " ".join(proc.stdout.split())
    assert "environment matches" in out
    assert "1 passed" in out
    assert "gate passed" in out
    own = clone / ".venv-ci"  # the script's own venv, made with the locked Python
    assert "/.venv-ci/" in (clone / ".gitignore").read_text()
    env = {**env, "PATH": os.pathsep.join([str(own / "bin"), env["PATH"]])}  # as if activated
    installed = run([str(own / "bin" / "python"), "-m", "pip", "freeze"], clone, env=env).stdout
    assert "/vendor/catdetector-0.1.0-py3-none-any.whl" in installed and "-e " not in installed
    # `repro` rebuilt every output from the data alone, in another venv: the same model
    # and the same scores (the bundle's model.json differs only in its lineage, the commit
    # it was trained at, and dvc.lock in that and in reports/costs.json's timings)
    bob = (origin / "models/catdetector/model.skops").read_bytes()
    assert (clone / "models/catdetector/model.skops").read_bytes() == bob
    assert _metrics(clone) == _metrics(origin)
    # and Bob's outputs pull into the runner's workspace: nothing differs from the rebuild
    # (the rebuild above already retrained from the data alone; a second, forced one here
    # cost a whole training and showed nothing more)
    run(["dvc", "pull", "-q"], clone, env=env)
    assert run(["dvc", "metrics", "diff", "--json"], clone, env=env).stdout.strip() in ("", "{}")
    assert run(["dvc", "status", "--json"], clone, env=env).stdout.strip() in ("", "{}")
    assert (clone / "models/catdetector/model.skops").read_bytes() == bob

    # The installed catdetector vendors a byte-identical wheel: same hash in every lock.
    again = runner / "again"
    run([str(own / "bin" / "catdetector"), "init", str(again)], runner, env={**env, **_ident()})
    assert _sha256(next((again / "vendor").glob("*.whl"))) == _sha256(wheels[0])

    set_params(clone, train={"label_noise": 1.0})
    bad = run([*script, "repro", "gate"], clone, env=env, check=False, timeout=900)
    assert bad.returncode != 0
    assert "gate refuses" in " ".join(bad.stderr.split())


def _ident() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": "Runner",
        "GIT_AUTHOR_EMAIL": "runner@catdetector.test",
        "GIT_COMMITTER_NAME": "Runner",
        "GIT_COMMITTER_EMAIL": "runner@catdetector.test",
    }
