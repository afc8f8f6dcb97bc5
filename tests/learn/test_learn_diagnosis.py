"""The lab judges the diagnosis strictly: an answer counts only when it names the risk's facts."""

from __future__ import annotations

import pytest

from catdetector.learn.lab import score_diagnosis

FULL = [
    "if Bob's laptop dies nobody can retrain the model",
    "no way to roll back to the previous model",
    "laptop and server environments differ (numpy versions)",
]


def test_full_answers_name_every_fact() -> None:
    diagnosis = score_diagnosis("Level 0 (manual)", FULL)
    assert diagnosis.level_ok and diagnosis.score == 4
    assert diagnosis.matched == {0: "bus-factor", 1: "no-rollback", 2: "training-serving-skew"}
    assert diagnosis.partial == {}


@pytest.mark.parametrize(
    ("answer", "risk"),
    [
        ("only Bob can train the model; if he leaves it cannot be reproduced", "bus-factor"),
        ("nobody else can rebuild the model, it exists on one laptop", "bus-factor"),
        ("a bad model cannot be replaced by the previous version", "no-rollback"),
        ("there is no registry, so we can't go back to an older model", "no-rollback"),
        ("different numpy on the server", "training-serving-skew"),
        ("Python 3.9 for training but 3.8 in production: a version mismatch",
         "training-serving-skew"),
    ],
)
def test_other_wordings_of_the_facts_count(answer: str, risk: str) -> None:
    assert score_diagnosis("0", [answer]).matched == {0: risk}


@pytest.mark.parametrize(
    ("answer", "near"),
    [
        ("one person can rebuild it", "bus-factor"),  # the loose answer
        ("bus factor", "bus-factor"),
        ("Bob's laptop", "bus-factor"),
        ("no rollback", "no-rollback"),
        ("we can roll back to the previous model", "no-rollback"),
        ("skew", "training-serving-skew"),
        ("training-serving skew", "training-serving-skew"),
        ("the server is different", "training-serving-skew"),
    ],
)
def test_loose_answers_do_not_count(answer: str, near: str) -> None:
    diagnosis = score_diagnosis("Level 0", [answer])
    assert diagnosis.matched == {} and diagnosis.score == 1
    risk, missing = diagnosis.partial[0]
    assert risk == near and missing  # the learner is told which fact is missing


def test_missing_facts_are_named() -> None:
    diagnosis = score_diagnosis("0", ["one person can rebuild it"])
    _, missing = diagnosis.partial[0]
    assert any("lost" in fact for fact in missing)


def test_level_and_other_findings() -> None:
    partial = score_diagnosis("level 1", ["data is not versioned", "", "skew"])
    assert not partial.level_ok and partial.named == set()
    assert partial.others == {0: "no-data-versioning"}
    assert score_diagnosis("zero: a manual process", []).level_ok
