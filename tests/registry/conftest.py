"""A project with two trained commits (good v1, label-shuffled v2), nothing registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import copy_project, git, retrain, run


@pytest.fixture(scope="session")
def two_models(
    trained_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """Commits: good (HEAD~1) and bad (HEAD, labels shuffled); both pushed to the DVC remote."""
    root = copy_project(trained_project, tmp_path_factory.mktemp("two"))
    run(["dvc", "push", "-q"], root)
    good = git("rev-parse", "HEAD", cwd=root)
    bad = retrain(root, "train on shuffled labels", train={"label_noise": 1.0})
    return {"root": root, "good": good, "bad": bad}


@pytest.fixture
def reg(two_models: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """A private copy of the two-model project (HEAD at the bad commit)."""
    root = copy_project(two_models["root"], tmp_path)  # type: ignore[arg-type]
    return {**two_models, "root": root}
