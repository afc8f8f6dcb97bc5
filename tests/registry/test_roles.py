"""Roles beside prod on real git and gto: shadow, canary with its share in the tag, unassign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli, git, gto_show, run

# four assignments and an unassign, each in a later second than the previous (GTO's order)
pytestmark = pytest.mark.slow


def _register_at(root: Path, commit: str) -> str:
    git("checkout", "-q", commit, cwd=root)
    run(["dvc", "checkout", "-q"], root)
    return str(json.loads(cli("register", "--json", cwd=root).stdout)["version"])


def _roles(root: Path) -> dict[str, dict[str, object]]:
    data = json.loads(cli("show", "--json", cwd=root).stdout)
    return {k: {"version": v["version"], "share": v["share"]} for k, v in data["roles"].items()}


def _force(root: Path, version: str, stage: str, *extra: str) -> dict[str, object]:
    args = ["promote", version, "--stage", stage, "--force", "--reason", "roles test", *extra]
    return dict(json.loads(cli(*args, "--json", cwd=root).stdout))


def test_canary_share_is_recorded_in_the_tag_and_read_back(reg: dict) -> None:
    root: Path = reg["root"]
    v1 = _register_at(root, reg["good"])
    v2 = _register_at(root, reg["bad"])
    cli("promote", v1, "--stage", "prod", cwd=root)

    canary = _force(root, v2, "canary", "--share", "10")
    assert canary["share"] == 10 and canary["stage"] == "canary"
    message = git("tag", "-l", "--format=%(contents)", str(canary["tag"]), cwd=root)
    assert message.rstrip().endswith("Canary-Share: 10"), message
    assert _roles(root) == {
        "prod": {"version": v1, "share": None},
        "shadow": {"version": None, "share": None},
        "canary": {"version": v2, "share": 10},
    }
    assert gto_show(root)["stages"] == {"prod": v1, "canary": v2}  # plain gto agrees

    # the same version with another share is a new assignment; the same share is refused
    assert _force(root, v2, "canary", "--share", "30")["share"] == 30
    assert _roles(root)["canary"] == {"version": v2, "share": 30}
    again = ["promote", v2, "--stage", "canary", "--share", "30", "--force", "--reason", "x"]
    same = cli(*again, cwd=root, check=False)
    assert same.returncode == 8 and "already in canary with share 30%" in same.stderr

    _force(root, v2, "shadow")
    assert _roles(root)["shadow"] == {"version": v2, "share": None}
    assert gto_show(root)["stages"] == {"prod": v1, "canary": v2, "shadow": v2}

    cleared = json.loads(
        cli("unassign", "--stage", "canary", "--reason", "bad", "--json", cwd=root).stdout
    )
    assert cleared["version"] == v2 and "!" in cleared["tag"]
    assert _roles(root)["canary"] == {"version": None, "share": None}
    assert gto_show(root)["stages"] == {"prod": v1, "shadow": v2}  # gto reads the unassign too
    kinds = [e["kind"] for e in json.loads(cli("history", "--json", cwd=root).stdout)]
    assert kinds[-1] == "unassign"


def test_share_and_unassign_user_errors(reg: dict) -> None:
    root: Path = reg["root"]
    v1 = _register_at(root, reg["good"])
    cases = [
        (["--stage", "canary", "--share", "0"], "--share must be a percentage from 1 to 100"),
        (["--stage", "canary", "--share", "101"], "--share must be a percentage from 1 to 100"),
        (["--stage", "canary"], "--stage canary needs --share PERCENT"),
        (["--stage", "prod", "--share", "10"], "--share is only for --stage canary"),
    ]
    for args, message in cases:
        proc = cli("promote", v1, *args, cwd=root, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert message in lines[0] and "Traceback" not in proc.stderr
    bad_type = cli("promote", v1, "--stage", "canary", "--share", "ten", cwd=root, check=False)
    assert bad_type.returncode == 2 and "Traceback" not in bad_type.stderr
    prod = cli("unassign", "--stage", "prod", cwd=root, check=False)
    assert prod.returncode == 2 and "only the roles shadow and canary" in prod.stderr
    empty = cli("unassign", "--stage", "shadow", cwd=root, check=False)
    assert empty.returncode == 8 and "nothing to clear" in empty.stderr
    assert git("tag", cwd=root) == f"catdetector@{v1}"  # nothing was tagged by a refusal
