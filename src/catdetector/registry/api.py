"""The registry commands: register, promote (gated), rollback, deprecate, show, history.

Tags are exactly the ones ``gto register``/``assign``/``deprecate`` create (annotated,
same names and messages, same ``#N`` counter rule), written by GTO's own tag writer;
plain ``gto show`` agrees after every operation. In a clone with a remote, every write
reads the remote's tags first, decides from the remote's history and pushes atomically
(see :mod:`catdetector.registry.gitops`); a lost race leaves the clone as it was.
Assignments are ordered by the ``#N`` counter and each is made in a later second than
the previous one, so GTO's timestamp order and the counter order never disagree.

Every command takes an ``artifact``: catdetector's own (the default) or any other that
the root ``dvc.yaml`` declares, e.g. a team's ``model.h5`` adopted by ``init --here``
(see :mod:`catdetector.registry.artifact`); an adopted artifact has no metric gate.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from catdetector.core import layout, tools
from catdetector.core.errors import GateError, RegistryError, UsageError
from catdetector.formats import gto
from catdetector.registry import artifact, gitops, stages
from catdetector.registry.artifact import Artifact
from catdetector.registry.gate import GateResult, adopted_gate, gate
from catdetector.registry.state import (
    ROLE_STAGES,
    ROLLBACK_MARK,
    RegistryState,
    build_state,
    read_state,
)
from catdetector.registry.tags import local_tags


def require_root(root: Path) -> Path:
    """The project that ``root`` is in (RegistryError outside one)."""
    found = layout.find_root(root)
    if found is None:
        raise RegistryError(f"{root} is not inside a catdetector project")
    return found


def show(root: Path, artifact_name: str | None = None) -> RegistryState:
    """State of an artifact (default: catdetector's) from this clone's tags."""
    root = require_root(root)
    return read_state(root, artifact.resolve(root, artifact_name).name)


@dataclass
class Registered:
    """Result of register."""

    version: str
    commit: str
    tag: str
    pushed: bool
    offline: str | None = None  # why the remote could not be read (--no-push only)


@dataclass
class Promoted:
    """Result of promote, rollback or deprecate."""

    version: str
    stage: str | None
    tag: str
    previous: str | None
    gate: GateResult | None
    forced: bool
    pushed: bool
    offline: str | None = None
    share: int | None = None  # the canary's share of requests (percent)

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _version_name(version: str) -> str:
    return version if version.startswith("v") else f"v{version}"


def _require_version(state: RegistryState, version: str) -> None:
    if version not in state.versions or version in state.deregistered:
        known = ", ".join(state.live()) or "none"
        raise RegistryError(f"version {version} is not registered (registered: {known})")


def _finish(write: gitops.Write, retry: str) -> None:
    """Publish the write's tags; on any failure remove them, leaving the clone as it was."""
    try:
        write.publish(retry)
    except BaseException:
        write.undo()
        raise


def _head_model(root: Path, art: Artifact) -> tuple[str, str]:
    """HEAD and the md5 of ``art``'s model there (recorded, and what the workspace holds)."""
    head = tools.head_commit(root)
    md5 = artifact.md5_at(root, art, "HEAD") if head is not None else None
    if head is None or md5 is None:
        if art.own:
            raise RegistryError(
                "HEAD's dvc.lock holds no model", hint="run `dvc repro` and commit dvc.lock"
            )
        raise RegistryError(
            f"HEAD does not track {art.path} (artifact {art.name}) with DVC",
            hint=f"run `dvc add {art.path}` and commit {art.dvcfile}",
        )
    if not artifact.workspace_matches(root, md5, art):
        if art.own:
            raise RegistryError(
                f"the workspace model does not match dvc.lock ({layout.MODEL_DIR} differs)",
                hint="run `dvc repro` (or `dvc checkout`) and commit",
            )
        raise RegistryError(
            f"the workspace {art.path} does not match what HEAD records for it",
            hint=f"run `dvc add {art.path}` and commit {art.dvcfile} (or `dvc checkout`)",
        )
    return head, md5


def _require_in_remote(root: Path, art: Artifact, md5: str) -> None:
    if not artifact.in_remote(root, md5, art):
        raise RegistryError(
            f"{art.path if not art.own else 'the model'} is not in the DVC remote:"
            " nobody else could fetch this version",
            hint="run `dvc push` first",
        )


def register(
    root: Path,
    bump: gto.Bump | None = None,
    push: bool | None = None,
    artifact_name: str | None = None,
) -> Registered:
    """Tag HEAD (clean, model recorded and in the DVC remote) as a new version of an
    artifact (default: catdetector's)."""
    root = require_root(root)
    art = artifact.resolve(root, artifact_name)
    status = tools.run(["git", "status", "--porcelain"], root).stdout.strip()
    if status:
        first = status.splitlines()[0].strip()
        raise RegistryError(
            f"the workspace has uncommitted changes ({first}, ...)",
            hint="commit them first, so the version names exactly what was trained",
        )
    head, md5 = _head_model(root, art)
    gitops.tagger(root)
    write = gitops.begin(root, push, art.name)
    state = write.state
    for version, commit in state.versions.items():
        if commit == head and version not in state.deregistered:
            raise RegistryError(f"HEAD is already registered as {version}")
    if not art.own:
        for version in state.live():
            if artifact.md5_at(root, art, state.versions[version]) == md5:
                raise RegistryError(
                    f"{art.path} at HEAD is the same file as {art.name} {version}",
                    hint=f"change the model, `dvc add {art.path}`, commit, then register",
                )
    _require_in_remote(root, art, md5)
    version = gto.next_version(state.latest(), bump)
    tag = write.tag(
        gto.version_tag(art.name, version),
        head,
        gto.register_message(art.name, version),
    )
    _finish(write, "catdetector register" + (f" --bump {bump}" if bump else "") + _flag(art))
    return Registered(version, head, tag, write.push, write.offline)


def _flag(art: Artifact) -> str:
    """The ``--artifact`` option that names ``art`` again in a retry hint."""
    return "" if art.own else f" --artifact {art.name}"


def _assign(write: gitops.Write, version: str, stage: str, message: str, retry: str) -> str:
    write.wait_for_fresh_second()
    name = gto.stage_tag(write.artifact, stage, write.next_counter())
    tag = write.tag(name, write.state.versions[version], message)
    _finish(write, retry)
    return tag


def promote(
    root: Path,
    version: str,
    stage: str,
    force: bool = False,
    reason: str | None = None,
    push: bool | None = None,
    artifact_name: str | None = None,
    share: int | None = None,
) -> Promoted:
    """Assign ``version`` to ``stage`` if the gate passes (or ``force`` with a reason).

    catdetector's bundle meets the metric gate; an adopted artifact the gate of
    :func:`~catdetector.registry.gate.adopted_gate` (its file is in the DVC remote).
    ``share`` (percent of requests, 1..100) is required for the canary stage and
    refused for any other; it is recorded in the assignment tag's message.
    """
    root = require_root(root)
    stages.check_share(stage, share)
    art = artifact.resolve(root, artifact_name)
    stages.check_project(root, stage)
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason TEXT: the reason is kept in the tag")
    version = _version_name(version)
    gitops.tagger(root)
    write = gitops.begin(root, push, art.name)
    state = write.state
    _require_version(state, version)
    current = state.stage_version(stage)
    held = state.assignment(stage)
    if current == version and (held is None or gto.share_of(held.message) == share):
        raise RegistryError(
            f"{version} is already in {stage}" + (f" with share {share}%" if share else "")
        )
    if art.own:
        from catdetector.core.config import load_params

        params = load_params(root / layout.PARAMS)
        verdict = gate(root, state, version, stage, params.gate)
    else:
        verdict = adopted_gate(root, state, version, stage, art)
    if not verdict.passed and not force:
        raise GateError(
            f"the gate refused {version} for {stage}: " + "; ".join(verdict.reasons),
            hint=("fix the model" if art.own else "fix it")
            + ", or override with --force --reason TEXT",
        )
    message = f"catdetector promote {version} to {stage}"
    if force and not verdict.passed:
        message += f": FORCED past the gate ({'; '.join(verdict.reasons)}); reason: {reason}"
    elif force:
        message += f" (force requested; gate passed); reason: {reason}"
    retry = f"catdetector promote {version} --stage {stage}{_flag(art)}"
    if share is not None:
        message = gto.with_share(message + f" (share {share}%)", share)
        retry += f" --share {share}"
    if force:
        retry += f" --force --reason {_quote(reason or '')}"
    tag = _assign(write, version, stage, message, retry)
    forced = force and not verdict.passed
    return Promoted(version, stage, tag, current, verdict, forced, write.push, write.offline, share)


def clear_role(
    root: Path,
    stage: str,
    reason: str | None = None,
    push: bool | None = None,
    decision: gto.DecisionNote | None = None,
) -> Promoted:
    """Take the version out of a role stage (shadow or canary): GTO's unassign tag.

    Servers that follow the registry drop that role at their next poll. The primary
    stage is never cleared this way (a rollback keeps what ``dvc artifacts get`` reads).
    A ``decision`` of ``monitor watch`` gives the reason and trailers; it clears only its version.
    """
    root = require_root(root)
    if stage not in ROLE_STAGES:
        raise UsageError(
            f"only the roles {' and '.join(ROLE_STAGES)} are cleared (got {stage!r}):"
            " the primary stage changes by promote or rollback"
        )
    stages.check_project(root, stage)
    gitops.tagger(root)
    write = gitops.begin(root, push)
    current = write.state.stage_version(stage)
    if current is None:
        raise RegistryError(f"no version is in stage {stage}: nothing to clear")
    if decision is not None and decision.version != current:
        raise RegistryError(f"{stage} holds {current} now, not {decision.version}: not cleared")
    message = f"catdetector unassign {current} from {stage}"
    reason = decision.summary() if decision is not None else reason
    if reason and reason.strip():
        message += f"; reason: {reason.strip()}"
    if decision is not None:
        message = gto.with_decision(message, decision)
    write.wait_for_fresh_second()
    name = gto.stage_tag(layout.ARTIFACT, stage, write.next_counter(), unassign=True)
    tag = write.tag(name, write.state.versions[current], message)
    _finish(write, f"catdetector unassign --stage {stage}")
    return Promoted(current, stage, tag, current, None, False, write.push, write.offline)


def _quote(text: str) -> str:
    return shlex.quote(text)


def rollback(
    root: Path,
    stage: str,
    push: bool | None = None,
    reason: str | None = None,
    artifact_name: str | None = None,
) -> Promoted:
    """Put back the version that held ``stage`` before the current one (``reason`` in the tag).

    With a remote, the history is the remote's: a clone that is behind never decides.
    """
    root = require_root(root)
    art = artifact.resolve(root, artifact_name)
    stages.check_project(root, stage)
    gitops.tagger(root)
    write = gitops.begin(root, push, art.name)
    state = write.state
    current = state.stage_version(stage)
    if current is None:
        raise RegistryError(f"no version is in stage {stage}: nothing to roll back")
    stack = state.rollback_stack(stage)
    if len(stack) < 2:
        raise RegistryError(f"{current} is the first version {stage} ever held: nothing earlier")
    target = stack[-2]
    message = f"{ROLLBACK_MARK}: {stage} from {current} back to {target}"
    if reason and reason.strip():
        message += f"; reason: {reason.strip()}"
    retry = f"catdetector rollback --stage {stage}{_flag(art)}"
    tag = _assign(write, target, stage, message, retry)
    return Promoted(target, stage, tag, current, None, False, write.push, write.offline)


def deprecate(
    root: Path, version: str, push: bool | None = None, artifact_name: str | None = None
) -> Promoted:
    """Deregister ``version`` (GTO's ``name@vX.Y.Z!`` tag); refused while a stage holds it."""
    root = require_root(root)
    art = artifact.resolve(root, artifact_name)
    version = _version_name(version)
    gitops.tagger(root)
    write = gitops.begin(root, push, art.name)
    state = write.state
    _require_version(state, version)
    holding = sorted(s for s, v in state.stages().items() if v == version)
    if holding:
        raise RegistryError(
            f"{version} is in {', '.join(holding)}: deprecating it would empty the stage",
            hint="promote another version to " + " and ".join(holding) + " first",
        )
    tag = write.tag(
        gto.deregister_tag(art.name, version, None),
        state.versions[version],
        gto.deregister_message(art.name, version),
    )
    _finish(write, f"catdetector deprecate {version}{_flag(art)}")
    return Promoted(version, None, tag, None, None, False, write.push, write.offline)


def history(root: Path, artifact_name: str | None = None) -> list[dict[str, Any]]:
    """Every registration, deregistration and stage event of an artifact, oldest first."""
    root = require_root(root)
    name = artifact.resolve(root, artifact_name).name
    tags = local_tags(root)
    state = build_state(tags, name)
    events: list[dict[str, Any]] = []
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") == name and "version" in parsed:
            kind = "deprecate" if parsed.get("action") == "deregister" else "register"
            events.append(
                {
                    "kind": kind,
                    "version": parsed["version"],
                    "stage": None,
                    "commit": tag.commit,
                    "tag": tag.name,
                    "created": tag.created,
                    "message": tag.message.strip(),
                    "counter": parsed.get("counter", 0),
                }
            )
    for e in state.events:
        kind = (
            "unassign"
            if e.unassign
            else ("rollback" if e.message.startswith(ROLLBACK_MARK) else "promote")
        )
        events.append(
            {
                "kind": kind,
                "version": e.version,
                "stage": e.stage,
                "commit": e.commit,
                "tag": e.tag,
                "created": e.created,
                "message": e.message,
                "counter": e.counter,
            }
        )
    events.sort(key=lambda e: (e["created"], e["counter"]))
    return events
