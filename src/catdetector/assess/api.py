"""``assess_repository``: scan once, run every check over the index, compute the level."""

from __future__ import annotations

import os
from pathlib import Path

from catdetector.assess.checks import CHECKS
from catdetector.assess.cipieces import CI_PIECES_NOTE
from catdetector.assess.facts import NO_MODEL_NOTE, Facts
from catdetector.assess.levels import compute_level, next_step, order_findings
from catdetector.assess.library import LIBRARY_NOTE
from catdetector.assess.model import NOT_RECOGNISED, Evidence, Finding, Report
from catdetector.assess.scan import scan
from catdetector.assess.score import ml_test_score
from catdetector.assess.text import human
from catdetector.core.errors import AssessError

MAX_EVIDENCE = 10
# what still matters in a folder with no ML in it
NOT_ML_CHECKS = frozenset({"secrets-committed", "large-binaries-in-git"})


HISTORY_NOTE_BYTES = 10 * 1024 * 1024


def _history_note(pack_bytes: int, tracked_bytes: int) -> str | None:
    """A note when git's packs are much larger than what is tracked now."""
    if pack_bytes < HISTORY_NOTE_BYTES or pack_bytes < 2 * tracked_bytes + HISTORY_NOTE_BYTES // 2:
        return None
    return (
        f"git history holds {human(pack_bytes)} of packs while the tracked files total "
        f"{human(tracked_bytes)}: large files were committed and later removed, and every "
        "clone still downloads them (`git filter-repo --strip-blobs-bigger-than 1M` purges them)"
    )


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
        if index.rendered:  # cite a template under its own name
            evidence = [
                Evidence(index.rendered.get(e.file, e.file), e.line, e.detail)
                if e.file in index.rendered else e
                for e in evidence
            ]  # fmt: skip
        severity = check.severity_for(facts, evidence) if check.severity_for else check.severity
        if severity == "critical":  # the proof that makes it critical is shown first
            evidence = sorted(evidence, key=lambda e: e.proof is None)
        if len(evidence) > MAX_EVIDENCE:  # the severity is the whole evidence's, not the shown
            extra = len(evidence) - MAX_EVIDENCE
            evidence = [*evidence[:MAX_EVIDENCE], Evidence(None, None, f"and {extra} more")]
        lowers = check.lowers_level
        if evidence[0].detail.startswith(NOT_RECOGNISED):
            severity, lowers = "low", False  # a question for the reader, not a risk found
        fix = check.fix_for(facts) if check.fix_for else None
        findings.append(
            Finding(
                id=check.id,
                risk=check.risk,
                severity=severity,
                evidence=evidence,
                blocks_level=check.blocks_level,
                fix=fix or check.fix,
                source=check.source,
                lowers_level=lowers,
            )
        )
    notes = [*index.notes, *facts.notes, *failed]
    if index.rendered:
        notes.append(
            f"{len(index.rendered)} template file(s) read as what they render to "
            "({{...}} and {%...%} replaced by a placeholder)"
        )
    if not facts.applicable:
        notes.append(
            LIBRARY_NOTE if facts.is_library
            else CI_PIECES_NOTE if facts.ci_pieces
            else NO_MODEL_NOTE if facts.is_ml
            else "no ML code, model, data or pipeline found: not applicable"
        )
        findings = [f for f in findings if f.id in NOT_ML_CHECKS]
    if not index.git.present:
        notes.append("not a git repository: git-based checks (committed files, tags) skipped")
    elif (note := _history_note(index.git.pack_bytes, index.git.repo_tracked_bytes)) is not None:
        notes.append(note)
    ordered = order_findings(findings)
    level = compute_level(ordered, applicable=facts.applicable)
    return Report(
        path=str(root),
        level=level,
        findings=ordered,
        files_scanned=len(index.files),
        notes=notes,
        checks_run=len(CHECKS),
        next_step=next_step(level, ordered),
        score=ml_test_score(facts),
    )
