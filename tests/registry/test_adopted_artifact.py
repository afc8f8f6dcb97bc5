"""A team's own model file, adopted by `init --here`, through the registry with `--artifact`.

Real git, dvc and gto in a temporary repository laid out like the course's Level-0 one;
plain `gto show` (and `dvc artifacts get --stage`) agree after every operation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli, copy_project, git, run
from tests.workflow.test_adopt import level0_repo

ART = "model"
H5 = "server/model.h5"


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bob's repository after `catdetector init --here` (model.h5 is artifact `model`
    v0.1.0; nothing pushed to the DVC remote yet). Read-only: copy it."""
    root = level0_repo(tmp_path_factory.mktemp("adopted") / "bob", n=8)
    cli("init", "--here", cwd=root)
    return root


@pytest.fixture
def bob(adopted: Path, tmp_path: Path) -> Path:
    """A private copy of the adopted repository and its local DVC remote."""
    return copy_project(adopted, tmp_path)


def _retrain(root: Path, payload: bytes, push: bool = True) -> str:
    """Bob's new model.h5, tracked the course's way: `dvc add`, commit, `dvc push`."""
    (root / H5).write_bytes(b"\x89HDF\r\n\x1a\n" + payload)
    run(["dvc", "add", "-q", H5], root)
    git("add", f"{H5}.dvc", cwd=root)
    git("commit", "-qm", "Bob retrains his CNN", cwd=root)
    if push:
        run(["dvc", "push", "-q"], root)
    return git("rev-parse", "HEAD", cwd=root)


def _gto(root: Path) -> dict[str, Any]:
    entry = json.loads(run(["gto", "show", "--json"], root).stdout).get(ART, {})
    stages = {k: v for k, v in (entry.get("stage") or {}).items() if v}
    return {"latest": entry.get("version"), "stages": stages}


def _ours(root: Path) -> dict[str, Any]:
    data = json.loads(cli("show", "--artifact", ART, "--json", cwd=root).stdout)
    assert data["artifact"] == ART
    return {"latest": data["latest"], "stages": data["stages"]}


def _agree(root: Path, latest: str, stages: dict[str, str]) -> None:
    assert _ours(root) == {"latest": latest, "stages": stages} == _gto(root)


def _in_stage(root: Path, stage: str, out: Path) -> bytes:
    """What `dvc artifacts get --stage` hands to someone else (Alice)."""
    get = ["dvc", "artifacts", "get", str(root), ART, "--stage", stage, "-o", str(out), "--force"]
    run(get, root.parent)
    return out.read_bytes()


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.slow
def test_an_adopted_model_is_registered_promoted_rolled_back_and_deprecated(
    bob: Path, tmp_path: Path
) -> None:
    _agree(bob, "v0.1.0", {})
    first = (bob / H5).read_bytes()
    run(["dvc", "push", "-q"], bob)  # today's model reaches the remote
    commit = _retrain(bob, b"retrained " * 500)

    out = json.loads(cli("register", "--artifact", ART, "--json", cwd=bob).stdout)
    assert (out["version"], out["tag"], out["commit"]) == ("v0.1.1", "model@v0.1.1", commit)
    _agree(bob, "v0.1.1", {})

    promoted = cli("promote", "v0.1.0", "--stage", "prod", "--artifact", ART, cwd=bob)
    said = " ".join(promoted.stdout.split())
    assert "no metric gate for artifact model" in said and "in the DVC remote" in said
    _agree(bob, "v0.1.1", {"prod": "v0.1.0"})
    result = cli("promote", "v0.1.1", "--stage", "prod", "--artifact", ART, "--json", cwd=bob)
    promoted_json = json.loads(result.stdout)
    assert promoted_json["previous"] == "v0.1.0" and promoted_json["tag"].startswith("model#prod#")
    assert promoted_json["gate"]["passed"] and "no metric gate" in promoted_json["gate"]["checked"]
    _agree(bob, "v0.1.1", {"prod": "v0.1.1"})
    assert _in_stage(bob, "prod", tmp_path / "prod.h5") == (bob / H5).read_bytes()

    back = json.loads(
        cli("rollback", "--stage", "prod", "--artifact", ART, "--json", cwd=bob).stdout
    )
    assert (back["version"], back["previous"]) == ("v0.1.0", "v0.1.1")
    _agree(bob, "v0.1.1", {"prod": "v0.1.0"})
    assert _in_stage(bob, "prod", tmp_path / "prod.h5") == first

    held = cli("deprecate", "v0.1.0", "--artifact", ART, cwd=bob, check=False)
    assert held.returncode == 8 and "v0.1.0 is in prod" in held.stderr
    cli("deprecate", "v0.1.1", "--artifact", ART, cwd=bob)
    _agree(bob, "v0.1.0", {"prod": "v0.1.0"})

    events = json.loads(cli("history", "--artifact", ART, "--json", cwd=bob).stdout)
    kinds = [(e["kind"], e["version"]) for e in events]
    assert kinds == [
        ("register", "v0.1.0"),
        ("register", "v0.1.1"),
        ("promote", "v0.1.0"),
        ("promote", "v0.1.1"),
        ("rollback", "v0.1.0"),
        ("deprecate", "v0.1.1"),
    ]
    own = json.loads(cli("show", "--json", cwd=bob).stdout)  # the default is catdetector's own
    assert own["artifact"] == "catdetector" and own["versions"] == [] and own["stages"] == {}


def test_an_unknown_artifact_is_one_line_naming_the_declared_ones(bob: Path) -> None:
    tags = git("tag", cwd=bob)
    for args in (
        ["promote", "v0.1.0", "--stage", "prod"],
        ["register"],
        ["rollback", "--stage", "prod"],
        ["deprecate", "v0.1.0"],
        ["show"],
        ["history"],
    ):
        proc = cli(*args, "--artifact", "modle", cwd=bob, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        line = _one_line(proc.stderr)
        assert "unknown artifact 'modle'" in line and "catdetector, model" in line, line
    assert git("tag", cwd=bob) == tags


def test_register_refuses_what_nobody_else_could_fetch(bob: Path) -> None:
    tags = git("tag", cwd=bob)
    (bob / "README.md").write_text("# CatDetector.ai\n\nNow with DVC.\n")
    git("commit", "-qam", "readme", cwd=bob)
    same = cli("register", "--artifact", ART, cwd=bob, check=False)
    assert same.returncode == 8 and "same file as model v0.1.0" in same.stderr

    (bob / H5).write_bytes(b"\x89HDF\r\n\x1a\n" + b"edited, not added")
    stale = cli("register", "--artifact", ART, cwd=bob, check=False)
    assert stale.returncode == 8 and f"the workspace {H5} does not match" in stale.stderr
    assert f"dvc add {H5}" in stale.stderr

    _retrain(bob, b"not pushed " * 100, push=False)
    unpushed = cli("register", "--artifact", ART, cwd=bob, check=False)
    assert unpushed.returncode == 8 and f"{H5} is not in the DVC remote" in unpushed.stderr
    assert "dvc push" in unpushed.stderr and "Traceback" not in unpushed.stderr
    assert git("tag", cwd=bob) == tags


def test_promoting_an_adopted_version_that_is_not_in_the_remote_is_refused(bob: Path) -> None:
    args = ["promote", "v0.1.0", "--stage", "prod", "--artifact", ART]
    refused = cli(*args, cwd=bob, check=False)  # init --here does not push the model
    assert refused.returncode == 9, refused.stderr
    assert f"{H5} of v0.1.0 is not in the DVC remote" in refused.stderr
    assert _gto(bob)["stages"] == {}
    run(["dvc", "push", "-q"], bob)
    cli(*args, cwd=bob)
    _agree(bob, "v0.1.0", {"prod": "v0.1.0"})
