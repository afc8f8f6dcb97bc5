"""The learner's diagnosis of CatDetector.ai (maturity level and three risks), scored."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

COURSE_RISKS = ("bus-factor", "no-rollback", "training-serving-skew")

_RISK_WORDS: dict[str, tuple[str, ...]] = {
    "bus-factor": ("bus", "laptop", "pipeline", "reproduc", "retrain", "single point",
                   "one person", "one machine"),
    "no-rollback": ("rollback", "roll back", "revert", "registry", "previous", "go back",
                    "model version", "version the model", "versioning of model"),
    "training-serving-skew": ("skew", "environment", "mismatch", "python", "numpy",
                              "dependenc", "differ"),
}
_OTHER_WORDS: dict[str, tuple[str, ...]] = {
    "no-data-versioning": ("data",),
    "no-lock-file": ("lock", "pin"),
}
RISK_NAMES = {
    "bus-factor": "Bus factor",
    "no-rollback": "No rollback",
    "training-serving-skew": "Training-serving skew",
}


@dataclass(frozen=True)
class Diagnosis:
    """The learner's diagnosis, scored against the course's answer."""

    level_answer: str
    level_ok: bool
    risk_answers: tuple[str, ...]
    matched: dict[int, str]
    others: dict[int, str] = field(default_factory=dict)

    @property
    def named(self) -> set[str]:
        """Course risks the learner named."""
        return set(self.matched.values())

    @property
    def score(self) -> int:
        """0 to 4: the level plus each risk named."""
        return int(self.level_ok) + len(self.named)


def score_diagnosis(level: str, risks: Sequence[str]) -> Diagnosis:
    """Match the learner's words to Level 0 and to the course's three risks."""
    lowered = level.lower()
    level_ok = bool(re.search(r"\b0\b|zero|manual", lowered)) and not re.search(
        r"\b[12]\b", lowered)
    matched: dict[int, str] = {}
    others: dict[int, str] = {}
    for i, answer in enumerate(risks):
        text = answer.lower()
        for risk, words in _RISK_WORDS.items():
            if risk not in matched.values() and any(w in text for w in words):
                matched[i] = risk
                break
        else:
            for finding, words in _OTHER_WORDS.items():
                if any(w in text for w in words):
                    others[i] = finding
                    break
    return Diagnosis(level, level_ok, tuple(risks), matched, others)

