"""The fixture repositories land on the levels the course gives them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catdetector.assess import Report, assess_repository
from tests.assess.builders import (
    broken_startup,
    git,
    git_env,
    git_init,
    level1_repo,
    level2_repo,
    write_tree,
)

COURSE_THREE = ["bus-factor", "no-rollback", "training-serving-skew"]


def _blocking(report: Report, level: int) -> list[str]:
    return [f.id for f in report.findings if f.blocks_level <= level]


def test_broken_startup_is_level_0_with_the_course_three_first(tmp_path: Path) -> None:
    report = assess_repository(broken_startup(tmp_path / "catdetector-ai"))
    assert report.level == 0
    assert report.ids[:3] == COURSE_THREE
    expected = {
        "no-data-versioning",
        "no-lock-file",
        "no-seeds",
        "no-tests",
        "no-ci",
        "no-evaluation-gate",
        "no-input-validation",
        "no-monitoring",
        "no-deployment-manifest",
        "no-baseline",
    }
    assert expected <= set(report.ids)
    details = " ".join(e.detail for f in report.findings[:3] for e in f.evidence)
    assert "notebook" in details and "fixed path" in details and "numpy differs" in details
    assert "re-implemented in serving" in details
    skew = report.finding("training-serving-skew")
    assert skew is not None
    assert any(e.file == "requirements-serve.txt" and e.line == 3 for e in skew.evidence)
    data = report.to_dict()
    assert data["level"] == 0 and data["files_scanned"] == 9
    for finding in data["findings"]:
        assert {"id", "risk", "severity", "evidence", "blocks_level", "fix"} <= set(finding)


def test_hand_made_dvc_pipeline_repository_is_level_1(tmp_path: Path) -> None:
    report = assess_repository(level1_repo(tmp_path / "l1"))
    assert report.level == 1, report.ids
    assert _blocking(report, 1) == []
    assert {"no-ci", "no-deployment-manifest", "no-monitoring"} <= set(report.ids)


def test_level_1_in_git_with_gto_tags(tmp_path: Path) -> None:
    root = level1_repo(tmp_path / "l1", git_tags=("catdetector@v0.1.0", "catdetector#prod#1"))
    git(root, "pack-refs", "--all")  # tags now live in .git/packed-refs
    report = assess_repository(root)
    assert report.level == 1, report.ids
    assert not any("not a git repository" in n for n in report.notes)


def test_level_2_repository(tmp_path: Path) -> None:
    report = assess_repository(level2_repo(tmp_path / "l2"))
    assert report.ids == []
    assert report.level == 2


def test_level_2_drops_to_1_without_ci_training(tmp_path: Path) -> None:
    root = level2_repo(tmp_path / "l2")
    ci = root / ".github/workflows/ci.yml"
    ci.write_text(ci.read_text().replace("      - run: dvc pull && dvc repro\n", ""))
    report = assess_repository(root)
    assert report.level == 1
    assert report.ids == ["no-ci-training"]


@pytest.mark.slow  # builds the shared `trained_project` (real init + sample + dvc repro) once
def test_catdetector_init_after_a_run_and_a_registered_version_is_level_1(
    project_copy: Path,
) -> None:
    """The real thing: `catdetector init`, `dvc add`, `dvc repro`, commit, a GTO version tag."""
    git(project_copy, "tag", "-a", "catdetector@v0.1.0", "-m", "Registering artifact")
    report = assess_repository(project_copy)
    assert report.level == 1, [(f.id, f.evidence) for f in report.findings]
    assert "bus-factor" not in report.ids and "no-rollback" not in report.ids


# --------------------------------------------------------------- the learn lab's path -----


def _dvc_pointer(path: str) -> str:
    return f"outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 10\n  path: {path}\n"


def test_course_fix_removes_the_three_risks_one_by_one(tmp_path: Path) -> None:
    """Walk the course's minimal fix by hand-written DVC files; each risk goes, then Level 1."""
    root = broken_startup(tmp_path / "catdetector-ai")
    assert assess_repository(root).ids[:3] == COURSE_THREE

    # git init; dvc init; dvc add data; dvc add model.h5; a remote (credentials kept local)
    git_init(root)
    write_tree(
        root,
        {
            ".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n"
            "    url = s3://catdetector/dvc\n",
            ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
            "data.dvc": _dvc_pointer("data"),
            "model.h5.dvc": _dvc_pointer("model.h5"),
            ".gitignore": "/data\n/model.h5\n",
        },
    )
    git(root, "rm", "-r", "-q", "--cached", "data", "model.h5")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "track data and model with DVC")
    report = assess_repository(root)
    assert "no-rollback" not in report.ids
    assert "no-data-versioning" not in report.ids
    assert "large-binaries-in-git" not in report.ids
    assert report.ids[:2] == ["bus-factor", "training-serving-skew"]

    # a dvc.yaml pipeline (the model becomes a stage output instead of a dvc add)
    (root / "model.h5.dvc").unlink()
    write_tree(
        root,
        {
            "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py, data]\n"
            "    outs: [model.h5]\n",
        },
    )
    report = assess_repository(root)
    assert "bus-factor" not in report.ids and "no-rollback" not in report.ids
    assert report.ids[0] == "training-serving-skew"

    # one pinned environment for training and serving, one preprocessing function
    for name in ("requirements-train.txt", "requirements-serve.txt"):
        (root / name).unlink()
    write_tree(
        root,
        {
            "requirements.txt": "flask==3.0.3\nnumpy==1.26.4\npandas==2.2.2\npillow==10.3.0\n"
            "tensorflow==2.16.1\n",
            "preprocessing.py": "import numpy as np\n\n\ndef preprocess(img):\n"
            "    return np.asarray(img.convert('RGB').resize((224, 224))) / 255.0\n",
        },
    )
    for name in ("train.py", "app.py"):
        text = (root / name).read_text()
        start = text.index("def preprocess")
        end = text.index("\n\n\n", start) + 3
        (root / name).write_text(
            "from preprocessing import preprocess\n" + text[:start] + text[end:]
        )
    report = assess_repository(root)
    assert [i for i in COURSE_THREE if i in report.ids] == []
    assert report.level == 1, [(f.id, f.evidence) for f in report.findings if f.blocks_level == 1]


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def test_course_fix_with_real_git_and_dvc(tmp_path: Path) -> None:
    """The same fix with the real tools: `dvc add` output is read as DVC writes it."""
    root = broken_startup(tmp_path / "catdetector-ai")
    git_init(root)
    home = tmp_path / "home"
    home.mkdir()
    env = {**git_env(home), "DVC_NO_ANALYTICS": "1", "XDG_CONFIG_HOME": str(home / ".config")}
    env["DVC_SITE_CACHE_DIR"] = str(home / "dvc-site")
    env["DVC_GLOBAL_CONFIG_DIR"] = str(home / "dvc-global")

    def dvc(*args: str) -> None:
        subprocess.run([_tool("dvc"), *args], cwd=root, env=env, check=True, capture_output=True)

    git(root, "rm", "-r", "-q", "--cached", "data", "model.h5")
    git(root, "commit", "-q", "-m", "stop tracking binaries in git")
    dvc("init", "-q")
    dvc("add", "-q", "data", "model.h5")
    remote = tmp_path / "storage"
    dvc("remote", "add", "-d", "storage", str(remote))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "dvc add data and model")
    dvc("push", "-q")
    assert (root / "data.dvc").is_file() and (root / "model.h5.dvc").is_file()

    clone = tmp_path / "alice"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    report = assess_repository(clone)  # a fresh clone: the model is not even pulled yet
    assert "no-rollback" not in report.ids and "no-data-versioning" not in report.ids
    assert report.ids[:2] == ["bus-factor", "training-serving-skew"]
    assert report.level == 0
    assert os.listdir(clone / ".dvc")  # DVC's own folder is there, its config was read
