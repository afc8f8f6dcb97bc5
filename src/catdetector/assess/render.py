"""Pure renderers: a report to Markdown or plain text (strings; nothing is printed)."""

from __future__ import annotations

from catdetector.assess.model import Finding, Report


def _evidence_lines(finding: Finding) -> list[str]:
    out: list[str] = []
    for ev in finding.evidence:
        where = ev.location()
        out.append(f"{where}: {ev.detail}" if where else ev.detail)
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as a Markdown document."""
    lines = [
        f"# MLOps assessment: Level {report.level} ({report.level_name})",
        "",
        f"`{report.path}`: {report.files_scanned} files read, {report.checks_run} checks, "
        f"{len(report.findings)} findings.",
        "",
    ]
    if report.findings:
        lines += [
            "| # | id | severity | blocks level | risk | evidence | minimal fix |",
            "|---|----|----------|--------------|------|----------|-------------|",
        ]
        for number, f in enumerate(report.findings, start=1):
            evidence = "<br>".join(_md_cell(e) for e in _evidence_lines(f))
            lines.append(
                f"| {number} | `{f.id}` | {f.severity} | {f.blocks_level} | {_md_cell(f.risk)} "
                f"| {evidence} | {_md_cell(f.fix)} |"
            )
    else:
        lines.append("No findings.")
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {_md_cell(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"


def to_text(report: Report) -> str:
    """The report as plain text (no markup)."""
    lines = [
        f"Level {report.level}: {report.level_name}  ({report.path}, "
        f"{report.files_scanned} files, {len(report.findings)} findings)",
    ]
    for number, f in enumerate(report.findings, start=1):
        lines.append("")
        lines.append(f"{number}. [{f.severity}] {f.id}: {f.risk} (blocks level {f.blocks_level})")
        for item in _evidence_lines(f):
            lines.append(f"     - {item}")
        lines.append(f"     fix: {f.fix}")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def checks_table() -> str:
    """The table of checks (id, risk, what it looks for, severity, level blocked, source)."""
    from catdetector.assess.checks import CHECKS

    lines = [
        "| id | risk | looks for | severity | blocks level | source |",
        "|----|------|-----------|----------|--------------|--------|",
    ]
    for check in CHECKS:
        looks_for = " ".join((check.func.__doc__ or "").split())
        lines.append(
            f"| `{check.id}` | {_md_cell(check.risk)} | {_md_cell(looks_for)} | "
            f"{check.severity} | {check.blocks_level} | {_md_cell(check.source)} |"
        )
    return "\n".join(lines) + "\n"
