"""catdetector.formats.gto against the real `gto` on real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catdetector.formats import gto as fmt
from tests.support import git, run


def _repo(path: Path) -> Path:
    path.mkdir()
    git("init", "-q", cwd=path)
    (path / "README").write_text("x\n")
    git("add", "README", cwd=path)
    git("commit", "-qm", "first", cwd=path)
    return path


def _show(root: Path) -> dict:
    return json.loads(run(["gto", "show", "--json"], root).stdout).get("m", {})


def _tag_names(root: Path) -> list[str]:
    return git("tag", "-l", cwd=root).splitlines()


def test_names_and_messages_are_the_ones_gto_writes(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    run(["gto", "register", "m", "--version", "v0.1.0"], root)
    run(["gto", "assign", "m", "--version", "v0.1.0", "--stage", "prod"], root)
    run(["gto", "assign", "m", "--version", "v0.1.0", "--stage", "dev"], root)
    run(["gto", "deprecate", "m", "v0.1.0", "--force"], root)
    names = set(_tag_names(root))
    assert fmt.version_tag("m", "v0.1.0") in names
    assert fmt.stage_tag("m", "prod", 1) in names
    assert fmt.stage_tag("m", "dev", 2) in names
    assert fmt.deregister_tag("m", "v0.1.0", None) in names  # `gto deprecate` adds no #N
    message = git("tag", "-l", "--format=%(contents)", "m@v0.1.0", cwd=root)
    assert message.strip() == fmt.register_message("m", "v0.1.0")
    message = git("tag", "-l", "--format=%(contents)", "m@v0.1.0!", cwd=root)
    assert message.strip() == fmt.deregister_message("m", "v0.1.0")
    for name in names:
        assert fmt.parse_name(name)["name"] == "m"
    assert fmt.parse_name("m#prod!#4") == {
        "name": "m",
        "stage": "prod",
        "action": "unassign",
        "counter": 4,
    }
    assert fmt.parse_name("release-2026") == {}


def test_write_tag_is_read_by_gto_like_its_own(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    head = git("rev-parse", "HEAD", cwd=root)
    fmt.write_tag(root, fmt.version_tag("m", "v1.2.3"), head, fmt.register_message("m", "v1.2.3"))
    fmt.write_tag(root, fmt.stage_tag("m", "prod", 1), head, "ours", ("Carol", "carol@x.test"))
    assert git("cat-file", "-t", "m@v1.2.3", cwd=root) == "tag"  # annotated, as GTO's
    tagger = git("tag", "-l", "--format=%(taggername) %(taggeremail)", "m#prod#1", cwd=root)
    assert tagger == "Carol <carol@x.test>"
    default = git("tag", "-l", "--format=%(taggername)", "m@v1.2.3", cwd=root)
    assert default == "Test Bob"  # git's committer identity
    show = _show(root)
    assert show["version"] == "v1.2.3" and show["stage"] == {"prod": "v1.2.3"}
    with pytest.raises(ValueError, match="already exists"):
        fmt.write_tag(root, "m@v1.2.3", head, "again")
    with pytest.raises(LookupError):
        fmt.write_tag(root, "m@v9.9.9", "0" * 40, "nowhere")
    assert "m@v9.9.9" not in _tag_names(root)


# The order GTO's latest follows; a `+build` is a release, prereleases sort by their parts.
ORDERED = [
    "v0.9.0",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0-rc.2",
    "v1.0.0-rc.10",
    "v1.0.0",
    "v1.0.0+build.5",
    "v1.0.1",
    "v1.10.0",
]


def _old_semver_key(version: str) -> tuple[int, ...]:
    """The registry's key before formats (kept here to show what it got wrong)."""
    try:
        return tuple(int(p) for p in version.lstrip("v").split("-")[0].split("."))
    except ValueError:
        return (-1,)


def test_version_order_is_semver_with_prereleases_and_build_metadata() -> None:
    shuffled = ORDERED[::-1][1::2] + ORDERED[::-1][0::2]
    assert sorted(shuffled, key=fmt.version_key) == ORDERED
    # the old key sorted v1.0.0+build.5 lowest and tied every rc with its release
    assert min(ORDERED, key=_old_semver_key) == "v1.0.0+build.5"
    assert _old_semver_key("v1.0.0-rc.2") == _old_semver_key("v1.0.0")
    assert max(["v1.0.0+build.5", "v0.9.0"], key=fmt.version_key) == "v1.0.0+build.5"
    assert max(["v1.0.0-rc.1", "v0.9.0"], key=fmt.version_key) == "v1.0.0-rc.1"
    assert sorted(["nonsense", "v0.1.0"], key=fmt.version_key) == ["nonsense", "v0.1.0"]


def test_latest_agrees_with_gto_show(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    for version in ("v1.0.0-rc.10", "v1.0.0-rc.2", "v0.9.0+build.7"):
        git("commit", "-q", "--allow-empty", "-m", version, cwd=root)
        run(["gto", "register", "m", "--version", version], root)
    versions = [v for v in ("v1.0.0-rc.10", "v1.0.0-rc.2", "v0.9.0+build.7")]
    assert max(versions, key=fmt.version_key) == _show(root)["version"] == "v1.0.0-rc.10"


def test_next_version_bumps_as_gto_register(tmp_path: Path) -> None:
    assert fmt.next_version(None, None) == "v0.1.0"
    assert fmt.next_version(None, "major") == "v1.0.0"
    root = _repo(tmp_path / "r")
    run(["gto", "register", "m", "--version", "v1.2.3-rc.1+b.1"], root)
    for bump, flag in (("patch", "--bump-patch"), ("minor", "--bump-minor")):
        git("commit", "-q", "--allow-empty", "-m", bump, cwd=root)
        latest = _show(root)["version"]
        run(["gto", "register", "m", flag], root)
        assert _show(root)["version"] == fmt.next_version(latest, bump)  # type: ignore[arg-type]


def test_stages_config_is_the_one_gto_enforces(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    (root / ".gto").write_text(fmt.config_text(["staging", "prod"]))
    git("add", ".gto", cwd=root)
    git("commit", "-qm", "stages", cwd=root)
    assert fmt.stages_from_file(root / ".gto") == ["staging", "prod"]
    assert fmt.stages_from_text((root / ".gto").read_text()) == ["staging", "prod"]
    run(["gto", "register", "m", "--version", "v0.1.0"], root)
    assign = ["gto", "assign", "m", "--version", "v0.1.0", "--stage"]
    refused = run([*assign, "prdo"], root, check=False)
    assert refused.returncode != 0 and "Allowed stages" in refused.stderr
    run([*assign, "prod"], root)
    assert fmt.stages_from_text("types: [model]\n") is None
    with pytest.raises(ValueError, match="not a valid GTO config"):
        fmt.stages_from_text("stages: [ok, 'bad name']\n")
    with pytest.raises(ValueError):
        fmt.config_text(["pr od"])
    assert fmt.is_valid_name("prod-eu_2") and not fmt.is_valid_name("pr od")
