"""Decisions on a candidate (the version in ``shadow`` or ``canary``) from ``monitor compare``.

A candidate **passes** after ``min_requests`` of its records when: it crosses no
threshold of its own (drift against its reference, accuracy), its error rate is at
most ``max_error_rate``, the lower end of its agreement interval with the primary
is at least ``min_agreement`` (shadow only: a canary answered other requests), and
on the labelled requests (at least ``min_labelled``) its accuracy is no more than
``max_accuracy_drop`` below the primary's. It **fails** as soon as the evidence is
clear the other way: an alarm, the upper end of its agreement or accuracy interval
below the bound, or the lower end of its error-rate interval above the bound.
Otherwise it **waits**. Passing promotes it to the primary stage and clears its
role; failing clears its role, the reason in the tag; both through
:mod:`catdetector.registry.api`, as the CLI does, and pushed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from catdetector.core.errors import CatDetectorError
from catdetector.monitor.compare import Comparison

PASS, FAIL, WAIT = "pass", "fail", "wait"


@dataclass(frozen=True)
class Bounds:
    """What a candidate must show before a decision."""

    min_requests: int = 100
    min_agreement: float = 0.9
    max_error_rate: float = 0.05
    min_labelled: int = 0
    max_accuracy_drop: float = 0.05


@dataclass
class Decision:
    """The verdict on one candidate, and what was done about it."""

    stage: str
    version: str
    outcome: str  # pass, fail, wait
    reasons: list[str]
    requests: int = 0
    action: str | None = None  # promoted, aborted
    tags: list[str] = field(default_factory=list)
    pushed: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _ci(p: dict[str, Any] | None) -> str:
    if not p or p.get("rate") is None:
        return "none"
    return f"{p['rate']:.3f} [{p['ci'][0]:.3f}, {p['ci'][1]:.3f}] of {p['n']}"


def verdict(c: Comparison | None, bounds: Bounds) -> tuple[str, list[str]]:
    """PASS, FAIL or WAIT for one comparison, with the reasons in words."""
    if c is None:
        return WAIT, ["no record of the candidate yet"]
    cand = c.sides["candidate"]
    n = int(cand["requests"])
    fails: list[str] = [f"alarm: {a}" for a in cand["alarms"]]
    waits: list[str] = []
    passes: list[str] = []
    err = cand["error"]
    if err["ci"] and err["ci"][0] > bounds.max_error_rate:
        fails.append(f"error rate {_ci(err)} above {bounds.max_error_rate}")
    elif (err["rate"] or 0.0) > bounds.max_error_rate:
        waits.append(f"error rate {_ci(err)} above {bounds.max_error_rate}")
    else:
        passes.append(f"error rate {_ci(err)}")
    if c.paired:
        agree = c.agreement or {}
        if agree.get("ci") and agree["ci"][1] < bounds.min_agreement:
            fails.append(f"agreement {_ci(agree)} below {bounds.min_agreement}")
        elif not agree.get("ci") or agree["ci"][0] < bounds.min_agreement:
            waits.append(f"agreement {_ci(agree)}: not yet surely >= {bounds.min_agreement}")
        else:
            passes.append(f"agreement {_ci(agree)} >= {bounds.min_agreement}")
    mine, theirs = c.labelled["candidate"], c.labelled["primary"]
    if mine["n"] < bounds.min_labelled:
        waits.append(f"{mine['n']} labelled requests, fewer than {bounds.min_labelled}")
    elif mine["n"] and theirs["rate"] is not None:
        floor = theirs["rate"] - bounds.max_accuracy_drop
        said = f"labelled accuracy {_ci(mine)} (primary {theirs['rate']:.3f})"
        if mine["ci"][1] < floor:
            fails.append(f"{said}: more than {bounds.max_accuracy_drop} below the primary")
        elif mine["rate"] < floor:
            waits.append(f"{said}: below the primary's by more than {bounds.max_accuracy_drop}")
        else:
            passes.append(said)
    if n < bounds.min_requests:
        return WAIT, [f"{n} of {bounds.min_requests} requests", *fails, *waits]
    if fails:
        return FAIL, fails
    if waits:
        return WAIT, waits
    return PASS, [f"{n} requests", *passes, "no alarm"]


def act(
    decision: Decision,
    root: Path,
    primary_stage: str,
    *,
    promote: bool,
    abort: bool,
    push: bool,
) -> Decision:
    """Promote a passed candidate / clear a failed one's role (registry errors kept, not raised)."""
    from catdetector.registry import api as registry

    why = f"monitor watch: {decision.stage} {decision.version} " + (
        "passed: " if decision.outcome == PASS else "failed: "
    )
    why += "; ".join(decision.reasons)
    try:
        if decision.outcome == PASS and promote:
            done = registry.promote(root, decision.version, primary_stage, push=push)
            decision.tags.append(done.tag)
            decision.action = "promoted"
            cleared = registry.clear_role(root, decision.stage, reason=why, push=push)
            decision.tags.append(cleared.tag)
            decision.pushed = done.pushed and cleared.pushed
        elif decision.outcome == FAIL and abort:
            cleared = registry.clear_role(root, decision.stage, reason=why, push=push)
            decision.tags.append(cleared.tag)
            decision.action = "aborted"
            decision.pushed = cleared.pushed
    except CatDetectorError as exc:
        decision.error = str(exc).splitlines()[0]
    return decision
