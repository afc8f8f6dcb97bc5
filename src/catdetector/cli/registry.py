"""`catdetector register | promote | unassign | gate | rollback | deprecate | show | history`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from catdetector.cli._common import console, console_err, print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
PushOpt = Annotated[
    bool | None,
    typer.Option(
        "--push/--no-push",
        help="push the new tag to origin atomically [default: push when origin exists]",
        show_default=False,
    ),
]
StageOpt = Annotated[str, typer.Option("--stage", help="stage name, e.g. prod")]
ArtifactOpt = Annotated[
    str | None,
    typer.Option(
        "--artifact",
        help="a GTO artifact that dvc.yaml declares, e.g. an adopted model.h5"
        " [default: catdetector's own model]",
        show_default=False,
    ),
]


def _local_only(tag: str, pushed: bool, offline: str | None) -> None:
    """Say that a tag made here only is invisible to servers that follow the remote."""
    if offline:
        console_err.print(f"[yellow]origin could not be read[/yellow] ({offline})")
    if not pushed:
        console_err.print(
            f"[yellow]not pushed[/yellow]: {tag} is in this clone only; a server that follows"
            f" the remote registry will not see it until you run `git push origin {tag}`",
            soft_wrap=True,
        )


def _report(
    data: dict[str, Any], json_out: bool, line: str, tag: str, pushed: bool, offline: str | None
) -> None:
    """Print the result (JSON, or ``line``), then say when the tag is in this clone only."""
    if json_out:
        print_json(data)
    else:
        console.print(line)
    _local_only(tag, pushed, offline)


def _pushed(pushed: bool) -> str:
    return ", pushed" if pushed else ""


def register(app: typer.Typer) -> None:
    """Attach the registry commands."""

    @app.command("register")
    def register_cmd(
        bump: Annotated[
            str | None, typer.Option(help="major, minor or patch (default: patch)")
        ] = None,
        push: PushOpt = None,
        artifact: ArtifactOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Register HEAD's model as a new version (clean workspace, model in the DVC remote)."""
        from catdetector.core.errors import UsageError
        from catdetector.registry.api import register as do_register

        if bump not in (None, "major", "minor", "patch"):
            raise UsageError(f"--bump must be major, minor or patch (got {bump!r})")
        result = do_register(Path.cwd(), bump, push, artifact)  # type: ignore[arg-type]
        line = (
            f"[green]registered[/green] {result.version}"
            f" at {result.commit[:10]} (tag {result.tag}{_pushed(result.pushed)})"
        )
        _report(result.__dict__, json_out, line, result.tag, result.pushed, result.offline)

    @app.command("promote")
    def promote_cmd(
        version: Annotated[str, typer.Argument(help="version to promote, e.g. v0.1.0")],
        stage: StageOpt,
        force: Annotated[bool, typer.Option(help="override a refusing gate")] = False,
        reason: Annotated[
            str | None, typer.Option(help="why you force it (kept in the tag message)")
        ] = None,
        push: PushOpt = None,
        artifact: ArtifactOpt = None,
        share: Annotated[
            int | None,
            typer.Option(
                help="canary only: percent of requests the canary answers (1..100), "
                "recorded in the registry so every replica splits alike"
            ),
        ] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Assign VERSION to STAGE after the promotion gate (a canary with its --share; the
        metric gate is for catdetector's own model; an adopted artifact's file must be in
        the DVC remote)."""
        from catdetector.core import layout
        from catdetector.registry.api import promote

        result = promote(Path.cwd(), version, stage, force, reason, push, artifact, share)
        gate = result.gate
        if not json_out and gate is not None and artifact not in (None, layout.ARTIFACT):
            console.print(f"[cyan]gate[/cyan]: {gate.checked}", soft_wrap=True)
        if not json_out and result.forced and gate is not None:
            console.print(f"[yellow]gate overridden[/yellow]: {'; '.join(gate.reasons)}")
        line = (
            f"[green]promoted[/green] {result.version} to {result.stage}"
            f"{f' with share {result.share}%' if result.share else ''}"
            f" (was {result.previous or 'empty'}; tag {result.tag}{_pushed(result.pushed)})"
        )
        _report(result.to_dict(), json_out, line, result.tag, result.pushed, result.offline)

    @app.command("unassign")
    def unassign_cmd(
        stage: StageOpt,
        reason: Annotated[str | None, typer.Option(help="why (kept in the tag message)")] = None,
        push: PushOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Clear the role STAGE (shadow or canary): servers stop using its version."""
        from catdetector.registry.api import clear_role

        result = clear_role(Path.cwd(), stage, reason, push)
        line = (
            f"[green]cleared[/green] {stage} (held {result.version}; tag {result.tag}"
            f"{_pushed(result.pushed)})"
        )
        _report(result.to_dict(), json_out, line, result.tag, result.pushed, result.offline)

    @app.command("gate")
    def gate_cmd(stage: StageOpt = "prod", json_out: JsonOpt = False) -> None:
        """Run the promotion gate on the workspace model (for CI); exit 9 when it refuses."""
        from catdetector.core.errors import GateError
        from catdetector.registry.gate import gate_workspace

        result = gate_workspace(Path.cwd(), stage)
        if json_out:
            print_json(result.__dict__)
        elif result.passed:
            console.print(
                f"[green]gate passed[/green] for {stage}: accuracy {result.candidate_accuracy:.3f}"
                f" (dummy {result.dummy_accuracy:.3f};"
                f" {stage} holds {result.current_version or 'nothing'})"
            )
        if not result.passed:
            raise GateError("the gate refuses the workspace model: " + "; ".join(result.reasons))

    @app.command("rollback")
    def rollback_cmd(
        stage: StageOpt,
        push: PushOpt = None,
        artifact: ArtifactOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Put back the version that held STAGE before the current one."""
        from catdetector.registry.api import rollback

        result = rollback(Path.cwd(), stage, push, artifact_name=artifact)
        line = (
            f"[green]rolled back[/green] {stage}: {result.previous} -> {result.version}"
            f" (tag {result.tag}{_pushed(result.pushed)})"
        )
        _report(result.to_dict(), json_out, line, result.tag, result.pushed, result.offline)

    @app.command("deprecate")
    def deprecate_cmd(
        version: Annotated[str, typer.Argument(help="version to deregister, e.g. v0.1.0")],
        push: PushOpt = None,
        artifact: ArtifactOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Deregister VERSION (GTO's deprecate); refused while a stage holds it."""
        from catdetector.registry.api import deprecate

        result = deprecate(Path.cwd(), version, push, artifact)
        line = (
            f"[green]deprecated[/green] {result.version} (tag {result.tag}{_pushed(result.pushed)})"
        )
        _report(result.to_dict(), json_out, line, result.tag, result.pushed, result.offline)

    @app.command("show")
    def show_cmd(artifact: ArtifactOpt = None, json_out: JsonOpt = False) -> None:
        """Versions and what each stage holds (agrees with `gto show`)."""
        from rich.table import Table

        from catdetector.registry.api import show

        state = show(Path.cwd(), artifact)
        data = state.to_dict()
        if json_out:
            print_json(data)
            return
        table = Table(title=f"{data['artifact']} (latest {data['latest'] or '-'})")
        for col in ("version", "commit", "stages"):
            table.add_column(col)
        for v in data["versions"]:
            table.add_row(v["version"], v["commit"][:10], ", ".join(v["stages"]))
        console.print(table)
        share = data["roles"]["canary"]["share"]
        if data["roles"]["canary"]["version"] is not None:
            console.print(f"canary share: {f'{share}%' if share else 'not recorded (0%)'}")

    @app.command("history")
    def history_cmd(artifact: ArtifactOpt = None, json_out: JsonOpt = False) -> None:
        """Every registration, promotion and rollback, oldest first."""
        from rich.table import Table

        from catdetector.registry.api import history

        events = history(Path.cwd(), artifact)
        if json_out:
            print_json(events)
            return
        table = Table(title=f"registry history{f' of {artifact}' if artifact else ''}")
        for col in ("time (UTC)", "event", "version", "stage", "tag", "message"):
            table.add_column(col)
        for e in events:
            when = dt.datetime.fromtimestamp(e["created"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            table.add_row(
                when, e["kind"], e["version"] or "?", e["stage"] or "", e["tag"], e["message"]
            )
        console.print(table)
