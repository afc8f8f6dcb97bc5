"""Level computation, report ordering and the next step.

Only findings that ``lowers_level`` count: each is the absence of something the
level it belongs to (``blocks_level``) requires, so the level is one less than
the lowest such level (2 with none). Other findings are risks reported beside
the level. A folder with no ML in it has no level (None: not applicable).
"""

from __future__ import annotations

import re

from catdetector.assess.checks import CHECKS, COURSE_RISKS
from catdetector.assess.model import LEVEL_NAMES, SEVERITY_RANK, Finding

MAX_LEVEL = max(LEVEL_NAMES)


def compute_level(findings: list[Finding], *, applicable: bool = True) -> int | None:
    """The level on Google's scale (0, 1, 2) that these findings allow; None without ML."""
    if not applicable:
        return None
    lowering = [f.blocks_level for f in findings if f.lowers_level]
    if not lowering:
        return MAX_LEVEL
    return max(0, min(MAX_LEVEL, min(lowering) - 1))


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Course's three risks first (in the course's order), then by severity and level blocked."""
    table_order = {c.id: i for i, c in enumerate(CHECKS)}

    def key(finding: Finding) -> tuple[int, int, int, int, int]:
        course = COURSE_RISKS.index(finding.id) if finding.id in COURSE_RISKS else len(COURSE_RISKS)
        return (
            course,
            SEVERITY_RANK[finding.severity],
            0 if finding.lowers_level else 1,
            finding.blocks_level,
            table_order.get(finding.id, len(table_order)),
        )

    return sorted(findings, key=key)


_SENTENCE_END_RE = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)\.\s+(?=[A-Z`(])|;\s")


def _first_sentence(text: str) -> str:
    return _SENTENCE_END_RE.split(text, maxsplit=1)[0].rstrip(".")


def next_step(level: int | None, findings: list[Finding]) -> str:
    """One line: the smallest change that reaches the next level."""
    if level is None:
        return "not applicable: no training code, model, data or pipeline to assess"
    if level >= MAX_LEVEL:
        return f"Level {MAX_LEVEL} reached; reduce the risks listed, most severe first"
    target = level + 1
    needed = [f for f in findings if f.lowers_level and f.blocks_level == target]
    changes = "; ".join(f"{_first_sentence(f.fix)} ({f.id})" for f in needed)
    return f"to reach Level {target}: {changes}"
