"""The walker: non-git folders, binary, huge, unreadable and special files, symlinks, git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from catdetector.assess import assess_repository
from catdetector.assess import scan as scan_module
from catdetector.assess.gitmeta import GitIndexError, matches_pattern, parse_index
from catdetector.assess.scan import READ_CAP, scan
from tests.assess.builders import FAKE_AWS_SECRET, broken_startup, git, git_init, write_tree

TRAIN = "from sklearn.svm import SVC\nSVC().fit(X, y)\n"


def test_non_git_folder(tmp_path: Path) -> None:
    broken_startup(tmp_path)
    index = scan(tmp_path)
    assert not index.git.present and index.git.tracked is None
    report = assess_repository(tmp_path)
    assert any("not a git repository" in n for n in report.notes)
    assert "large-binaries-in-git" not in report.ids


def test_binary_files_are_not_analysed(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "weird.py": b"\x00\x01\x02" + TRAIN.encode(),
            "model.h5": b"\x89HDF\r\n\x1a\n" + bytes(100),
            "photo.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
        },
    )
    index = scan(tmp_path)
    assert index.files["weird.py"].binary and index.files["weird.py"].text is None
    assert index.files["photo.png"].text is None  # never opened: not a file checks read
    report = assess_repository(tmp_path)
    assert any("binary content" in n and "weird.py" in n for n in report.notes)
    bus = report.finding("bus-factor")
    assert bus is not None and all(e.file != "weird.py" for e in bus.evidence)


@pytest.fixture
def huge_tree(tmp_path: Path) -> Path:
    """A 300 KiB text prefix followed by a sparse hole: 4 GiB on paper, no disk used."""
    big = tmp_path / "huge.py"
    with big.open("wb") as fh:
        fh.write(b"x = 1\n" * (300 * 1024 // 6))
        fh.write(b"SVC().fit(X, y)\n")  # past the read cap: must not be seen
        fh.truncate(4 * 1024**3)
    with (tmp_path / "model.h5").open("wb") as fh:
        fh.truncate(3 * 1024**3)
    return tmp_path


def _bytes_read() -> int:
    """Bytes this process has read through read(2) and friends (Linux's /proc/self/io)."""
    io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(io["rchar"])


def test_huge_files_are_read_only_in_part(huge_tree: Path) -> None:
    before = _bytes_read()
    report = assess_repository(huge_tree)
    assert _bytes_read() - before < 64 * 1024**2  # 7 GiB on paper: neither file is read whole
    index = scan(huge_tree)
    info = index.files["huge.py"]
    assert info.truncated and info.size == 4 * 1024**3
    assert len(info.text or "") <= READ_CAP
    assert index.files["model.h5"].text is None and index.files["model.h5"].size == 3 * 1024**3
    assert any("read only the first 256 KiB" in n and "huge.py" in n for n in report.notes)
    rollback = report.finding("no-rollback")
    assert rollback is not None and "3.0 GiB" in rollback.evidence[0].detail
    bus = report.finding("bus-factor")
    assert bus is not None
    assert all(e.file != "huge.py" for e in bus.evidence)


def test_read_budget_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "TOTAL_READ_BUDGET", 10)
    write_tree(tmp_path, {"a.py": "x = 1\n" * 10, "b.py": "y = 2\n"})
    index = scan(tmp_path)
    assert sum(len(f.text or "") for f in index.files.values()) <= 10
    assert any("read budget" in n for n in index.notes)


UNREADABLE_CHILD = """
import json, os, sys
from pathlib import Path
from catdetector.assess import assess_repository
if os.geteuid() == 0:  # drop to nobody after the imports, so permissions apply
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
print(json.dumps(assess_repository(Path(sys.argv[1])).to_dict()))
"""


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    """A temporary folder that an unprivileged user can traverse."""
    path = Path(tempfile.mkdtemp(prefix="assess-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for sub in path.rglob("*"):
            if not sub.is_symlink():
                sub.chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)


def test_unreadable_files_and_folders_become_notes(world_readable_tmp: Path) -> None:
    root = world_readable_tmp / "repo"
    write_tree(root, {"train.py": TRAIN, "locked.py": TRAIN, "closed/inner.py": TRAIN})
    (root / "locked.py").chmod(0)
    (root / "closed").chmod(0)
    proc = subprocess.run(
        [sys.executable, "-c", UNREADABLE_CHILD, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    notes = " ".join(data["notes"])
    assert "unreadable files" in notes and "locked.py (Permission denied)" in notes
    assert "unreadable directories" in notes and "closed/" in notes
    assert data["files_scanned"] == 2  # train.py and locked.py (stat works, open does not)
    bus = next(f for f in data["findings"] if f["id"] == "bus-factor")
    assert [e["file"] for e in bus["evidence"]] == ["train.py"]


def test_unreadable_root_is_an_assess_error(world_readable_tmp: Path) -> None:
    root = world_readable_tmp / "closed"
    root.mkdir()
    root.chmod(0)
    proc = subprocess.run(
        [sys.executable, "-c", UNREADABLE_CHILD, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "AssessError" in proc.stderr and "cannot read folder" in proc.stderr


def test_symlinks_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = write_tree(
        tmp_path / "outside",
        {"train.py": TRAIN, ".env": f"SECRET_TOKEN={FAKE_AWS_SECRET}\n", "d/model.pkl": b"\x80"},
    )
    root = write_tree(tmp_path / "repo", {"x.py": "x = 1\n"})
    (root / "leak.py").symlink_to(outside / "train.py")
    (root / ".env").symlink_to(outside / ".env")
    (root / "ext").symlink_to(outside / "d", target_is_directory=True)
    (root / "up").symlink_to("..", target_is_directory=True)
    (root / "loop").symlink_to("loop")
    (root / "inside.py").symlink_to("x.py")
    report = assess_repository(root)
    assert report.files_scanned == 1
    assert "secrets-committed" not in report.ids and "no-rollback" not in report.ids
    assert report.level is None  # the training code behind the link was never read
    notes = " ".join(report.notes)
    assert "symlinks out of the folder, not followed (4)" in notes
    assert "leak.py ->" in notes and "ext ->" in notes and "up -> .." in notes
    assert "symlinks not followed (2)" in notes  # loop and inside.py stay inside


def test_symlinked_root_is_resolved(tmp_path: Path) -> None:
    real = write_tree(tmp_path / "real", {"train.py": TRAIN})
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    report = assess_repository(link)
    assert report.path == str(real) and report.files_scanned == 1


def test_special_files_are_skipped_without_blocking(tmp_path: Path) -> None:
    write_tree(tmp_path, {"x.py": "x = 1\n"})
    os.mkfifo(tmp_path / "requirements.txt")  # a name assess would read: must not block
    report = assess_repository(tmp_path)
    assert any("special files skipped" in n and "requirements.txt" in n for n in report.notes)


def test_caches_and_virtualenvs_are_skipped(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "x.py": "x = 1\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/python3.11/site-packages/sk/train.py": TRAIN,
            "node_modules/a/b.js": "x",
            ".dvc/cache/files/md5/ab/cdef": "blob",
            ".dvc/config": "[core]\n",
            "__pycache__/x.cpython-311.pyc": b"\x00",
        },
    )
    index = scan(tmp_path)
    assert set(index.files) == {"x.py", ".dvc/config"}
    assert any("virtual environments" in n and "env/" in n for n in index.notes)


def test_max_files_cap(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"f{i}.py": "x = 1\n" for i in range(20)})
    index = scan(tmp_path, max_files=5)
    assert len(index.files) == 5
    assert any("stopped after 5 files" in n for n in index.notes)


def test_deep_trees_are_bounded(tmp_path: Path) -> None:
    deep = tmp_path / "/".join(f"d{i}" for i in range(70))
    write_tree(deep, {"x.py": "x = 1\n"})
    index = scan(tmp_path)
    assert index.files == {}
    assert any("deeper than 64 levels" in n for n in index.notes)


def test_code_of_the_repository_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    write_tree(
        tmp_path / "repo",
        {
            "setup.py": payload,
            "conftest.py": payload,
            "train.py": payload + TRAIN,
            "sitecustomize.py": payload,
            "notebook.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": payload}]}),
            "dvc.yaml": f'stages:\n  train:\n    cmd: python -c "{payload.strip()}"\n',
            "params.yaml": "!!python/object/apply:os.system ['touch " + str(marker) + "']\n",
        },
    )
    assess_repository(tmp_path / "repo")
    assert not marker.exists()


# ------------------------------------------------------------------------------- git ------


def _ls_files(root: Path) -> set[str]:
    return set(git(root, "ls-files", "-z").split("\0")) - {""}


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_git_index_matches_git_ls_files(tmp_path: Path, version: str) -> None:
    files = {f"src/pkg{i}/module_{j}.py": f"x = {i * j}\n" for i in range(5) for j in range(5)}
    files["a name with spaces.txt"] = "x"
    files["data/ünïcode.csv"] = "a,b\n"
    root = write_tree(tmp_path / "repo", files)
    git_init(root)
    git(root, "update-index", "--index-version", version)
    if version == "3":
        git(root, "update-index", "--skip-worktree", "src/pkg0/module_0.py")  # extended flags
    (root / "untracked.py").write_text("y = 1\n")
    index = scan(root)
    assert index.git.tracked is not None
    assert set(index.git.tracked) == _ls_files(root)
    assert index.git.tracked["src/pkg1/module_1.py"] == len("x = 1\n")


def test_corrupt_git_index_is_a_note(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"x.py": "x = 1\n"})
    git_init(root)
    data = (root / ".git/index").read_bytes()
    (root / ".git/index").write_bytes(data[:30])
    index = scan(root)
    assert index.git.tracked is None
    assert any(".git/index not read" in n for n in index.notes)
    with pytest.raises(GitIndexError):
        parse_index(b"XXXX" + bytes(20))


def test_tags_from_loose_refs_and_packed_refs(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"x.py": "x = 1\n"})
    git_init(root, tags=("catdetector@v0.1.0",))
    git(root, "pack-refs", "--all")
    git(root, "tag", "-a", "catdetector#prod#1", "-m", "promote")
    git(root, "tag", "release/v1")
    outside = tmp_path / "outside-tags"
    outside.mkdir()
    (outside / "evil@v9.9.9").write_text("0" * 40)
    (root / ".git/refs/tags/linked").symlink_to(outside, target_is_directory=True)
    index = scan(root)
    assert "catdetector@v0.1.0" in index.git.tags  # packed
    assert "catdetector#prod#1" in index.git.tags  # loose
    assert "release/v1" in index.git.tags  # nested loose
    assert not any("evil" in t for t in index.git.tags)


def test_git_file_pointing_elsewhere_is_not_followed(tmp_path: Path) -> None:
    main = write_tree(tmp_path / "main", {"x.py": "x = 1\n"})
    git_init(main)
    worktree = tmp_path / "wt"
    git(main, "worktree", "add", "-q", str(worktree))
    index = scan(worktree)
    assert index.git.present and index.git.tracked is None
    assert any("outside the folder" in n for n in index.notes)
    assert not any("could not be opened" in n for n in index.notes)  # said once, not twice


def test_gitignore_style_patterns() -> None:
    assert matches_pattern("a/b/model.pkl", "*.pkl")
    assert matches_pattern("data/raw/x.csv", "/data")
    assert matches_pattern("data/raw/x.csv", "data/raw/")
    assert not matches_pattern("src/data.py", "/data")
    assert matches_pattern(".env", ".env")
    assert not matches_pattern("x.env.py", ".env")


def test_hostile_files_do_not_stop_the_assessment(tmp_path: Path) -> None:
    deep = 50_000
    write_tree(
        tmp_path,
        {
            "dvc.yaml": "stages: " + "[" * deep + "]" * deep + "\n",
            "environment.yml": "dependencies: " + "[" * deep + "]" * deep + "\n",
            "pyproject.toml": "a = " + "[" * deep + "]" * deep + "\n",
            "nb.ipynb": '{"cells": ' + "[" * deep + "]" * deep + "}",
            "params.yaml": "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c]\n",
            "Dockerfile": "FROM python:3.11\nRUN pip install " + "x" * 200_000 + "\n",
        },
    )
    (tmp_path / os.fsdecode(b"bad\xff.py")).write_text(TRAIN)
    report = assess_repository(tmp_path)
    assert not any("could not run" in n for n in report.notes), report.notes
    assert any("dvc.yaml is not valid YAML" in n for n in report.notes)
    bus = report.finding("bus-factor")
    assert bus is not None and any("bad" in (e.file or "") for e in bus.evidence)
    json.dumps(report.to_dict())  # serialisable, even with an undecodable file name
