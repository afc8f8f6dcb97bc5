"""The ML Test Score credits the repository's own pipeline, gate and registry, not those of
a project copied under tests/, fixtures/ or examples/ (catdetector's own score cited its
vendored corpus copies as its gate and its way back)."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import level2_files, write_tree

TRAIN = (
    "from sklearn.linear_model import LogisticRegression\n"
    "LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
)


def _score(root: Path) -> dict[str, tuple[float, str]]:
    return {i.id: (i.score, i.evidence) for i in assess_repository(root).score}


def test_a_copied_projects_gate_and_registry_are_not_the_repositorys(tmp_path: Path) -> None:
    copy = {f"tests/fixtures/example/{k}": v for k, v in level2_files().items()}
    score = _score(write_tree(tmp_path / "r", {"train.py": TRAIN, **copy}))
    assert score["Infra 4"][0] == 0, score["Infra 4"]
    assert "tests/fixtures" not in score["Infra 7"][1], score["Infra 7"]


def test_the_same_project_at_the_root_is_credited(tmp_path: Path) -> None:
    score = _score(write_tree(tmp_path / "r", level2_files()))
    assert score["Infra 4"][0] > 0 and score["Infra 7"][0] > 0, score
    assert not score["Infra 4"][1].startswith("tests/"), score["Infra 4"]
