"""`catdetector monitor compare`: a shadow or canary version beside the primary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from catdetector.cli._common import LogDbOpt, console, print_json
from catdetector.cli.monitor import ParamsOpt, _open_log, _params


def _pct(p: dict[str, Any] | None) -> str:
    """``0.962 [0.912, 0.984] of 130``: a rate, its interval and its n."""
    if not p or p.get("rate") is None:
        return "- (none)"
    low, high = p["ci"]
    return f"{p['rate']:.3f} [{low:.3f}, {high:.3f}] of {p['n']}"


def _q(d: dict[str, Any], unit: str = "") -> str:
    if not d or d.get("p50") is None:
        return "-"
    return " ".join(f"{k} {d[k]:.3g}{unit}" for k in ("p10", "p50", "p90", "p99") if k in d)


def _latency(d: dict[str, Any]) -> str:
    if d.get("p50") is None:
        return "-"
    return " ".join(f"{k} {d[k]:.3g}" for k in ("p50", "p90", "p99") if d.get(k) is not None)


def render(c: dict[str, Any]) -> None:
    """One comparison as text."""
    head = "[red]ALARM[/red]" if c["alarm"] else "[green]ok[/green]"
    prim, cand = c["sides"]["primary"], c["sides"]["candidate"]
    console.print(
        f"{head} {c['stage']} {c['candidate']} beside primary "
        f"{', '.join(c['primary']) or '(none)'} ({c['first']} to {c['last']})"
    )
    console.print(f"  [dim]{c['note']}[/dim]", soft_wrap=True)
    if c["paired"]:
        console.print(
            f"  pairs {cand['requests']}, shadow records without a logged primary "
            f"{c['unpaired']}, pairs with different inputs (left out) {c['mismatched']}"
        )
        console.print(f"  agreement {_pct(c['agreement'])} (95% Wilson)")
        conf = c["confusion"]
        if conf["labels"]:
            width = max(len(x) for x in [*conf["labels"], "primary\\cand"]) + 2
            console.print(
                "  "
                + "primary\\cand".ljust(width)
                + "".join(x.rjust(width) for x in conf["labels"])
            )
            for label, line in zip(conf["labels"], conf["matrix"], strict=True):
                console.print(
                    "  " + label.ljust(width) + "".join(str(n).rjust(width) for n in line)
                )
    rows = [
        ("version", prim["version"], cand["version"]),
        ("requests", prim["requests"], cand["requests"]),
        ("error rate", _pct(prim["error"]), _pct(cand["error"])),
        ("latency ms", _latency(prim["latency_ms"]), _latency(cand["latency_ms"])),
        ("confidence", _q(prim["confidence"]), _q(cand["confidence"])),
        (
            "labelled accuracy" + (" (same requests)" if c["labelled"]["same_requests"] else ""),
            _pct(c["labelled"]["primary"]),
            _pct(c["labelled"]["candidate"]),
        ),
        ("alarms", len(prim["alarms"]), len(cand["alarms"])),
    ]
    console.print(f"  {'':<34}{'primary':<34}{c['stage']}")
    for name, a, b in rows:
        console.print(f"  {name:<34}{a!s:<34}{b!s}", soft_wrap=True)
    for key, d in c["distributions"].items():
        if key != "label_shares" and d.get("p") is not None:
            console.print(f"  {key} distributions: KS {d['statistic']:.3f} p {d['p']:.2g}")
    for side, name in ((prim, "primary"), (cand, c["stage"])):
        extra = [side["prediction_drift"]] if side["prediction_drift"] else []
        for d in [*side["drift"], *extra]:
            if d["drifted"]:
                console.print(f"  [red]drift[/red] of {name} {d['name']}: PSI {d['psi']:.3f}")
        for alarm in side["alarms"]:
            console.print(f"  [red]alarm[/red] {name}: {alarm}", soft_wrap=True)


def attach(app: typer.Typer) -> None:
    """Add `compare` to the monitor commands."""

    @app.command("compare")
    def compare_cmd(
        stage: Annotated[
            str | None,
            typer.Option(help="shadow or canary (default: every candidate in the window)"),
        ] = None,
        since: Annotated[
            str | None, typer.Option(help="only predictions from then: ISO time or look-back (2h)")
        ] = None,
        version: Annotated[str | None, typer.Option(help="only this candidate version")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
        html: Annotated[
            Path | None, typer.Option("--html", help="also write a self-contained HTML page here")
        ] = None,
        log_db: LogDbOpt = None,
        params: ParamsOpt = None,
    ) -> None:
        """A shadow or canary version beside the primary: agreement, confusion, latency.

        Shadow answers pair with the primary answers of the same requests; a canary
        answered other requests, so its distributions and labelled accuracy are set
        beside the primary's over the same window. Exits 1 when the candidate
        crosses a threshold of its own (drift against its reference, accuracy).
        """
        from catdetector.core.errors import UsageError
        from catdetector.core.fsutil import write_bytes
        from catdetector.monitor import compare, compare_html
        from catdetector.monitor.window import parse_since

        if stage is not None and stage not in compare.CANDIDATES:
            raise UsageError(f"--stage {stage!r}: compare takes {' or '.join(compare.CANDIDATES)}")
        thresholds = _params(params)
        when = parse_since(since) if since else None
        db = _open_log(log_db)
        try:
            built = compare.build(db, thresholds, since=when, stage=stage, version=version)
        finally:
            db.close()
        data = built.to_dict()
        if html is not None:
            write_bytes(html, compare_html.render(data).encode())
        if json_out:
            print_json(data)
        else:
            console.print(f"window: {data['window']}")
            if not data["comparisons"]:
                which = f"{stage} " if stage else "shadow or canary "
                after = f" since {data['since']}" if since else ""
                console.print(f"no {which}predictions logged{after}")
            for c in data["comparisons"]:
                render(c)
            if html is not None:
                console.print(f"HTML page: {html}")
        if built.alarm:
            raise typer.Exit(1)
