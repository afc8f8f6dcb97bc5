"""Decisions on a candidate (the version in ``shadow`` or ``canary``) from ``monitor compare``.

Both roles: a candidate **waits** until ``min_requests`` of its records; it **fails**
on an alarm of its own (drift against its reference, accuracy) or an error rate
surely above ``max_error_rate`` (the lower end of its interval above the bound).

A **shadow** answered the primary's own requests, so agreement is measured pair by
pair: it passes when the lower end of its agreement interval is at least
``min_agreement`` and, on the labelled pairs (at least ``min_labelled``), its
accuracy is no more than ``max_accuracy_drop`` below the primary's; it fails when the
upper end of the agreement (or accuracy) interval is below the bound.

A **canary** answered other requests than the primary, so no pair exists and
agreement cannot be shown, only refuted: over one input stream the two cannot agree
more than ``1 - |difference of their label shares|`` (``agreement_ceiling``), and a
ceiling surely below ``min_agreement`` fails it. What shows a canary is as good is
its accuracy on its own labelled requests against the primary's on theirs: a
non-inferiority test, passed when the lower end of the interval of the difference
(candidate - primary, Newcombe) is above ``-max_accuracy_drop``, failed when its upper
end is below. Without labels a canary never passes: it waits.

Passing promotes the candidate to the primary stage and clears its role; failing
clears its role; both through :mod:`catdetector.registry.api`, as the CLI does, and
pushed, the decision in the tag's message (:class:`catdetector.formats.gto.DecisionNote`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catdetector.core.errors import CatDetectorError, RegistryError
from catdetector.formats import gto
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
    if not c.paired:
        _canary(c, bounds, fails, waits, passes)
    else:
        agree = c.agreement or {}
        if agree.get("ci") and agree["ci"][1] < bounds.min_agreement:
            fails.append(f"agreement {_ci(agree)} below {bounds.min_agreement}")
        elif not agree.get("ci") or agree["ci"][0] < bounds.min_agreement:
            waits.append(f"agreement {_ci(agree)}: not yet surely >= {bounds.min_agreement}")
        else:
            passes.append(f"agreement {_ci(agree)} >= {bounds.min_agreement}")
        _shadow_accuracy(c, bounds, fails, waits, passes)
    if n < bounds.min_requests:
        return WAIT, [f"{n} of {bounds.min_requests} requests", *fails, *waits]
    if fails:
        return FAIL, fails
    if waits:
        return WAIT, waits
    return PASS, [f"{n} requests", *passes, "no alarm"]


def _shadow_accuracy(
    c: Comparison, bounds: Bounds, fails: list[str], waits: list[str], passes: list[str]
) -> None:
    """Labelled accuracy of a shadow against the primary's on the same requests."""
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


def _canary(
    c: Comparison, bounds: Bounds, fails: list[str], waits: list[str], passes: list[str]
) -> None:
    """A canary: the agreement ceiling can refute it; labelled accuracy alone can pass it."""
    ceiling = c.agreement_ceiling
    if ceiling and ceiling["ci"][1] < bounds.min_agreement:
        fails.append(
            f"agreement at most {_ci_of(ceiling)} below {bounds.min_agreement}: "
            f"its share of {ceiling['label']!r} differs from the primary's"
        )
    mine, theirs = c.labelled["candidate"], c.labelled["primary"]
    diff = c.labelled.get("difference") or {}
    need = max(bounds.min_labelled, 1)
    if mine["n"] < need or not theirs["n"] or not diff.get("ci"):
        waits.append(
            f"{mine['n']} labelled canary requests (primary {theirs['n']}), fewer than {need}:"
            " a canary answered other requests, only labels show it is as accurate"
        )
        return
    low, high = diff["ci"]
    said = (
        f"labelled accuracy {_ci(mine)} vs primary {_ci(theirs)}: "
        f"difference {diff['rate']:+.3f} [{low:+.3f}, {high:+.3f}]"
    )
    if high < -bounds.max_accuracy_drop:
        fails.append(f"{said}: surely more than {bounds.max_accuracy_drop} below the primary")
    elif low < -bounds.max_accuracy_drop:
        waits.append(f"{said}: not yet surely within {bounds.max_accuracy_drop} of the primary")
    else:
        passes.append(f"{said}: within {bounds.max_accuracy_drop} of the primary")


def _ci_of(p: dict[str, Any]) -> str:
    return f"{p['rate']:.3f} [{p['ci'][0]:.3f}, {p['ci'][1]:.3f}]"


def note_of(decision: Decision, action: str, by: str) -> gto.DecisionNote:
    """The tag-message record of ``decision`` (taken now, by the tagger ``by``)."""
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return gto.DecisionNote(
        action, decision.outcome, decision.stage, decision.version, at, by, tuple(decision.reasons)
    )


def act(
    decision: Decision,
    root: Path,
    primary_stage: str,
    *,
    promote: bool,
    abort: bool,
    push: bool,
) -> Decision:
    """Promote a passed candidate / clear a failed one's role (registry errors kept, not raised).

    The role is cleared only while it still holds the version judged; the decision
    (outcome, reasons, when, by whom) is recorded in the message of the clearing tag.
    """
    from catdetector.registry import api as registry
    from catdetector.registry.gitops import tagger

    if not ((decision.outcome == PASS and promote) or (decision.outcome == FAIL and abort)):
        return decision
    try:
        by = "{} <{}>".format(*tagger(root))
        if decision.outcome == PASS:
            held = registry.show(root).stage_version(decision.stage)
            if held != decision.version:  # judged on tags fetched at the check's start
                raise RegistryError(
                    f"{decision.stage} holds {held} now, not {decision.version}: not promoted"
                )
            done = registry.promote(root, decision.version, primary_stage, push=push)
            decision.tags.append(done.tag)
            decision.action = "promoted"
            note = note_of(decision, "promoted", by)
            cleared = registry.clear_role(root, decision.stage, push=push, decision=note)
            decision.tags.append(cleared.tag)
            decision.pushed = done.pushed and cleared.pushed
        else:
            note = note_of(decision, "aborted", by)
            cleared = registry.clear_role(root, decision.stage, push=push, decision=note)
            decision.tags.append(cleared.tag)
            decision.action = "aborted"
            decision.pushed = cleared.pushed
    except CatDetectorError as exc:
        decision.error = str(exc).splitlines()[0]
    return decision
