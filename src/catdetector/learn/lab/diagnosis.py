"""The learner's diagnosis of CatDetector.ai (maturity level and three risks), judged strictly.

An answer counts as one of the course's risks only when it names every fact
the course gives for it (for the bus factor: that the ability rests on one
person or machine, *and* what is lost when that one is gone). An answer that
only names the risk, or names part of it, is reported as close, with the facts
it misses; "one person can rebuild it" is not the bus factor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

COURSE_RISKS = ("bus-factor", "no-rollback", "training-serving-skew")
RISK_NAMES = {
    "bus-factor": "Bus factor",
    "no-rollback": "No rollback",
    "training-serving-skew": "Training-serving skew",
}

_NEGATION = (r"n't\b", r"\b(?:no|not|never|nothing|nobody|none|cannot|can not|without|"
             r"impossible|unable|lacks?|lost)\b")


@dataclass(frozen=True)
class Fact:
    """One fact an answer must name: any of its patterns (regular expressions) found."""

    says: str
    patterns: tuple[str, ...]

    def named(self, text: str) -> bool:
        """True when the (lower-case) text names this fact."""
        return any(re.search(p, text) for p in self.patterns)


_ONE_POINT = Fact(
    "that it rests on one person or machine (only Bob, his laptop)",
    (r"\bonly\b", r"\bsingle\b", r"\bone (?:person|machine|laptop|computer|engineer|copy)\b",
     r"\b(?:nobody|no one|no-one) (?:else|can|could)\b", r"\bjust (?:bob|him|his|one)\b",
     r"\balone\b",
     r"\b(?:depends?|depending|relies|rely|relying) on (?:bob|him|his|one|a single)\b"),
)
_WHAT_IS_LOST = Fact(
    "what is lost if Bob or his laptop is gone (nobody can retrain the model)",
    (r"\b(?:dies|die|dead|crash\w*|breaks?|broke|broken|stolen|lost|loses?|leaves?|left|"
     r"quits?|sick|hit by a bus|unavailable|gone|fails?)\b",
     rf"(?:{'|'.join(_NEGATION)}).*\b(?:re-?train|rebuild|reproduc|re-?create|train)"),
)
_GO_BACK = Fact(
    "that nothing lets you go back (no rollback, no registry)",
    tuple(rf"(?:{neg}).*\b(?:roll ?back|revert|go back|going back|restore|undo|return to|"
          rf"recover|bring back|replaced?|switch back|registry|versions?|versioned)"
          for neg in _NEGATION),
)
_PREVIOUS = Fact(
    "what you would go back to (the previous model)",
    (r"\b(?:previous|old|older|earlier|prior|last (?:good|working)|former)\b",),
)
_DIFFERENT = Fact(
    "that they differ",
    (r"\bdiffer", r"\bmismatch", r"\bskew", r"\binconsistent", r"\bnot the same\b",
     r"\bdon't match", r"\bdo not match", r"\b(?:vs\.?|versus)\b", r"\bbut\b"),
)
_ENVIRONMENT = Fact(
    "what differs (the environment: Python, numpy, library versions)",
    (r"\benvironment", r"\bpython\b", r"\bnumpy\b", r"\bversion", r"\bdependenc",
     r"\blibrar", r"\bpackages?\b", r"\brequirements\b", r"\bpreprocess"),
)
_WHERE = Fact(
    "where (Bob's laptop for training, Alice's server for serving)",
    (r"\blaptop\b", r"\btrain", r"\bbob\b", r"\bserv", r"\balice\b", r"\bproduction\b",
     r"\bprod\b", r"\bapi\b"),
)

RISK_FACTS: dict[str, tuple[Fact, ...]] = {
    "bus-factor": (_ONE_POINT, _WHAT_IS_LOST),
    "no-rollback": (_GO_BACK, _PREVIOUS),
    "training-serving-skew": (_DIFFERENT, _ENVIRONMENT, _WHERE),
}
# Words that show which risk an answer is about, even when it misses facts.
_RISK_WORDS: dict[str, tuple[str, ...]] = {
    "bus-factor": ("bus", "laptop", "pipeline", "reproduc", "retrain", "rebuild",
                   "single point", "one person", "one machine"),
    "no-rollback": ("rollback", "roll back", "revert", "registry", "previous", "go back",
                    "model version", "version the model", "versioning of model"),
    "training-serving-skew": ("skew", "environment", "mismatch", "python", "numpy",
                              "dependenc", "differ"),
}
_OTHER_WORDS: dict[str, tuple[str, ...]] = {
    "no-data-versioning": ("data",),
    "no-lock-file": ("lock", "pin"),
}


@dataclass(frozen=True)
class Diagnosis:
    """The learner's diagnosis, scored against the course's answer."""

    level_answer: str
    level_ok: bool
    risk_answers: tuple[str, ...]
    matched: dict[int, str]
    others: dict[int, str] = field(default_factory=dict)
    partial: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def named(self) -> set[str]:
        """Course risks the learner named."""
        return set(self.matched.values())

    @property
    def score(self) -> int:
        """0 to 4: the level plus each risk named."""
        return int(self.level_ok) + len(self.named)


def missing_facts(risk: str, answer: str) -> tuple[str, ...]:
    """What the answer does not say of a risk's facts (empty: it names them all)."""
    text = answer.lower()
    return tuple(fact.says for fact in RISK_FACTS[risk] if not fact.named(text))


def score_diagnosis(level: str, risks: Sequence[str]) -> Diagnosis:
    """Judge the learner's words against Level 0 and the facts of the course's three risks."""
    lowered = level.lower()
    level_ok = bool(re.search(r"\b0\b|zero|manual", lowered)) and not re.search(
        r"\b[12]\b", lowered)
    matched: dict[int, str] = {}
    partial: dict[int, tuple[str, tuple[str, ...]]] = {}
    others: dict[int, str] = {}
    for i, answer in enumerate(risks):
        text = answer.lower()
        open_risks = [r for r in COURSE_RISKS if r not in matched.values()]
        full = next((r for r in open_risks if not missing_facts(r, answer)), None)
        if full is not None:
            matched[i] = full
            continue
        near = next((r for r in open_risks if any(w in text for w in _RISK_WORDS[r])), None)
        if near is not None:
            partial[i] = (near, missing_facts(near, answer))
            continue
        for finding, words in _OTHER_WORDS.items():
            if any(w in text for w in words):
                others[i] = finding
                break
    return Diagnosis(level, level_ok, tuple(risks), matched, others, partial)
