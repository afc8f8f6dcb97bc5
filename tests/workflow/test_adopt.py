"""`catdetector init --here`: adopt a Level-0 repository laid out like the course's."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from catdetector.training.synthetic import write_sample
from tests.support import cli, git, run

TRAIN_CNN = """\
import os
from tensorflow import keras

DATA = "data"
model = keras.Sequential([keras.layers.Conv2D(16, 3), keras.layers.Dense(2)])
train = keras.utils.image_dataset_from_directory(DATA, image_size=(64, 64))
model.fit(train, epochs=5)
model.save("server/model.h5")
"""
SERVER = """\
from flask import Flask
from tensorflow import keras

app = Flask(__name__)
model = keras.models.load_model("model.h5")
"""
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "source": ["import pandas as pd\n", "df = pd.read_csv('labels.csv')"],
            "outputs": [],
            "execution_count": None,
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def level0_repo(root: Path, n: int = 40, everything: bool = False) -> Path:
    """Bob's repository: a training script, labelled photos, a notebook, the model in the
    server folder; git holds the code (``everything``: the data and model too); no DVC."""
    root.mkdir()
    (root / "train_cnn.py").write_text(TRAIN_CNN)
    (root / "README.md").write_text("# CatDetector.ai\n\nBob trains, Alice serves.\n")
    (root / "requirements.txt").write_text("tensorflow\nflask\n")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "explore.ipynb").write_text(json.dumps(NOTEBOOK))
    (root / "server").mkdir()
    (root / "server" / "app.py").write_text(SERVER)
    (root / "server" / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 40)
    write_sample(root / "data", n, 0)
    git("init", "-q", "-b", "main", cwd=root)
    if everything:
        git("add", "-A", cwd=root)
    else:
        git("add", "train_cnn.py", "README.md", "requirements.txt", "notebooks", cwd=root)
        git("add", "server/app.py", cwd=root)
    git("commit", "-qm", "Bob's code; the model is emailed to Alice", cwd=root)
    return root


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file outside .git, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def assess(root: Path) -> tuple[int | None, set[str]]:
    proc = cli("assess", str(root), "--format", "json", cwd=root, check=False)
    report = json.loads(proc.stdout)
    return report["level"], {f["id"] for f in report["findings"]}


@pytest.mark.slow
def test_adopting_a_level0_repository_keeps_it_and_makes_it_level1(tmp_path: Path) -> None:
    root = level0_repo(tmp_path / "catdetector-ai", n=60)
    before = snapshot(root)
    first = git("rev-parse", "HEAD", cwd=root)
    level, risks = assess(root)
    assert level == 0 and {"bus-factor", "no-rollback"} <= risks

    plan = cli("init", "--here", "--plan", cwd=root)
    assert "data/" in plan.stdout and "server/model.h5" in plan.stdout
    assert "dvc add data" in plan.stdout and "dvc add server/model.h5" in plan.stdout
    assert snapshot(root) == before and git("rev-parse", "HEAD", cwd=root) == first
    assert not (root / ".dvc").exists()

    committed = git("ls-files", cwd=root).splitlines()
    cli("init", "--here", cwd=root)
    after = snapshot(root)
    assert {k: after[k] for k in before} == before  # every file byte for byte
    assert git("rev-parse", "HEAD~1", cwd=root) == first  # the history is kept
    assert set(committed) <= set(git("ls-files", cwd=root).splitlines())
    assert git("status", "--porcelain", cwd=root) == ""
    tracked = git("ls-files", cwd=root).splitlines()
    assert "data.dvc" in tracked and "server/model.h5.dvc" in tracked
    assert not any(t.startswith("data/") for t in tracked) and "server/model.h5" not in tracked
    assert "train_cnn.py" in tracked and "notebooks/explore.ipynb" in tracked
    params = yaml.safe_load((root / "params.yaml").read_text())
    assert params["data"]["raw"] == "data" and params["data"]["labels"] == ["cat", "other"]
    dvc_yaml = yaml.safe_load((root / "dvc.yaml").read_text())
    assert dvc_yaml["artifacts"]["model"] == {
        "path": "server/model.h5",
        "type": "model",
        "desc": "model file adopted by catdetector",
    }
    assert dvc_yaml["stages"]["prepare"]["deps"] == ["data"]
    assert dvc_yaml["stages"]["prepare"]["outs"] == ["prepared"]  # not inside data/
    assert "autostage" not in (root / ".dvc" / "config").read_text()

    level, risks = assess(root)
    assert level == 1 and not {"bus-factor", "no-rollback"} & risks

    shown = json.loads(run(["gto", "show", "--json"], root).stdout)
    assert shown["model"]["version"] == "v0.1.0"  # today's model: the first rollback point
    assert "prod" in yaml.safe_load((root / ".gto").read_text())["stages"]  # declared once
    refused = subprocess.run(
        ["gto", "assign", "model", "--version", "v0.1.0", "--stage", "production"],
        cwd=root, capture_output=True, text=True,
    )
    assert refused.returncode != 0  # GTO itself refuses a stage .gto does not declare
    run(["gto", "assign", "model", "--version", "v0.1.0", "--stage", "prod"], root)

    # Bob's photos train the ladder through the adopted pipeline
    run(["dvc", "repro", "-q"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "train the ladder", cwd=root)
    run(["dvc", "push", "-q"], root)
    alice = tmp_path / "alice"
    git("clone", "-q", str(root), str(alice), cwd=tmp_path)
    run(["dvc", "pull", "-q"], alice)
    assert snapshot(alice)["server/model.h5"] == before["server/model.h5"]
    assert {k: v for k, v in snapshot(alice).items() if k.startswith("data/")} == {
        k: v for k, v in before.items() if k.startswith("data/")
    }
    got = tmp_path / "got.h5"
    get = ["dvc", "artifacts", "get", str(root), "model", "--stage", "prod", "-o", str(got)]
    run(get, tmp_path)
    assert hashlib.sha256(got.read_bytes()).hexdigest() == before["server/model.h5"]

    again = cli("init", "--here", cwd=root)
    assert "already a catdetector project" in " ".join(again.stdout.split())


def test_a_folder_without_git_gets_one_with_every_file_committed(tmp_path: Path) -> None:
    root = tmp_path / "nogit"
    root.mkdir()
    (root / "train.py").write_text("print('train')\n")
    (root / "model.pkl").write_bytes(b"pickle bytes")
    before = snapshot(root)
    out = json.loads(cli("init", "--here", "--json", cwd=root).stdout)
    assert out["applied"] and out["models"] == {"model": "model.pkl"} and out["data"] is None
    assert {k: snapshot(root)[k] for k in before} == before
    tracked = git("ls-files", cwd=root).splitlines()
    assert "train.py" in tracked and "model.pkl.dvc" in tracked and "model.pkl" not in tracked
    assert git("status", "--porcelain", cwd=root) == ""


def test_an_existing_pipeline_keeps_its_stages(tmp_path: Path) -> None:
    root = level0_repo(tmp_path / "repo", n=20, everything=True)
    first = git("rev-parse", "HEAD", cwd=root)
    (root / "dvc.yaml").write_text(
        "# Bob's own stage\nstages:\n  features:\n    cmd: python features.py\n"
        "    outs:\n      - features.csv\n"
    )
    (root / "params.yaml").write_text("epochs: 5\n")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "a stage", cwd=root)
    cli("init", "--here", cwd=root)
    text = (root / "dvc.yaml").read_text()
    assert text.startswith("# Bob's own stage\n")
    stages = yaml.safe_load(text)["stages"]
    assert stages["features"] == {"cmd": "python features.py", "outs": ["features.csv"]}
    assert {"prepare", "train", "evaluate"} <= set(stages)
    params = (root / "params.yaml").read_text()
    assert params.startswith("epochs: 5\n") and yaml.safe_load(params)["ladder"]["rungs"]
    # data and model were in git: they move to DVC, and stay in the history
    tracked = git("ls-files", cwd=root).splitlines()
    assert "server/model.h5" not in tracked and "server/model.h5.dvc" in tracked
    assert git("cat-file", "-t", f"{first}:server/model.h5", cwd=root) == "blob"
    assert git("status", "--porcelain", cwd=root) == ""


def test_a_clash_is_refused_in_one_line_before_anything_is_written(tmp_path: Path) -> None:
    root = level0_repo(tmp_path / "repo", n=20)
    (root / "dvc.yaml").write_text("stages:\n  train:\n    cmd: python train_cnn.py\n")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "a train stage", cwd=root)
    before, head = snapshot(root), git("rev-parse", "HEAD", cwd=root)
    proc = cli("init", "--here", cwd=root, check=False)
    assert proc.returncode == 4
    assert "dvc.yaml already has a stage 'train'" in proc.stderr
    assert "nothing was written" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # the error and its hint
    assert snapshot(root) == before and git("rev-parse", "HEAD", cwd=root) == head
    assert not (root / ".dvc").exists()


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    root = level0_repo(tmp_path / "repo", n=20)
    cases = [
        (["--data", "nowhere"], "--data nowhere does not exist"),
        (["--data", "server"], "no <label>/ subfolders"),
        (["--model", "missing.h5"], "--model missing.h5 does not exist"),
    ]
    for args, message in cases:
        proc = cli("init", "--here", *args, cwd=root, check=False)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    (root / "train_cnn.py").write_text("changed\n")
    proc = cli("init", "--here", cwd=root, check=False)
    assert proc.returncode == 4 and "uncommitted changes" in proc.stderr
    proc = cli("init", "--here", cwd=root / "server", check=False)
    assert proc.returncode == 4 and "top level" in " ".join(proc.stderr.split())
    proc = cli("init", str(root / "notes"), "--model", "x.h5", cwd=root, check=False)
    assert proc.returncode == 2 and "go with --here" in proc.stderr


def test_an_s3_remote_keeps_its_endpoint_out_of_git(tmp_path: Path) -> None:
    root = tmp_path / "s3repo"
    root.mkdir()
    (root / "train.py").write_text("print('train')\n")
    args = ["--remote", "s3://models-bucket/team", "--endpoint-url", "http://127.0.0.1:9"]
    cli("init", "--here", *args, cwd=root)
    assert "s3://models-bucket/team" in (root / ".dvc/config").read_text()
    assert "127.0.0.1:9" in (root / ".dvc/config.local").read_text()
    assert ".dvc/config.local" not in git("ls-files", cwd=root)
