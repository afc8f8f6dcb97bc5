"""`catdetector monitor report | watch | migrate` (and `compare`, in monitor_compare)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from catdetector.cli._common import LogDbOpt, console, console_err, print_json

if TYPE_CHECKING:
    from catdetector.core.config import MonitorParams
    from catdetector.monitor.store import Store
    from catdetector.monitor.watch import Check

ParamsOpt = Annotated[
    Path | None,
    typer.Option(
        "--params", help="params.yaml with the monitor thresholds (default: ./params.yaml if any)"
    ),
]

monitor_app = typer.Typer(
    name="monitor",
    help="Report on what is served; watch a stage and roll back on alarm; upgrade the log.",
    no_args_is_help=True,
)


def _open_log(url: str | None) -> Store:
    """The prediction log, read-only: --log-db, else $CATDETECTOR_LOG_DB, else the default."""
    from catdetector.core.config import log_db_url
    from catdetector.monitor.schema import open_read

    return open_read(log_db_url(url))


def _params(path: Path | None, root: Path | None = None) -> MonitorParams:
    """The monitor section of ``path``, else of ROOT/params.yaml if any, else the defaults."""
    from catdetector.core.config import MonitorParams, load_params

    if path is None:
        path = (root or Path.cwd()) / "params.yaml"
        if not path.is_file():
            return MonitorParams()
    return load_params(path).monitor


def _render_version(v: dict[str, Any]) -> None:
    lat, fb, atc = v["latency_ms"], v["feedback"], v["atc"]
    head = "[red]ALARM[/red]" if v["alarm"] else "[green]ok[/green]"
    p50 = f"{lat['p50']:.1f}" if lat["p50"] is not None else "-"
    p99 = f"{lat['p99']:.1f}" if lat["p99"] is not None else "-"
    console.print(
        f"{head} {v['version']}: {v['requests']} requests, error rate {v['error_rate']:.1%}, "
        f"latency p50 {p50} ms p99 {p99} ms"
    )
    if fb["n"]:
        console.print(f"  accuracy on {fb['n']} labelled: {fb['accuracy']:.3f}")
    if atc and atc.get("no_estimate"):
        console.print(f"  ATC accuracy: {atc['no_estimate']}")
    elif atc and atc["estimated_accuracy"] is not None:
        console.print(
            f"  ATC-estimated accuracy {atc['estimated_accuracy']:.3f} "
            f"(test accuracy {atc['test_accuracy']:.3f})"
        )
    for d in [*v["drift"], *([v["prediction_drift"]] if v["prediction_drift"] else [])]:
        flag = {True: "[red]drift[/red]", False: "ok", None: "-"}[d["drifted"]]
        psi = f"{d['psi']:.3f}" if d["psi"] is not None else "-"
        p = f"{d['ks_p']:.2g}" if d["ks_p"] is not None else "-"
        console.print(f"  {d['name']:<12} PSI {psi:>7}  KS p {p:>8}  {flag}")
    for note in v["notes"]:
        console.print(f"  [dim]{note}[/dim]")
    for alarm in v["alarms"]:
        console.print(f"  [red]alarm:[/red] {alarm}")


def register(app: typer.Typer) -> None:
    """Attach the monitor commands."""
    from catdetector.cli.monitor_compare import attach

    if not any(c.name == "compare" for c in monitor_app.registered_commands):
        attach(monitor_app)
    app.add_typer(monitor_app, name="monitor")


@monitor_app.command("report")
def report_cmd(
    log_db: LogDbOpt = None,
    since: Annotated[
        str | None, typer.Option(help="only predictions from then: ISO time or look-back (2h)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per version")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="also write a self-contained HTML report here")
    ] = None,
    params: ParamsOpt = None,
) -> None:
    """Per model version: traffic, latency, confidence, accuracy, ATC estimate, drift.

    Exits 1 when drift or accuracy crosses a threshold of params.yaml's monitor section.
    """
    from catdetector.monitor.window import parse_since

    thresholds = _params(params)
    when = parse_since(since) if since else None
    db = _open_log(log_db)
    try:
        from catdetector.monitor import report  # scipy: only once the arguments are good

        built = report.build(db, thresholds, since=when)
    finally:
        db.close()
    data = built.to_dict()
    if html is not None:
        from catdetector.core.fsutil import write_bytes
        from catdetector.monitor import html as html_report

        write_bytes(html, html_report.render(data).encode())
    if json_out:  # one object per version, each naming the window it counts
        print_json([{**v, "window": data["window"]} for v in data["versions"]])
    else:
        console.print(f"window: {data['window']}")
        if not data["versions"]:
            console.print("no predictions logged" + (f" since {data['since']}" if since else ""))
        for v in data["versions"]:
            _render_version(v)
        if html is not None:
            console.print(f"HTML report: {html}")
    if built.alarm:
        raise typer.Exit(1)


@monitor_app.command("watch")
def watch_cmd(
    stage: Annotated[str, typer.Option(help="stage to watch")] = "prod",
    every: Annotated[str, typer.Option(help="time between checks, e.g. 30s, 5m, 1h")] = "5m",
    rollback_on_alarm: Annotated[
        bool, typer.Option(help="roll the stage back (and push) after --checks alarms in a row")
    ] = False,
    checks: Annotated[int, typer.Option(help="alarms in a row that trigger the rollback")] = 3,
    max_checks: Annotated[
        int | None, typer.Option(help="stop after this many checks (default: run until Ctrl-C)")
    ] = None,
    window: Annotated[
        str | None,
        typer.Option(
            help="only predictions this recent, e.g. 1h (default: all "
            "since the version entered the stage)"
        ),
    ] = None,
    registry: Annotated[
        Path | None, typer.Option(help="clone of the registry repository (default: here)")
    ] = None,
    log_db: LogDbOpt = None,
    params: ParamsOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON line per check")] = False,
    promote_on_pass: Annotated[
        bool,
        typer.Option(help="promote a shadow or canary that passes to STAGE, clear its role"),
    ] = False,
    abort_on_fail: Annotated[
        bool, typer.Option(help="clear the role of a shadow or canary that fails (reason in tag)")
    ] = False,
    candidate: Annotated[
        str | None, typer.Option(help="the candidate's role: shadow or canary (default: both)")
    ] = None,
    min_requests: Annotated[
        int, typer.Option(help="candidate records needed before any decision")
    ] = 100,
    min_agreement: Annotated[
        float,
        typer.Option(
            help="shadow: lower end of the agreement interval to pass; canary: fails when"
            " its label shares rule this agreement out (docs/progressive-delivery.md)"
        ),
    ] = 0.9,
    max_error_rate: Annotated[float, typer.Option(help="candidate error rate to pass")] = 0.05,
    min_labelled: Annotated[
        int, typer.Option(help="labelled candidate requests needed to pass")
    ] = 0,
    max_accuracy_drop: Annotated[
        float, typer.Option(help="labelled accuracy this far below the primary's fails")
    ] = 0.05,
) -> None:
    """Check the version in STAGE on a schedule; alert, or roll back on a lasting alarm.

    With --promote-on-pass / --abort-on-fail it also judges the version in the
    shadow or canary role against the primary (`monitor compare`) and promotes it
    to STAGE or clears its role, through the registry as the CLI does, and pushes.
    The exit code is that of the last check: 1 when it crossed a threshold.
    """
    import json

    from catdetector.core.errors import UsageError
    from catdetector.monitor.window import parse_duration

    interval = parse_duration(every)
    span = parse_duration(window) if window else None
    root = (registry or Path.cwd()).resolve()
    thresholds = _params(params, root)
    if max_checks is not None and max_checks < 1:
        raise UsageError(f"--max-checks must be at least 1 (got {max_checks})")
    db = _open_log(log_db)

    def show(check: Check) -> None:
        if json_out:
            print(json.dumps(check.to_dict()), flush=True)
            return
        if check.error:
            console_err.print(f"[yellow]{check.at} check failed:[/yellow] {check.error}")
        elif check.alarm:
            console.print(
                f"{check.at} [red]ALARM[/red] {stage} {check.version} "
                f"({check.streak}/{checks} in a row, {check.requests} requests): "
                + "; ".join(check.alarms)
            )
        else:
            console.print(f"{check.at} ok {stage} {check.version} ({check.requests} requests)")
        if check.window:
            console.print(f"  window: {check.window}", soft_wrap=True)
        for d in check.decisions:
            done = f" -> {d.action} ({', '.join(d.tags)})" if d.action else ""
            console.print(
                f"{check.at} {d.stage} {d.version}: {d.outcome}{done}: " + "; ".join(d.reasons),
                soft_wrap=True,
            )
            if d.error:
                console_err.print(f"[yellow]{d.stage} {d.version}: not done:[/yellow] {d.error}")
        if check.rolled_back_to:
            console.print(
                f"{check.at} [yellow]rolled back[/yellow] {stage}: {check.version} -> "
                f"{check.rolled_back_to} (tag {check.rollback_tag}"
                + (", pushed)" if check.pushed else ", not pushed: no origin)")
            )

    try:
        from catdetector.monitor.decide import Bounds  # scipy: once the arguments are good
        from catdetector.monitor.watch import Watcher, watch

        watcher = Watcher(
            db,
            root,
            stage,
            thresholds,
            checks=checks,
            rollback=rollback_on_alarm,
            window=span,
            promote_on_pass=promote_on_pass,
            abort_on_fail=abort_on_fail,
            bounds=Bounds(
                min_requests, min_agreement, max_error_rate, min_labelled, max_accuracy_drop
            ),
            candidate=candidate,
        )
        last = watch(watcher, interval, max_checks, show)
    finally:
        db.close()
    if last is not None and (last.alarm or last.error):
        raise typer.Exit(1)


@monitor_app.command("migrate")
def migrate_cmd(
    log_db: LogDbOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Create the prediction log, or upgrade its schema to this catdetector's revision.

    The only command besides the server that writes the schema; report, watch,
    feedback export and the dashboard only read.
    """
    from catdetector.core.config import log_db_url
    from catdetector.monitor import schema
    from catdetector.monitor.store import redacted

    location = log_db_url(log_db)
    before, after = schema.migrate(location)
    shown = redacted(location) if "://" in location else location
    if json_out:
        print_json({"log_db": shown, "from": before, "to": after})
    elif before == after:
        console.print(f"prediction log {shown}: schema at revision {after} already")
    else:
        console.print(
            f"prediction log {shown}: schema "
            + (f"upgraded {before} -> {after}" if before else f"created at revision {after}")
        )
