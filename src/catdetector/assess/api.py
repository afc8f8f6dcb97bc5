"""``assess_repository``: scan once, run every check over the index, compute the level."""

from __future__ import annotations

import os
from pathlib import Path

from catdetector.assess.checks import CHECKS
from catdetector.assess.facts import Facts
from catdetector.assess.levels import compute_level, order_findings
from catdetector.assess.model import Evidence, Finding, Report
from catdetector.assess.scan import scan
from catdetector.errors import AssessError

MAX_EVIDENCE = 10


def assess_repository(path: Path) -> Report:
    """Assess the folder at ``path`` by reading its files; nothing in it is run."""
    root = Path(os.path.abspath(os.fspath(path)))
    if not root.exists():
        raise AssessError(f"no such folder: {path}", hint="give the path of a repository")
    if not root.is_dir():
        raise AssessError(f"not a folder: {path}", hint="give the path of a repository")
    root = root.resolve()
    try:
        index = scan(root)
    except OSError as exc:
        raise AssessError(
            f"cannot read folder {path}: {exc.strerror or exc}", hint="check its permissions"
        ) from exc
    facts = Facts(index)
    findings: list[Finding] = []
    failed: list[str] = []
    for check in CHECKS:
        try:
            evidence = check.func(facts)
        except Exception as exc:  # hostile input must not stop the other checks
            failed.append(f"check {check.id} could not run: {type(exc).__name__}: {exc}")
            continue
        if not evidence:
            continue
        if len(evidence) > MAX_EVIDENCE:
            extra = len(evidence) - MAX_EVIDENCE
            evidence = [*evidence[:MAX_EVIDENCE], Evidence(None, None, f"and {extra} more")]
        findings.append(
            Finding(
                id=check.id,
                risk=check.risk,
                severity=check.severity,
                evidence=evidence,
                blocks_level=check.blocks_level,
                fix=check.fix,
                source=check.source,
            )
        )
    notes = [*index.notes, *facts.notes, *failed]
    if not facts.is_ml:
        notes.append("no ML code, model, data or pipeline found")
    if not index.git.present:
        notes.append("not a git repository: git-based checks (committed files, tags) skipped")
    ordered = order_findings(findings)
    return Report(
        path=str(root),
        level=compute_level(ordered),
        findings=ordered,
        files_scanned=len(index.files),
        notes=notes,
        checks_run=len(CHECKS),
    )
