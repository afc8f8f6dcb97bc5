"""`monitor watch --abort-on-fail / --promote-on-pass` on a real bare git registry.

The registry is real (v1 good, v2 trained on shuffled labels, an origin the watch
pushes to); the log rows are written here: the candidate's answers either swap the
primary's labels (it disagrees on every request) or match them. `gto show` on the
origin must agree with what the watch says it did.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from catdetector.formats import gto
from catdetector.monitor import store as store_mod
from catdetector.monitor.decide import FAIL, PASS, Decision, act
from catdetector.monitor.store import Feedback, utcnow
from tests.monitor.records import record
from tests.monitor.watching import watch_once
from tests.serve.serving import Registry
from tests.support import git, run

pytestmark = pytest.mark.slow  # a registry and two to three tagged, pushed operations
N = 40
SWAP = {"cat": "other", "other": "cat"}


def _stages(reg: Registry) -> dict[str, str]:
    out = run(["gto", "show", "--json", "-r", str(reg.origin)], reg.proj).stdout
    return dict(json.loads(out).get("catdetector", {}).get("stage", {}))


def _log(db: Path, primary: str, candidate: str, swap: bool, role: str = "shadow") -> None:
    """N primary answers of ``primary`` and the candidate's answers to the same inputs."""
    store = store_mod.open(db)
    rows = []
    for i in range(N):
        label = ("cat", "other")[i % 2]
        p = record(model_version=primary, label=label, created_at=utcnow())
        theirs = SWAP[label] if swap else label
        c = record(model_version=candidate, label=theirs, input_sha256=p["input_sha256"])
        rows += [p, store_mod.with_role(c, role, p["request_id"])]
    store.insert_predictions(rows)
    store.close()


def _canary_log(db: Path, primary: str, canary: str, right: float) -> None:
    """400 primary answers (all right) and 100 canary answers (``right`` of them right),
    interleaved from now on, every request labelled by a human."""
    store = store_mod.open(db)
    rows, truth, start = [], {}, utcnow()
    for i in range(500):
        true = ("cat", "other")[i % 2]
        at = start + timedelta(milliseconds=i)
        if i % 5 == 4:
            label = true if i // 5 < right * 100 else SWAP[true]
            row = store_mod.with_role(
                record(model_version=canary, label=label, created_at=at), "canary"
            )
        else:
            row = record(model_version=primary, label=true, created_at=at)
        rows.append(row)
        truth[row["request_id"]] = true
    store.insert_predictions(rows)
    with store.session() as session, session.begin():
        for rid, label in truth.items():
            session.add(Feedback(request_id=rid, label=label, source="human", created_at=start))
    store.close()


def _decision_in(reg: Registry, tag: str) -> gto.DecisionNote:
    message = git("tag", "-l", "--format=%(contents)", tag, cwd=reg.proj)
    note = gto.decision_of(message)
    assert note is not None, message
    return note


def _watch(reg: Registry, db: Path, tmp: Path, *flags: str) -> tuple[int, dict[str, Any], str]:
    return watch_once(reg, db, tmp, *flags)


def _force(reg: Registry, version: str, stage: str) -> None:
    reg.cli("promote", version, "--stage", stage, "--force", "--reason", "decision test", "--push")


def test_a_candidate_that_disagrees_is_aborted(private_registry: Registry, tmp_path: Path) -> None:
    reg = private_registry
    _force(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    _log(db, reg.v1, reg.v2, swap=True)
    # without the flag it only says so
    code, check, err = _watch(reg, db, tmp_path)
    assert code == 0, err
    assert check["decisions"] == []
    assert _stages(reg).get("shadow") == reg.v2
    code, check, err = _watch(reg, db, tmp_path, "--abort-on-fail")
    assert code == 0, err
    [decision] = check["decisions"]
    assert (decision["stage"], decision["version"], decision["outcome"]) == (
        "shadow",
        reg.v2,
        "fail",
    ), decision
    assert decision["action"] == "aborted" and decision["pushed"], decision
    assert "agreement 0.000" in decision["reasons"][0]
    stages = _stages(reg)
    assert "shadow" not in stages and stages["prod"] == reg.v1
    message = git("tag", "-l", "--format=%(contents)", decision["tags"][0], cwd=reg.proj)
    assert "monitor watch: shadow" in message and "failed: agreement 0.000" in message
    note = _decision_in(reg, decision["tags"][0])
    assert (note.action, note.outcome, note.stage, note.version) == (
        "aborted",
        "fail",
        "shadow",
        reg.v2,
    )
    assert note.reasons[0].startswith("agreement 0.000") and note.at.startswith("20")
    assert "<" in note.by and ">" in note.by  # the tagger, "Name <email>"


def test_a_candidate_that_agrees_is_promoted(private_registry: Registry, tmp_path: Path) -> None:
    reg = private_registry
    _force(reg, reg.v2, "prod")  # the bad one serves; the good one shadows it
    _force(reg, reg.v1, "shadow")
    db = tmp_path / "log.sqlite"
    _log(db, reg.v2, reg.v1, swap=False)
    code, check, err = _watch(reg, db, tmp_path, "--promote-on-pass", "--abort-on-fail")
    assert code == 0, err
    [decision] = check["decisions"]
    assert (decision["outcome"], decision["action"], decision["error"]) == (
        "pass",
        "promoted",
        None,
    ), decision
    assert decision["pushed"] and len(decision["tags"]) == 2
    stages = _stages(reg)
    assert stages["prod"] == reg.v1 and "shadow" not in stages
    # the next check finds no candidate: nothing more to decide
    _, check, err = _watch(reg, db, tmp_path, "--promote-on-pass", "--abort-on-fail")
    assert check["decisions"] == [] and check["version"] == reg.v1, err


def test_a_less_accurate_canary_is_aborted(private_registry: Registry, tmp_path: Path) -> None:
    reg = private_registry
    reg.cli(
        *("promote", reg.v2, "--stage", "canary", "--share", "20", "--force"),
        *("--reason", "decision test", "--push"),
    )
    db = tmp_path / "log.sqlite"
    _canary_log(db, reg.v1, reg.v2, right=0.5)
    code, check, err = _watch(reg, db, tmp_path, "--abort-on-fail")
    assert code in (0, 1), err
    [decision] = check["decisions"]
    assert (decision["stage"], decision["outcome"], decision["action"]) == (
        "canary",
        "fail",
        "aborted",
    ), decision
    stages = _stages(reg)
    assert "canary" not in stages and stages["prod"] == reg.v1
    note = _decision_in(reg, decision["tags"][0])
    assert (note.stage, note.version, note.action) == ("canary", reg.v2, "aborted")
    assert any("surely more than 0.05 below the primary" in r for r in note.reasons), note


def test_an_as_accurate_canary_is_promoted(private_registry: Registry, tmp_path: Path) -> None:
    reg = private_registry
    _force(reg, reg.v2, "prod")
    reg.cli(
        *("promote", reg.v1, "--stage", "canary", "--share", "20", "--force"),
        *("--reason", "decision test", "--push"),
    )
    db = tmp_path / "log.sqlite"
    _canary_log(db, reg.v2, reg.v1, right=1.0)
    _, check, err = _watch(reg, db, tmp_path, "--promote-on-pass", "--abort-on-fail")
    [decision] = check["decisions"]
    assert (decision["outcome"], decision["action"], decision["error"]) == (
        "pass",
        "promoted",
        None,
    ), (decision, err)
    stages = _stages(reg)
    assert stages["prod"] == reg.v1 and "canary" not in stages
    note = _decision_in(reg, decision["tags"][1])
    assert (note.stage, note.version, note.action, note.outcome) == (
        "canary",
        reg.v1,
        "promoted",
        "pass",
    )


def test_a_decision_clears_only_the_version_it_judged(private_registry: Registry) -> None:
    # watch judged v1 in shadow, but someone put v2 there since: nothing is cleared
    # (before: the tag cleared v2, with v1's reasons).
    reg = private_registry
    _force(reg, reg.v2, "shadow")
    judged = Decision("shadow", reg.v1, FAIL, ["agreement 0.000 below 0.9"], 40)
    done = act(judged, reg.proj, "prod", promote=True, abort=True, push=True)
    assert done.action is None and done.tags == []
    assert done.error == f"shadow holds {reg.v2} now, not {reg.v1}: not cleared"
    assert _stages(reg)["shadow"] == reg.v2
    # nor is a version promoted that the role no longer holds
    passed = Decision("shadow", reg.v1, PASS, ["agreement 1.000"], 40)
    done = act(passed, reg.proj, "prod", promote=True, abort=True, push=True)
    assert done.action is None and done.tags == []
    assert done.error == f"shadow holds {reg.v2} now, not {reg.v1}: not promoted"
    assert _stages(reg) == {"prod": reg.v1, "shadow": reg.v2}
