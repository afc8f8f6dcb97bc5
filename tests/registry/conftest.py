"""A project with two trained commits (good v1, label-shuffled v2), nothing registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import built_once, copy_project, git, retrain, run


@pytest.fixture(scope="session")
def two_models(
    trained_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """Commits: good (HEAD~1) and bad (HEAD, labels shuffled); both pushed to the DVC remote.

    Built once per run (``built_once``); each pytest-xdist worker reads its own copy.
    """

    def build(folder: Path) -> None:
        root = copy_project(trained_project, folder)
        run(["dvc", "push", "-q"], root)
        good = git("rev-parse", "HEAD", cwd=root)
        bad = retrain(root, "train on shuffled labels", train={"label_noise": 1.0})
        (folder / "commits.json").write_text(json.dumps({"good": good, "bad": bad}))

    shared = built_once(tmp_path_factory, "two-models", build)
    root = copy_project(shared / trained_project.name, tmp_path_factory.mktemp("two"))
    return {"root": root, **json.loads((shared / "commits.json").read_text())}


@pytest.fixture
def reg(two_models: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """A private copy of the two-model project (HEAD at the bad commit)."""
    root = copy_project(two_models["root"], tmp_path)  # type: ignore[arg-type]
    return {**two_models, "root": root}
