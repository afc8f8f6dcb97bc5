"""Registry writes in a team: real git, gto and a bare "origin" that several clones share.

Each test failed before the registry read origin's tags first and pushed atomically: a
stale clone rolled back from its own (old) history, the loser of a race kept a local
tag that origin refused, `--no-push` said nothing, and any stage name was accepted.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from catdetector.formats import gto as fmt
from catdetector.release import templates
from tests.support import BIN, cli, git, gto_show, publish, run

pytestmark = pytest.mark.slow
FORCE = ("--force", "--reason", "team test")


@dataclass(frozen=True)
class Team:
    """origin (bare) with v0.1.0..v0.1.3 registered; bob's clone made them."""

    origin: Path
    bob: Path

    def clone(self, name: str) -> Path:
        dest = self.bob.parent / name
        run(["git", "clone", "-q", str(self.origin), str(dest)], self.bob.parent)
        return dest

    def origin_show(self) -> dict:
        out = json.loads(run(["gto", "show", "--json", "-r", str(self.origin)], self.bob).stdout)
        entry = out.get("catdetector", {})
        stages = {k: v for k, v in (entry.get("stage") or {}).items() if v}
        return {"latest": entry.get("version"), "stages": stages}


def _promote(
    root: Path, version: str, *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return cli("promote", version, "--stage", "prod", *FORCE, *extra, cwd=root, check=check)


@pytest.fixture(scope="module")
def team_base(two_models: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Team:
    from tests.support import copy_project

    work = tmp_path_factory.mktemp("team")
    bob = copy_project(two_models["root"], work)
    git("checkout", "-q", "-B", "main", two_models["good"], cwd=bob)
    run(["dvc", "checkout", "-q"], bob)
    origin = publish(bob, work, dvc_push=False)
    for i in range(4):
        if i:
            git("commit", "-q", "--allow-empty", "-m", f"release {i}", cwd=bob)
            git("push", "-q", "origin", "main", cwd=bob)
        assert json.loads(cli("register", "--json", cwd=bob).stdout)["pushed"] is True
    return Team(origin, bob)


@pytest.fixture
def team(team_base: Team, tmp_path: Path) -> Team:
    """A private copy of origin and bob's clone."""
    origin = tmp_path / "origin.git"
    bob = tmp_path / "bob"
    shutil.copytree(team_base.origin, origin, symlinks=True)
    shutil.copytree(team_base.bob, bob, symlinks=True)
    git("remote", "set-url", "origin", str(origin), cwd=bob)
    return Team(origin, bob)


def _refs(root: Path) -> str:
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=root)


def test_init_declares_the_stages_in_gtos_own_config(team: Team) -> None:
    declared = fmt.stages_from_file(team.bob / ".gto")
    assert declared == list(templates.STAGES)
    assert "prod" in declared and "staging" in declared
    assert git("ls-files", ".gto", cwd=team.bob) == ".gto"


def test_stale_clone_rolls_back_from_origins_history(team: Team) -> None:
    for version in ("v0.1.0", "v0.1.1", "v0.1.2"):
        _promote(team.bob, version)
    alice = team.clone("alice")  # sees prod: v0.1.0 -> v0.1.1 -> v0.1.2
    _promote(team.bob, "v0.1.3")  # alice does not know
    assert team.origin_show()["stages"] == {"prod": "v0.1.3"}
    assert gto_show(alice)["stages"] == {"prod": "v0.1.2"}  # behind
    back = json.loads(cli("rollback", "--stage", "prod", "--json", cwd=alice).stdout)
    assert (back["previous"], back["version"], back["pushed"]) == ("v0.1.3", "v0.1.2", True)
    assert team.origin_show()["stages"] == {"prod": "v0.1.2"}
    assert gto_show(alice) == team.origin_show()  # alice now holds origin's tags too
    assert "refs/catdetector/" not in _refs(alice)


def test_loser_of_a_promote_race_is_left_as_it_was_and_its_hint_works(team: Team) -> None:
    _promote(team.bob, "v0.1.0")
    alice = team.clone("alice")
    before = _refs(alice)
    # Bob promotes exactly while Alice's push is under way: her pre-push hook runs his command.
    hook = alice / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd {shlex.quote(str(team.bob))} && {shlex.quote(str(BIN / 'catdetector'))} "
        f"promote v0.1.1 --stage prod {' '.join(shlex.quote(a) for a in FORCE)} >&2\n"
    )
    hook.chmod(0o755)
    lost = _promote(alice, "v0.1.2", check=False)
    assert lost.returncode == 8, lost.stderr
    assert "refused the new tag" in lost.stderr and "Traceback" not in lost.stderr
    assert _refs(alice) == before  # no orphan tag, nothing fetched into refs/tags
    assert team.origin_show()["stages"] == {"prod": "v0.1.1"}  # bob won
    hint = re.search(r"run `([^`]+)` again", " ".join(lost.stderr.split()))
    assert hint is not None, lost.stderr
    hook.unlink()
    args = shlex.split(hint.group(1))
    assert args[0] == "catdetector"
    cli(*args[1:], cwd=alice)
    assert team.origin_show()["stages"] == {"prod": "v0.1.2"}
    assert gto_show(alice) == team.origin_show()
    history = json.loads(cli("history", "--json", cwd=alice).stdout)
    assert [e["version"] for e in history if e["kind"] == "promote"] == [
        "v0.1.0",
        "v0.1.1",
        "v0.1.2",
    ]


def test_no_push_says_the_server_will_not_see_it(team: Team) -> None:
    _promote(team.bob, "v0.1.0")
    local = _promote(team.bob, "v0.1.1", "--no-push")
    said = " ".join(local.stderr.split())
    assert "not pushed" in said and "will not see it until you run `git push origin" in said
    assert gto_show(team.bob)["stages"] == {"prod": "v0.1.1"}
    assert team.origin_show()["stages"] == {"prod": "v0.1.0"}
    back = cli("rollback", "--stage", "prod", "--no-push", cwd=team.bob)
    assert "not pushed" in back.stderr
    assert gto_show(team.bob)["stages"] == {"prod": "v0.1.0"}
    # a pushing write refuses while local-only tags wait, and says how to publish them
    refused = _promote(team.bob, "v0.1.2", check=False)
    assert refused.returncode == 8 and "not on origin" in refused.stderr
    assert "git push --atomic origin" in refused.stderr
    pushed = _promote(team.bob, "v0.1.1", "--push", check=False)
    assert pushed.returncode == 8 and "not on origin" in pushed.stderr


def test_unknown_stage_is_refused_everywhere_with_the_known_ones(team: Team) -> None:
    known = ", ".join(templates.STAGES)
    before = _refs(team.bob)
    for args in (
        ["promote", "v0.1.0", "--stage", "production", *FORCE],
        ["rollback", "--stage", "prdo"],
    ):
        proc = cli(*args, cwd=team.bob, check=False)
        assert proc.returncode == 2, proc.stderr
        assert "unknown stage" in proc.stderr and known in " ".join(proc.stderr.split())
    assert _refs(team.bob) == before
    serve = ["serve", "--registry", str(team.origin), "--stage", "prdo", "--port", "0"]
    served = cli(*serve, "--no-log", cwd=team.bob, check=False, timeout=120)
    assert served.returncode == 2, served.stderr
    assert "unknown stage 'prdo'" in served.stderr and known in " ".join(served.stderr.split())


def test_deprecate_deregisters_as_gto_does(team: Team) -> None:
    _promote(team.bob, "v0.1.1")
    held = cli("deprecate", "v0.1.1", cwd=team.bob, check=False)
    assert held.returncode == 8 and "is in prod" in held.stderr
    out = json.loads(cli("deprecate", "v0.1.3", "--json", cwd=team.bob).stdout)
    assert out["tag"] == "catdetector@v0.1.3!" and out["pushed"] is True
    assert team.origin_show() == gto_show(team.bob)
    assert gto_show(team.bob)["latest"] == "v0.1.2"
    shown = json.loads(cli("show", "--json", cwd=team.bob).stdout)
    assert [v["version"] for v in shown["versions"]] == ["v0.1.0", "v0.1.1", "v0.1.2"]


def test_unreachable_origin_and_a_diverged_tag(team: Team, tmp_path: Path) -> None:
    _promote(team.bob, "v0.1.0")
    url = git("remote", "get-url", "origin", cwd=team.bob)
    git("remote", "set-url", "origin", str(tmp_path / "gone.git"), cwd=team.bob)
    before = _refs(team.bob)
    down = _promote(team.bob, "v0.1.1", check=False)
    assert down.returncode == 8 and "cannot read the tags of origin" in down.stderr
    assert "--no-push" in down.stderr and _refs(team.bob) == before
    local = _promote(team.bob, "v0.1.1", "--no-push")
    assert "origin could not be read" in local.stderr and "not pushed" in local.stderr
    # back online: the local-only tag has the #N that someone else used on origin meanwhile
    git("remote", "set-url", "origin", url, cwd=team.bob)
    alice = team.clone("alice")
    _promote(alice, "v0.1.2")
    clash = _promote(team.bob, "v0.1.3", check=False)
    assert clash.returncode == 8 and "differ from origin's tags" in clash.stderr
    hint = re.search(r"`(git tag -d [^`]+)`", " ".join(clash.stderr.split()))
    assert hint is not None, clash.stderr
    git(*shlex.split(hint.group(1))[1:], cwd=team.bob)
    _promote(team.bob, "v0.1.3")
    assert team.origin_show()["stages"] == {"prod": "v0.1.3"} and gto_show(team.bob) == (
        team.origin_show()
    )
