"""Pure renderers: a report to Markdown or plain text, the checks table (strings only)."""

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


def _title(report: Report) -> str:
    if report.level is None:
        return f"No level: {report.level_name}"
    return f"Level {report.level} ({report.level_name}){unrecognised_note(report)}"


def unrecognised_note(report: Report) -> str:
    """``; N concerns not recognised`` when assess recognised no stack for some concerns."""
    n = report.not_recognised
    return f"; {n} concern{'s' if n != 1 else ''} not recognised" if n else ""


def _role(finding: Finding) -> str:
    if finding.lowers_level:
        return f"keeps the level below {finding.blocks_level}"
    return f"risk (level {finding.blocks_level})"


def score_lines(report: Report) -> list[str]:
    """The ML Test Score view: a total line, then one line per test."""
    if not report.score:
        return []
    lines = [f"ML Test Score (static view): {report.score_total:g} of {len(report.score)}"]
    for item in report.score:
        where = f" ({item.evidence})" if item.evidence else ""
        lines.append(f"{item.score:>3g}  {item.id}: {item.test}{where}")
    return lines


def to_markdown(report: Report) -> str:
    """The report as a Markdown document."""
    lines = [
        f"# MLOps assessment: {_title(report)}",
        "",
        f"`{report.path}`: {report.files_scanned} files read, {report.checks_run} checks, "
        f"{len(report.findings)} findings.",
        "",
        f"**Next:** {report.next_step}",
        "",
    ]
    if report.findings:
        lines += [
            "| # | id | severity | level | risk | evidence | minimal fix |",
            "|---|----|----------|-------|------|----------|-------------|",
        ]
        for number, f in enumerate(report.findings, start=1):
            evidence = "<br>".join(_md_cell(e) for e in _evidence_lines(f))
            lines.append(
                f"| {number} | `{f.id}` | {f.severity} | {_role(f)} | {_md_cell(f.risk)} "
                f"| {evidence} | {_md_cell(f.fix)} |"
            )
    else:
        lines.append("No findings.")
    if report.score:
        lines += ["", "## ML Test Score (static view)", ""]
        lines += ["| score | test | evidence |", "|-------|------|----------|"]
        for item in report.score:
            lines.append(
                f"| {item.score:g} | {item.id}: {_md_cell(item.test)} | {_md_cell(item.evidence)} |"
            )
        lines.append(f"| **{report.score_total:g}** | of {len(report.score)} | |")
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {_md_cell(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"


def to_text(report: Report) -> str:
    """The report as plain text (no markup)."""
    lines = [
        f"{_title(report)}  ({report.path}, {report.files_scanned} files, "
        f"{len(report.findings)} findings)",
        f"next: {report.next_step}",
    ]
    for number, f in enumerate(report.findings, start=1):
        lines.append("")
        lines.append(f"{number}. [{f.severity}] {f.id}: {f.risk} ({_role(f)})")
        for item in _evidence_lines(f):
            lines.append(f"     - {item}")
        lines.append(f"     fix: {f.fix}")
    if report.score:
        lines.append("")
        lines += score_lines(report)
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def checks_table() -> str:
    """The table of checks (id, risk, what it looks for, severity, level, source)."""
    from catdetector.assess.checks import CHECKS

    lines = [
        "| id | risk | looks for | severity | level | lowers the level | source |",
        "|----|------|-----------|----------|-------|------------------|--------|",
    ]
    for check in CHECKS:
        looks_for = " ".join((check.func.__doc__ or "").split())
        lowers = "yes" if check.lowers_level else "no (a risk)"
        lines.append(
            f"| `{check.id}` | {_md_cell(check.risk)} | {_md_cell(looks_for)} | "
            f"{check.severity} | {check.blocks_level} | {lowers} | {_md_cell(check.source)} |"
        )
    return "\n".join(lines) + "\n"


TABLE_START, TABLE_END = "<!-- checks-table:start -->\n", "<!-- checks-table:end -->"
CORPUS_START, CORPUS_END = "<!-- corpus:begin -->", "<!-- corpus:end -->"


def update_checks_doc(text: str) -> str:
    """``docs/assess-checks.md`` with its checks table regenerated; all else kept verbatim.

    The corpus region (between ``<!-- corpus:begin -->`` and ``<!-- corpus:end -->``)
    belongs to the corpus test and is never touched; the markers are appended when absent.
    """
    start = text.index(TABLE_START) + len(TABLE_START)
    end = text.index(TABLE_END, start)
    out = text[:start] + checks_table() + text[end:]
    if CORPUS_START not in out:
        out = out.rstrip("\n") + f"\n\n{CORPUS_START}\n{CORPUS_END}\n"
    return out
