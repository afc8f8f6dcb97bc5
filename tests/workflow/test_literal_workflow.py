"""The course's minimum viable fix, literally, in a repository that `init` made."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import cli, git, publish, run


@pytest.mark.slow  # dvc add, push and pull across two clones (10 s of CPU)
def test_dvc_add_model_h5_push_and_pull_in_another_clone(tmp_path: Path) -> None:
    bob = tmp_path / "bob"
    cli("init", str(bob), cwd=tmp_path)
    cli("sample", "data/raw", "--n", "20", cwd=bob)
    model_bytes = os.urandom(300_000)  # Bob's .h5 from outside: any bytes
    (bob / "model.h5").write_bytes(model_bytes)
    run(["dvc", "add", "-q", "data/raw"], bob)
    run(["dvc", "add", "-q", "model.h5"], bob)
    git("add", "-A", cwd=bob)
    git("commit", "-qm", "data and model.h5 tracked by DVC", cwd=bob)
    assert "model.h5" not in git("ls-files", cwd=bob).split()  # git holds only model.h5.dvc
    origin = publish(bob, tmp_path, "github.git")

    alice = tmp_path / "alice"
    run(["git", "clone", "-q", str(origin), str(alice)], tmp_path)
    assert not (alice / "model.h5").exists()
    # Bob changes the model; Alice does `git pull` then `dvc pull model.h5`
    new_bytes = os.urandom(200_000)
    (bob / "model.h5").write_bytes(new_bytes)
    run(["dvc", "add", "-q", "model.h5"], bob)
    git("commit", "-qam", "new model.h5", cwd=bob)
    git("push", "-q", cwd=bob)
    run(["dvc", "push", "-q"], bob)
    git("pull", "-q", cwd=alice)
    run(["dvc", "pull", "-q", "model.h5"], alice)
    assert (alice / "model.h5").read_bytes() == new_bytes
    run(["dvc", "pull", "-q", "data/raw"], alice)
    for path in sorted((bob / "data/raw").rglob("*.png")):
        assert (alice / path.relative_to(bob)).read_bytes() == path.read_bytes()
