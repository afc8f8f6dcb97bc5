"""Watch the version in a stage: the report on a schedule, and rollback on a lasting alarm.

Each check reads the registry (after fetching the tags of ``origin``), finds the
version the stage holds and when it was put there, and builds the report of the
predictions that version served since then. A threshold crossed in ``checks``
checks in a row rolls the stage back through :func:`catdetector.registry.api.rollback`
(the same as ``catdetector rollback``, the alarm in the tag message) and pushes the
tag, so every server that follows the registry goes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from catdetector.core import layout, tools
from catdetector.core.config import MonitorParams
from catdetector.core.errors import CatDetectorError, RegistryError, RemoteError, UsageError
from catdetector.monitor import compare, report
from catdetector.monitor.decide import Bounds, Decision, act, verdict
from catdetector.monitor.store import Store
from catdetector.registry import api as registry
from catdetector.registry.state import ROLE_STAGES, RegistryState, read_state
from catdetector.registry.tags import local_tags

log = logging.getLogger("catdetector.monitor.watch")


@dataclass
class Check:
    """The outcome of one check."""

    at: str
    stage: str
    version: str | None
    alarms: list[str]
    streak: int
    requests: int = 0
    since: str | None = None
    window: str = ""
    rolled_back_to: str | None = None
    rollback_tag: str | None = None
    pushed: bool = False
    error: str | None = None
    report: dict[str, Any] | None = field(default=None, repr=False)
    decisions: list[Decision] = field(default_factory=list)  # on the shadow or canary

    @property
    def alarm(self) -> bool:
        """True when this check crossed a threshold."""
        return bool(self.alarms)

    def to_dict(self) -> dict[str, Any]:
        """JSON view (without the full report)."""
        return {
            "at": self.at,
            "stage": self.stage,
            "version": self.version,
            "alarm": self.alarm,
            "alarms": self.alarms,
            "streak": self.streak,
            "requests": self.requests,
            "since": self.since,
            "window": self.window,
            "rolled_back_to": self.rolled_back_to,
            "rollback_tag": self.rollback_tag,
            "pushed": self.pushed,
            "error": self.error,
            "decisions": [d.to_dict() for d in self.decisions],
        }


def _has_origin(root: Path) -> bool:
    return "origin" in tools.git("remote", cwd=root, check=False).split()


def fetch_tags(root: Path) -> None:
    """Bring the stage tags of ``origin`` (someone may have promoted meanwhile).

    Never forced: a local tag that differs from origin's tag of the same name is kept,
    and the check fails naming it (a registry write refuses such a clone too), rather
    than deciding from a history that was silently rewritten.
    """
    if not _has_origin(root):
        return
    proc = tools.run(["git", "fetch", "-q", "--tags", "origin"], root, check=False, timeout=120)
    if proc.returncode == 0:
        return
    diverged = _diverged_tags(root)
    if diverged:
        names = " ".join(diverged)
        raise RegistryError(
            f"tags here differ from origin's tags of the same name: {', '.join(diverged)};"
            " the watch does not overwrite them",
            hint=f"they never reached origin: delete them with `git tag -d {names}`"
            " (the next check fetches origin's), or push them if origin is wrong",
        )
    raise RemoteError(f"cannot fetch the tags of origin: {tools.failure_text(proc)}")


def _diverged_tags(root: Path) -> list[str]:
    """Local tags whose object differs from origin's tag of the same name (ls-remote)."""
    proc = tools.run(["git", "ls-remote", "--tags", "origin"], root, check=False, timeout=120)
    if proc.returncode != 0:
        return []
    theirs = {}
    for line in proc.stdout.splitlines():
        obj, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            theirs[ref.removeprefix("refs/tags/")] = obj
    return sorted(t.name for t in local_tags(root) if theirs.get(t.name, t.obj) != t.obj)


def stage_entry(state: RegistryState, stage: str) -> tuple[str | None, datetime | None]:
    """The version in ``stage`` and the time of the assignment that put it there."""
    version = state.stage_version(stage)
    when = None
    for event in state.events:
        if event.stage == stage and event.version == version and not event.unassign:
            when = datetime.fromtimestamp(event.created, UTC) if event.created else None
    return version, when


class Watcher:
    """Checks the version in one stage; rolls back after ``checks`` alarms in a row."""

    def __init__(
        self,
        store: Store,
        root: Path,
        stage: str,
        params: MonitorParams,
        *,
        checks: int = 3,
        rollback: bool = False,
        window: float | None = None,
        promote_on_pass: bool = False,
        abort_on_fail: bool = False,
        bounds: Bounds | None = None,
        candidate: str | None = None,
    ) -> None:
        if checks < 1:
            raise UsageError(f"--checks must be at least 1 (got {checks})")
        found = layout.find_root(root)
        if found is None:
            raise RegistryError(
                f"{root} is not inside a catdetector project",
                hint="run in a clone of the registry repository, or pass --registry PATH",
            )
        self.store = store
        self.root = found
        self.stage = stage
        self.params = params
        self.checks = checks
        self.rollback = rollback
        self.window = window
        self.promote_on_pass = promote_on_pass
        self.abort_on_fail = abort_on_fail
        self.bounds = bounds or Bounds()
        if candidate is not None and candidate not in ROLE_STAGES:
            raise UsageError(f"--candidate takes {' or '.join(ROLE_STAGES)} (got {candidate!r})")
        self.candidates = [candidate] if candidate else list(ROLE_STAGES)
        self._streak: tuple[str | None, int] = (None, 0)

    def check_once(self) -> Check:
        """One check: the report of the version in the stage, and a rollback when due."""
        now = datetime.now(UTC)
        at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        fetch_tags(self.root)
        version, since = stage_entry(read_state(self.root), self.stage)
        if version is None:
            self._streak = (None, 0)
            return Check(at, self.stage, None, [], 0, error=f"no version is in {self.stage}")
        window = f"since {self.stage} got {version}"
        if self.window is not None:
            recent = now - timedelta(seconds=self.window)
            if since is None or recent > since:
                window = f"in the last {self.window:g} s (--window)"
            since = max(since, recent) if since else recent
        if since is not None:  # whole seconds: what `monitor report --since` can be given
            since = since.replace(microsecond=0)
        built = report.build(self.store, self.params, since=since, versions=[version])
        found = built.versions[0]
        window = (
            f"{built.window} of {version} ({window}; "
            f"`monitor report --since {built.since}` counts the same)"
        )
        last, count = self._streak
        streak = (count + 1 if last == version else 1) if found.alarm else 0
        self._streak = (version, streak)
        check = Check(
            at,
            self.stage,
            version,
            found.alarms,
            streak,
            found.requests,
            since=built.since,
            window=window,
            report=found.to_dict(),
        )
        if found.alarm:
            log.warning(
                "%s %s: alarm %d/%d: %s",
                self.stage,
                version,
                streak,
                self.checks,
                "; ".join(found.alarms),
            )
        if self.promote_on_pass or self.abort_on_fail:
            check.decisions = self.decide(found.alarm)
        if found.alarm and self.rollback and streak >= self.checks:
            reason = f"monitor watch: {streak} checks in a row crossed a threshold: " + "; ".join(
                found.alarms
            )
            done = registry.rollback(
                self.root, self.stage, push=_has_origin(self.root), reason=reason
            )
            check.rolled_back_to, check.rollback_tag = done.version, done.tag
            check.pushed = done.pushed
            self._streak = (None, 0)
            log.warning(
                "%s rolled back: %s -> %s (%s)", self.stage, version, done.version, done.tag
            )
        return check


    def decide(self, primary_alarm: bool) -> list[Decision]:
        """The verdict on each candidate in a role stage, acted on when due.

        A candidate is not promoted while the primary itself is in alarm: the
        comparison would be against a primary that is not trusted either.
        """
        state = read_state(self.root)
        out: list[Decision] = []
        for stage in self.candidates:
            version, since = stage_entry(state, stage)
            if version is None:
                continue
            if since is not None:
                since = since.replace(microsecond=0)
            built = compare.build(
                self.store, self.params, since=since, stage=stage, version=version
            )
            found = built.comparisons[0] if built.comparisons else None
            outcome, reasons = verdict(found, self.bounds)
            requests = int(found.sides["candidate"]["requests"]) if found else 0
            decision = Decision(stage, version, outcome, reasons, requests)
            if outcome == "pass" and primary_alarm:
                decision.outcome = "wait"
                decision.reasons = ["the primary is in alarm: no promotion", *reasons]
            act(
                decision,
                self.root,
                self.stage,
                promote=self.promote_on_pass,
                abort=self.abort_on_fail,
                push=_has_origin(self.root),
            )
            if decision.action:
                log.warning(
                    "%s %s %s: %s", stage, version, decision.action, "; ".join(decision.reasons)
                )
            out.append(decision)
        return out


def watch(
    watcher: Watcher,
    every: float,
    max_checks: int | None = None,
    on_check: Callable[[Check], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Check | None:
    """Check every ``every`` seconds (``max_checks`` times, or until interrupted); the last.

    A check that fails (the database or the registry unreachable) is reported and
    the watch goes on; only a usage error stops it.
    """
    last: Check | None = None
    done = 0
    while max_checks is None or done < max_checks:
        started = time.monotonic()
        try:
            last = watcher.check_once()
        except UsageError:
            raise
        except CatDetectorError as exc:
            at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            last = Check(at, watcher.stage, None, [], 0, error=str(exc))
        done += 1
        if on_check is not None:
            on_check(last)
        if max_checks is not None and done >= max_checks:
            break
        sleep(max(0.0, every - (time.monotonic() - started)))
    return last
