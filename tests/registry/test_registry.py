"""register / promote (gate) / rollback on real git, dvc and gto; `gto show` agrees each time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from catdetector.formats.dvc import dir_md5
from catdetector.registry.artifact import model_md5
from catdetector.training.synthetic import write_sample
from tests.support import cli, git, gto_show, run


def _ours(root: Path) -> dict:
    data = json.loads(cli("show", "--json", cwd=root).stdout)
    return {"latest": data["latest"], "stages": data["stages"]}


def _register_at(root: Path, commit: str, *extra: str) -> str:
    git("checkout", "-q", commit, cwd=root)
    run(["dvc", "checkout", "-q"], root)
    out = json.loads(cli("register", "--json", *extra, cwd=root).stdout)
    return out["version"]


def _agree(root: Path, stages: dict[str, str]) -> None:
    assert _ours(root)["stages"] == stages
    assert gto_show(root) == _ours(root)


def test_register_refuses_dirty_workspace(reg: dict) -> None:
    root: Path = reg["root"]
    git("checkout", "-q", reg["good"], cwd=root)
    (root / "params.yaml").write_text((root / "params.yaml").read_text() + "\n# edit\n")
    proc = cli("register", cwd=root, check=False)
    assert proc.returncode == 8 and "uncommitted changes" in proc.stderr
    (root / "params.yaml").write_text((root / "params.yaml").read_text().replace("\n# edit\n", ""))
    (root / "scratch.txt").write_text("untracked")
    proc = cli("register", cwd=root, check=False)
    assert proc.returncode == 8 and "scratch.txt" in proc.stderr
    assert git("tag", cwd=root) == ""


def test_register_refuses_model_missing_from_remote(reg: dict, tmp_path: Path) -> None:
    root: Path = reg["root"]
    empty = tmp_path / "empty-remote"
    empty.mkdir()
    run(["dvc", "remote", "modify", "--local", "storage", "url", str(empty)], root)
    git("checkout", "-q", reg["good"], cwd=root)
    stale = cli("register", cwd=root, check=False)  # workspace still holds the bad model
    assert stale.returncode == 8 and "dvc checkout" in stale.stderr
    run(["dvc", "checkout", "-q"], root)
    proc = cli("register", cwd=root, check=False)
    assert proc.returncode == 8
    assert "not in the DVC remote" in proc.stderr and "dvc push" in proc.stderr
    assert git("tag", cwd=root) == ""


def test_register_versions_and_refuses_twice(reg: dict) -> None:
    root: Path = reg["root"]
    assert _register_at(root, reg["good"]) == "v0.1.0"
    assert _register_at(root, reg["bad"], "--bump", "minor") == "v0.2.0"
    proc = cli("register", cwd=root, check=False)
    assert proc.returncode == 8 and "already registered as v0.2.0" in proc.stderr
    proc = cli("register", "--bump", "huge", cwd=root, check=False)
    assert proc.returncode == 2 and "--bump" in proc.stderr
    assert gto_show(root)["latest"] == "v0.2.0"


def test_gate_force_reason_and_rollback(reg: dict) -> None:
    root: Path = reg["root"]
    v1 = _register_at(root, reg["good"])
    v2 = _register_at(root, reg["bad"])
    cli("promote", v1, "--stage", "prod", cwd=root)
    _agree(root, {"prod": v1})

    refused = cli("promote", v2, "--stage", "prod", cwd=root, check=False)
    assert refused.returncode == 9
    assert "gate refused" in refused.stderr and "dummy baseline" in refused.stderr
    _agree(root, {"prod": v1})

    no_reason = cli("promote", v2, "--stage", "prod", "--force", cwd=root, check=False)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr

    forced = json.loads(
        cli(
            "promote",
            v2,
            "--stage",
            "prod",
            "--force",
            "--reason",
            "hotfix for the demo",
            "--json",
            cwd=root,
        ).stdout
    )
    assert forced["forced"] and forced["previous"] == v1
    message = git("tag", "-l", "--format=%(contents)", forced["tag"], cwd=root)
    assert "hotfix for the demo" in message and "FORCED" in message
    _agree(root, {"prod": v2})

    back = json.loads(cli("rollback", "--stage", "prod", "--json", cwd=root).stdout)
    assert back["version"] == v1 and back["previous"] == v2
    _agree(root, {"prod": v1})
    again = cli("rollback", "--stage", "prod", cwd=root, check=False)
    assert again.returncode == 8 and "nothing earlier" in again.stderr
    _agree(root, {"prod": v1})

    history = json.loads(cli("history", "--json", cwd=root).stdout)
    assert [e["kind"] for e in history] == [
        "register",
        "register",
        "promote",
        "promote",
        "rollback",
    ]
    assert history[-1]["version"] == v1


def test_second_rollback_goes_one_further_back(reg: dict) -> None:
    root: Path = reg["root"]
    v1 = _register_at(root, reg["good"])
    v2 = _register_at(root, reg["bad"])
    git("commit", "-q", "--allow-empty", "-m", "same model, new commit", cwd=root)
    v3 = json.loads(cli("register", "--json", cwd=root).stdout)["version"]
    for version in (v1, v2, v3):
        cli("promote", version, "--stage", "staging", "--force", "--reason", "test", cwd=root)
    _agree(root, {"staging": v3})
    cli("rollback", "--stage", "staging", cwd=root)
    _agree(root, {"staging": v2})
    cli("rollback", "--stage", "staging", cwd=root)
    _agree(root, {"staging": v1})
    # promoting again after rollbacks starts a new stack
    cli("promote", v3, "--stage", "staging", "--force", "--reason", "test", cwd=root)
    _agree(root, {"staging": v3})
    cli("rollback", "--stage", "staging", cwd=root)
    _agree(root, {"staging": v1})


def test_registry_user_errors(reg: dict) -> None:
    root: Path = reg["root"]
    cases = [
        (["promote", "v9.9.9", "--stage", "prod"], 8, "not registered"),
        (["promote", "v0.1.0", "--stage", "pr od"], 2, "invalid stage"),
        (["rollback", "--stage", "prod"], 8, "nothing to roll back"),
    ]
    for args, code, message in cases:
        proc = cli(*args, cwd=root, check=False)
        assert proc.returncode == code, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
    v1 = _register_at(root, reg["good"])
    cli("promote", v1, "--stage", "prod", cwd=root)
    proc = cli("promote", v1, "--stage", "prod", cwd=root, check=False)
    assert proc.returncode == 8 and "already in prod" in proc.stderr
    outside = cli("show", cwd=root.parent, check=False)
    assert outside.returncode == 8 and "not inside a catdetector project" in outside.stderr


def test_register_without_git_identity_is_one_clear_line(reg: dict, tmp_path: Path) -> None:
    import os

    root: Path = reg["root"]
    git("checkout", "-q", reg["good"], cwd=root)
    run(["dvc", "checkout", "-q"], root)
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null"}
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        env.pop(var, None)
    proc = cli("register", cwd=root, check=False, env=env)
    assert proc.returncode == 8
    assert "git does not know who you are" in proc.stderr and "Traceback" not in proc.stderr
    assert git("tag", cwd=root) == ""


def test_predict_names_the_registered_version_of_the_same_model(reg: dict, tmp_path: Path) -> None:
    root: Path = reg["root"]
    image = sorted(write_sample(tmp_path / "imgs", 2, 7))[0]

    def version(*extra: str, cwd: Path = root) -> str:
        out = cli("predict", str(image), "--json", *extra, cwd=cwd).stdout
        return json.loads(out)[0]["version"]

    assert version().startswith("unregistered-")  # the bad model, nothing registered
    assert json.loads(run(["dvc", "status", "--json"], root).stdout) == {}
    assert dir_md5(root / "models/catdetector") == model_md5((root / "dvc.lock").read_text())
    v1 = _register_at(root, reg["good"])
    assert version() == v1
    copy = tmp_path / "bundle"
    shutil.copytree(root / "models/catdetector", copy)
    assert version("--bundle", str(copy)) == v1  # found through the project of cwd
    assert version("--bundle", str(copy), cwd=tmp_path).startswith("unregistered-")
    git("checkout", "-q", reg["bad"], cwd=root)
    run(["dvc", "checkout", "-q"], root)
    assert version().startswith("unregistered-")  # another model: not v1
