"""The registry state of one artifact, built from its tags by GTO's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catdetector.core import layout
from catdetector.formats import gto
from catdetector.registry.tags import Tag, local_tags

ROLLBACK_MARK = "catdetector rollback"
PRIMARY = "prod"
SHADOW = "shadow"  # gets a copy of live requests, never answers
CANARY = "canary"  # answers a share of requests, recorded in its assignment tag
ROLE_STAGES = (SHADOW, CANARY)


@dataclass(frozen=True)
class Assignment:
    """One stage event (assign or unassign), ordered by ``counter``."""

    stage: str
    version: str | None
    commit: str
    counter: int
    tag: str
    unassign: bool = False
    message: str = ""
    created: int = 0


@dataclass
class RegistryState:
    """Versions and stages of one artifact, read from tags."""

    artifact: str
    versions: dict[str, str] = field(default_factory=dict)  # version -> commit
    deregistered: set[str] = field(default_factory=set)
    events: list[Assignment] = field(default_factory=list)  # ascending counter
    counter: int = 0  # highest #N of the artifact's tags (the next assignment gets N + 1)

    def live(self) -> list[str]:
        """Registered versions not deregistered, in SemVer order."""
        return sorted((v for v in self.versions if v not in self.deregistered), key=gto.version_key)

    def stage_version(self, stage: str) -> str | None:
        """The version in ``stage`` now: GTO's rule, newest active assignment wins."""
        event = self.assignment(stage)
        return event.version if event is not None else None

    def assignment(self, stage: str) -> Assignment | None:
        """The assignment that puts the current version in ``stage`` (None: empty)."""
        active: dict[str, Assignment] = {}
        for event in self.events:
            if event.stage != stage or event.version is None:
                continue
            if event.unassign:
                active.pop(event.version, None)
            else:
                active[event.version] = event
        return max(active.values(), key=lambda e: e.counter) if active else None

    def roles(self, primary: str = PRIMARY) -> dict[str, dict[str, Any]]:
        """Version and share of ``primary``, shadow and canary (messages read from the tags).

        The canary's share is the one its assignment tag records (None when the tag has
        none, e.g. a plain ``gto assign``, or when the tag's message was not read).
        """
        out: dict[str, dict[str, Any]] = {}
        for stage in (primary, *ROLE_STAGES):
            event = self.assignment(stage)
            share = gto.share_of(event.message) if event is not None else None
            out[stage] = {
                "version": event.version if event is not None else None,
                "share": share if stage == CANARY else None,
                "tag": event.tag if event is not None else None,
            }
        return out

    def stages(self) -> dict[str, str]:
        """Every stage that holds a version, with that version."""
        names = sorted({e.stage for e in self.events})
        return {s: v for s in names if (v := self.stage_version(s)) is not None}

    def latest(self) -> str | None:
        """Highest registered version by SemVer (GTO's order)."""
        live = self.live()
        return live[-1] if live else None

    def rollback_stack(self, stage: str) -> list[str]:
        """Versions the stage went through, each rollback popping the one it undid."""
        stack: list[str] = []
        for event in self.events:
            if event.stage != stage or event.version is None:
                continue
            if event.unassign:
                stack = [v for v in stack if v != event.version]
            elif event.message.startswith(ROLLBACK_MARK) and len(stack) >= 2:
                stack.pop()
            elif not stack or stack[-1] != event.version:
                stack.append(event.version)
        return stack

    def newest_time(self) -> int:
        """Tagger time of the newest stage event (0 when there is none)."""
        return max((e.created for e in self.events), default=0)

    def to_dict(self) -> dict[str, Any]:
        """JSON view, in the shape of ``gto show --json`` plus commits and events."""
        stages = self.stages()
        return {
            "artifact": self.artifact,
            "latest": self.latest(),
            "stages": stages,
            "roles": self.roles(),
            "versions": [
                {
                    "version": v,
                    "commit": self.versions[v],
                    "stages": [s for s, sv in stages.items() if sv == v],
                }
                for v in self.live()
            ],
        }


def build_state(tags: list[Tag], artifact: str = layout.ARTIFACT) -> RegistryState:
    """Registry state from tags (from ``git for-each-ref`` or ``git ls-remote``)."""
    state = RegistryState(artifact)
    by_commit: dict[str, str] = {}
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") != artifact:
            continue
        state.counter = max(state.counter, parsed.get("counter", 0))
        if "stage" in parsed or "version" not in parsed:
            continue
        if parsed.get("action") == "deregister":
            state.deregistered.add(parsed["version"])
        else:
            state.versions[parsed["version"]] = tag.commit
            by_commit[tag.commit] = parsed["version"]
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") != artifact or "stage" not in parsed:
            continue
        state.events.append(
            Assignment(
                stage=parsed["stage"],
                version=by_commit.get(tag.commit),
                commit=tag.commit,
                counter=int(parsed.get("counter", 0)),
                tag=tag.name,
                unassign=parsed.get("action") == "unassign",
                message=tag.message.strip(),
                created=tag.created,
            )
        )
    state.events.sort(key=lambda e: e.counter)
    return state


def read_state(root: Path, artifact: str = layout.ARTIFACT) -> RegistryState:
    """State of the local repository."""
    return build_state(local_tags(root), artifact)
