"""`catdetector init`: what it makes, what it refuses."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support import cli, git, run


def test_init_makes_a_plain_dvc_project(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    cli("init", str(root), cwd=tmp_path)
    for rel in ("params.yaml", "dvc.yaml", ".gitignore", "requirements.lock", ".dvc/config"):
        assert (root / rel).is_file(), rel
    dvc_yaml = yaml.safe_load((root / "dvc.yaml").read_text())
    assert list(dvc_yaml["stages"]) == ["prepare", "train", "evaluate"]
    assert all(s["cmd"].startswith("catdetector stage ") for s in dvc_yaml["stages"].values())
    assert dvc_yaml["artifacts"]["catdetector"]["type"] == "model"
    assert dvc_yaml["metrics"] and dvc_yaml["plots"]
    assert git("status", "--porcelain", cwd=root) == ""
    assert "catdetector init" in git("log", "--format=%s", cwd=root)
    assert run(["dvc", "config", "core.remote"], root).stdout.strip() == "storage"
    # no DVC autostage: `git checkout .` reverts dvc.lock as git users expect
    assert run(["dvc", "config", "core.autostage"], root, check=False).stdout.strip() == ""
    url = run(["dvc", "config", "remote.storage.url"], root).stdout.strip()
    assert Path(url) == tmp_path / "proj.dvc-storage"
    assert Path(url).is_dir()
    lock = (root / "requirements.lock").read_text()
    assert "./vendor/catdetector-0.1.0-py3-none-any.whl" in lock
    assert "scikit-learn==" in lock and "dvc==" in lock and "--hash=sha256:" in lock
    assert "pytest==" not in lock  # serving machines are not warned about CI tools
    assert "pytest==" in (root / "requirements-ci.lock").read_text()  # the CI test step


def test_init_twice_is_a_noop(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    cli("init", str(root), cwd=tmp_path)
    head = git("rev-parse", "HEAD", cwd=root)
    proc = cli("init", str(root), cwd=tmp_path)
    # rich wraps at the terminal width, and a long temp path can split the phrase
    assert "already a catdetector project" in " ".join(proc.stdout.split())
    assert git("rev-parse", "HEAD", cwd=root) == head


def test_init_refuses_non_empty_folder_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "busy"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    proc = cli("init", str(root), cwd=tmp_path, check=False)
    assert proc.returncode == 4
    assert "not empty" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]


def test_init_s3_remote_keeps_secrets_out_of_git(tmp_path: Path) -> None:
    root = tmp_path / "s3proj"
    cli(
        "init",
        str(root),
        "--remote",
        "s3://models-bucket/catdetector",
        "--endpoint-url",
        "http://127.0.0.1:9",
        cwd=tmp_path,
    )
    config = (root / ".dvc/config").read_text()
    assert "s3://models-bucket/catdetector" in config and "127.0.0.1" not in config
    assert "127.0.0.1:9" in (root / ".dvc/config.local").read_text()
    assert ".dvc/config.local" not in git("ls-files", cwd=root)


def test_init_rejects_bad_remotes(tmp_path: Path) -> None:
    for url, message in [
        ("ftp://host/x", "unsupported remote"),
        ("s3://", "names no bucket"),
        ("s3://KEY:SECRET@bucket/x", "credentials"),
    ]:
        proc = cli("init", str(tmp_path / "p"), "--remote", url, cwd=tmp_path, check=False)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert not (tmp_path / "p").exists()


def test_the_project_readme_gives_the_main_readmes_release_commands(tmp_path: Path) -> None:
    main = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = main[main.index("catdetector sample data/raw") :]
    block = block[: block.index("```")]
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands[-1] == "catdetector promote v0.1.0 --stage prod"
    cli("init", "proj", cwd=tmp_path)
    project = (tmp_path / "proj" / "README.md").read_text(encoding="utf-8")
    missing = [c for c in commands if c not in project]
    assert missing == [], "the project's README and the main README disagree"
    assert "git push --tags" not in project  # register and promote push their own tags
    assert "git init --bare -b main" in project  # a clone of it gets HEAD = main
