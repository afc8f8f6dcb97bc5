"""Assess checkouts of the v3 corpus and score them against ``judged.toml``.

``python -m tests.assess.corpus.v3.run DIR [--judged FILE] [--half HALF] [--json OUT]``:
DIR holds one checkout per repository named ``owner+name`` at the judged commit (made
from public snapshots; nothing of them is committed here). ``--judged`` names the
judgement file (default ``judged.toml`` beside this script; a bare name is looked up
here, e.g. ``--judged blind2.toml``); ``--half`` keeps the repositories whose ``half``
is that value (``design``, ``blind``, any other value the file uses such as ``blind2``)
or ``all``. Prints one line per repository, the level agreement and every false
CRITICAL (a CRITICAL finding whose risk the judge did not list under ``critical``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tomllib
from pathlib import Path

from catdetector.assess import assess_repository

HERE = Path(__file__).parent


def _level(value: object) -> str:
    return "n/a" if value in (None, "n/a") else str(value)


def main() -> int:
    """Run the corpus and print the table; exit 0 always (it is a measurement)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--judged", type=Path, default=HERE / "judged.toml")
    parser.add_argument("--half", default="blind")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    judged = args.judged
    if not judged.exists() and (HERE / judged).exists():
        judged = HERE / judged
    try:
        repos = tomllib.loads(judged.read_text())["repo"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        parser.error(f"cannot read the judgement {judged}: {exc}")
    halves = sorted({str(r.get("half")) for r in repos})
    if args.half != "all" and args.half not in halves:
        parser.error(f"--half {args.half}: {judged.name} has {', '.join(halves)} (or all)")
    rows = []
    for repo in repos:
        if args.half != "all" and repo["half"] != args.half:
            continue
        folder = args.dir / repo["repository"].replace("/", "+")
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        if head != repo["commit"]:
            raise SystemExit(f"{folder}: HEAD {head or '?'} is not the judged {repo['commit']}")
        report = assess_repository(folder)
        got = _level(report.level)
        want = _level(repo["level"])
        false_crit = [
            f.id for f in report.findings
            if f.severity == "critical" and f.id not in repo.get("critical", [])
        ]
        rows.append({
            "repository": repo["repository"], "judged": want, "assessed": got,
            "agree": got == want, "false_critical": false_crit,
            "findings": [f"{f.severity}:{f.id}" for f in report.findings],
        })
        mark = "ok " if got == want else "XX "
        print(f"{mark}{repo['repository']:55} judged {want:>3} assessed {got:>3} "
              f"false CRITICAL: {', '.join(false_crit) or '-'}")
    agree = sum(r["agree"] for r in rows)
    crit = sum(bool(r["false_critical"]) for r in rows)
    print(f"level agrees on {agree}/{len(rows)}; false CRITICAL on {crit} repositories")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
