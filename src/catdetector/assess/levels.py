"""Level computation and report ordering.

A finding blocks level N: while it stands the repository is below N. So the
level is one less than the lowest level any finding blocks (2 with none):
Level 1 needs every level-1 check to pass, Level 2 needs every check to pass.
"""

from __future__ import annotations

from catdetector.assess.checks import CHECKS, COURSE_RISKS
from catdetector.assess.model import LEVEL_NAMES, SEVERITY_RANK, Finding

MAX_LEVEL = max(LEVEL_NAMES)


def compute_level(findings: list[Finding]) -> int:
    """The level on Google's scale (0, 1, 2) that these findings allow."""
    if not findings:
        return MAX_LEVEL
    return max(0, min(MAX_LEVEL, min(f.blocks_level for f in findings) - 1))


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Course's three risks first (in the course's order), then by severity and level blocked."""
    table_order = {c.id: i for i, c in enumerate(CHECKS)}

    def key(finding: Finding) -> tuple[int, int, int, int]:
        course = COURSE_RISKS.index(finding.id) if finding.id in COURSE_RISKS else len(COURSE_RISKS)
        return (
            course,
            SEVERITY_RANK[finding.severity],
            finding.blocks_level,
            table_order.get(finding.id, len(table_order)),
        )

    return sorted(findings, key=key)
