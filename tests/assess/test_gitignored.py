"""assess reads what the repository holds: in a git work tree, what git ignores and does
not track (a venv, a test run's screenshots, a local .env, a pulled DVC output) is left
out, as a clone would leave it out; outside git, everything is read."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.scan import IGNORED_NOTE, scan
from tests.assess.builders import FAKE_AWS_KEY_ID, FAKE_AWS_SECRET, git, git_init, write_tree

ENV = f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n"
LOCAL = f"KEY = '{FAKE_AWS_KEY_ID}'\nSECRET = '{FAKE_AWS_SECRET}'\n"
TRAIN = "import pickle\nfrom sklearn.linear_model import LogisticRegression\n" + (
    "m = LogisticRegression().fit([[0], [1]], [0, 1])\n"
    "pickle.dump(m, open('models/model.pkl', 'wb'))\n"
)


def _repo(root: Path) -> Path:
    write_tree(
        root,
        {
            ".gitignore": ".env\n/shots/\n*.log\nbuild/\n!keep.log\nout/\n",
            "train.py": TRAIN,
            "README.md": "# demo\n",
            "keep.log": "kept by a negation\n",
            "sub/.gitignore": "local.txt\n",
            "sub/code.py": "X = 1\n",
        },
    )
    git_init(root)
    write_tree(
        root,
        {
            ".env": ENV,  # a local secret git never commits
            "shots/dashboard.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
            "run.log": "noise\n",
            "build/lib/x.py": "Y = 2\n",
            "sub/local.txt": "mine\n",
            "sub/other.txt": "not ignored, not yet added\n",
            "out/cfg.py": LOCAL,
        },
    )
    git(root, "add", "-f", "out/cfg.py")  # force-added: tracked, so it is the repository's
    return root


def test_untracked_ignored_paths_are_left_out_and_said(tmp_path: Path) -> None:
    index = scan(_repo(tmp_path / "r"))
    files = set(index.files)
    assert {".env", "shots/dashboard.png", "run.log", "build/lib/x.py", "sub/local.txt"}.isdisjoint(
        files
    )
    assert {"train.py", "keep.log", "sub/code.py", "sub/other.txt", "out/cfg.py"} <= files
    note = next(n for n in index.notes if n.startswith(IGNORED_NOTE))
    assert "shots/" in note and ".env" in note and "build/" in note


def test_a_test_runs_screenshots_are_not_unversioned_data(tmp_path: Path) -> None:
    # catdetector's own checkout read Level 0 from test-artifacts/*.png a test run left
    root = tmp_path / "r"
    write_tree(root, {".gitignore": "/test-artifacts/\n", "train.py": TRAIN})
    git_init(root)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    write_tree(root, {f"test-artifacts/shot{i}.png": png for i in range(5)})
    finding = assess_repository(root).finding("no-data-versioning")
    cited = [e.file or "" for e in finding.evidence] if finding else []
    assert not any(c.startswith("test-artifacts") for c in cited), cited


def test_a_force_added_file_under_an_ignored_folder_is_still_read(tmp_path: Path) -> None:
    finding = assess_repository(_repo(tmp_path / "r")).finding("secrets-committed")
    assert finding is not None
    assert {e.file for e in finding.evidence} == {"out/cfg.py"}


def test_outside_git_the_ignore_files_do_not_apply(tmp_path: Path) -> None:
    files = {".gitignore": "local_settings.py\n", "train.py": TRAIN, "local_settings.py": LOCAL}
    root = write_tree(tmp_path / "r", files)
    assert "local_settings.py" in scan(root).files


def test_info_exclude_is_followed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "r", {"train.py": TRAIN})
    git_init(root)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("scratch/\n")
    write_tree(root, {"scratch/notes.py": "Z = 3\n"})
    assert "scratch/notes.py" not in scan(root).files
