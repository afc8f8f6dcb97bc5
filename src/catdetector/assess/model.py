"""The values ``assess`` returns: evidence, findings and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "high", "medium", "low"]

SEVERITY_RANK: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}

LEVEL_NAMES: dict[int, str] = {
    0: "manual process",
    1: "ML pipeline automation",
    2: "CI/CD pipeline automation",
}
NOT_APPLICABLE = "not applicable (no ML found)"
NOT_RECOGNISED = "not recognised: "  # evidence that is a question, not a risk found
PROOF = " [CRITICAL: "  # evidence that proves a course risk ends with the proof it is


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: where (file and line, when that applies) and what."""

    file: str | None
    line: int | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of this evidence."""
        return {"file": self.file, "line": self.line, "detail": self.detail}

    @property
    def proof(self) -> str | None:
        """The structural proof this evidence is (why its finding is CRITICAL), or None."""
        at = self.detail.rfind(PROOF)
        return self.detail[at + len(PROOF) : -1] if at >= 0 and self.detail.endswith("]") else None

    def location(self) -> str:
        """``file:line``, ``file`` or an empty string."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def proven(evidence: Evidence, proof: str) -> Evidence:
    """The same evidence, marked as the structural proof ``proof`` (a CRITICAL finding's why)."""
    return Evidence(evidence.file, evidence.line, f"{evidence.detail}{PROOF}{proof}]")


def has_proof(evidence: list[Evidence]) -> bool:
    """Whether some evidence is a structural proof (the only ground for CRITICAL)."""
    return any(e.proof for e in evidence)


@dataclass(frozen=True)
class Finding:
    """A risk found in the repository, with the level it blocks and the minimal fix."""

    id: str
    risk: str
    severity: Severity
    evidence: list[Evidence]
    blocks_level: int
    fix: str
    source: str = ""
    lowers_level: bool = True

    @property
    def not_recognised(self) -> bool:
        """Whether this finding says no stack was recognised for its concern (a question
        for the reader, which never lowers the level)."""
        return bool(self.evidence) and self.evidence[0].detail.startswith(NOT_RECOGNISED)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of this finding."""
        return {
            "id": self.id,
            "not_recognised": self.not_recognised,
            "risk": self.risk,
            "severity": self.severity,
            "evidence": [e.to_dict() for e in self.evidence],
            "blocks_level": self.blocks_level,
            "lowers_level": self.lowers_level,
            "fix": self.fix,
            "source": self.source,
        }


@dataclass(frozen=True)
class ScoreItem:
    """One test of the ML Test Score view: 0 absent, 0.5 present (run by hand), 1 in CI."""

    id: str
    section: str
    test: str
    score: float
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of this item."""
        return {
            "id": self.id,
            "section": self.section,
            "test": self.test,
            "score": self.score,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Report:
    """The result of assessing one folder; ``findings`` are most critical first."""

    path: str
    level: int | None
    findings: list[Finding]
    files_scanned: int
    notes: list[str] = field(default_factory=list)
    checks_run: int = 0
    next_step: str = ""
    score: list[ScoreItem] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        """False when there is no ML in the folder (``level`` is then None)."""
        return self.level is not None

    @property
    def level_name(self) -> str:
        """Google's name for ``level``, or "not applicable"."""
        return NOT_APPLICABLE if self.level is None else LEVEL_NAMES[self.level]

    @property
    def not_recognised(self) -> int:
        """How many concerns assess recognised no stack for."""
        return sum(1 for f in self.findings if f.not_recognised)

    @property
    def score_total(self) -> float:
        """The sum of the ML Test Score items."""
        return sum(item.score for item in self.score)

    def finding(self, finding_id: str) -> Finding | None:
        """The finding with this id, or None."""
        return next((f for f in self.findings if f.id == finding_id), None)

    @property
    def ids(self) -> list[str]:
        """Ids of the findings, in report order."""
        return [f.id for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: level, findings, path, files_scanned, notes, ML Test Score."""
        return {
            "path": self.path,
            "level": self.level,
            "level_name": self.level_name,
            "applicable": self.applicable,
            "not_recognised": self.not_recognised,
            "next_step": self.next_step,
            "files_scanned": self.files_scanned,
            "checks_run": self.checks_run,
            "findings": [f.to_dict() for f in self.findings],
            "ml_test_score": {
                "total": self.score_total,
                "max": len(self.score),
                "tests": [item.to_dict() for item in self.score],
            },
            "notes": list(self.notes),
        }
