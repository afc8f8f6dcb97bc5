"""The rules of `monitor watch`'s decisions, and the decision a tag message records.

A canary answered other requests than the primary: no pair, so no agreement to
measure. These tests build canary logs row by row in a real SQLite log and check
that the verdict rests on what a canary can show (its labelled accuracy against the
primary's, its label shares bounding the agreement), never on pairing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catdetector.core.config import MonitorParams
from catdetector.formats import gto
from catdetector.monitor import compare, compare_html, schema
from catdetector.monitor import store as store_mod
from catdetector.monitor.decide import FAIL, PASS, WAIT, Bounds, verdict
from catdetector.monitor.store import Feedback
from tests.monitor.records import record

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LABELS = ("cat", "other")
PARAMS = MonitorParams(min_samples=5)


def _canary_log(
    path: Path,
    canary_label: str | None = None,
    canary_right: float = 1.0,
    labelled: bool = True,
) -> None:
    """400 primary answers of v1 and 100 canary answers of v2, interleaved in one window.

    The inputs alternate cat / other; the primary is always right; the canary answers
    ``canary_label`` to all (when given), else is right on ``canary_right`` of its
    requests. ``labelled``: every request gets a human label.
    """
    store = store_mod.open(path)
    rows, truth = [], {}
    for i in range(500):
        true = LABELS[i % 2]
        at = T0 + timedelta(seconds=i)
        if i % 5 == 4:  # one request in five goes to the canary
            j = i // 5
            right = j < canary_right * 100
            label = canary_label or (true if right else LABELS[(i + 1) % 2])
            row = store_mod.with_role(
                record(model_version="v2", label=label, created_at=at), "canary"
            )
        else:
            row = record(model_version="v1", label=true, created_at=at)
        rows.append(row)
        truth[row["request_id"]] = true
    store.insert_predictions(rows)
    if labelled:
        with store.session() as session, session.begin():
            for rid, label in truth.items():
                session.add(Feedback(request_id=rid, label=label, source="human", created_at=T0))
    store.close()


def _judge(path: Path, bounds: Bounds | None = None) -> tuple[str, list[str], compare.Comparison]:
    reader = schema.open_read(path)
    try:
        built = compare.build(reader, PARAMS, stage="canary")
    finally:
        reader.close()
    [found] = built.comparisons
    outcome, reasons = verdict(found, bounds or Bounds())
    return outcome, reasons, found


def test_a_canary_without_labels_never_passes(tmp_path: Path) -> None:
    # Same label shares, no error, no alarm, 100 requests: nothing shows it is as good
    # (a model trained on swapped labels looks exactly like this on balanced traffic).
    # Before: it passed, the shadow-only agreement rule skipped and nothing in its place.
    _canary_log(tmp_path / "log.sqlite", labelled=False)
    outcome, reasons, found = _judge(tmp_path / "log.sqlite")
    assert found.paired is False and found.agreement is None
    assert outcome == WAIT, reasons
    assert any("0 labelled canary requests" in r for r in reasons), reasons


def test_label_shares_that_differ_fail_a_canary_on_its_agreement_ceiling(tmp_path: Path) -> None:
    # The canary says "cat" to everything, the primary to half: they cannot agree on more
    # than about half of one input stream, whatever the labels.
    _canary_log(tmp_path / "log.sqlite", canary_label="cat", labelled=False)
    outcome, reasons, found = _judge(tmp_path / "log.sqlite")
    ceiling = found.agreement_ceiling
    assert ceiling is not None and ceiling["rate"] == pytest.approx(0.5)
    assert ceiling["ci"][1] < 0.9
    assert outcome == FAIL and reasons[0].startswith("agreement at most 0.500"), reasons


def test_the_compare_page_shows_a_canary_s_ceiling_and_accuracy_difference(
    tmp_path: Path,
) -> None:
    _canary_log(tmp_path / "log.sqlite", canary_label="cat")
    _, _, found = _judge(tmp_path / "log.sqlite")
    page = compare_html.render(compare.Compared("2026-12-07T10:00:00Z", None, [found]).to_dict())
    assert 'id="agreement-ceiling">0.500 [' in page
    assert 'id="accuracy-difference">-0.500 [' in page  # "cat" to all: right on half


def test_a_canary_as_accurate_on_its_labels_passes(tmp_path: Path) -> None:
    _canary_log(tmp_path / "log.sqlite")
    outcome, reasons, found = _judge(tmp_path / "log.sqlite")
    diff = found.labelled["difference"]
    assert diff["rate"] == 0 and -0.05 < diff["ci"][0] < 0 < diff["ci"][1]
    assert outcome == PASS, reasons
    assert any("within 0.05 of the primary" in r for r in reasons)


def test_a_canary_less_accurate_on_its_labels_fails(tmp_path: Path) -> None:
    _canary_log(tmp_path / "log.sqlite", canary_right=0.6)
    outcome, reasons, found = _judge(tmp_path / "log.sqlite")
    assert found.labelled["candidate"]["rate"] == pytest.approx(0.6)
    assert found.labelled["difference"]["ci"][1] < -0.05
    assert outcome == FAIL
    assert any("surely more than 0.05 below the primary" in r for r in reasons), reasons


def test_few_labels_leave_a_canary_waiting(tmp_path: Path) -> None:
    # As accurate, but a drop of 0.01 cannot be ruled out on 100 labels: wait, not pass.
    _canary_log(tmp_path / "log.sqlite")
    outcome, reasons, _ = _judge(tmp_path / "log.sqlite", Bounds(max_accuracy_drop=0.01))
    assert outcome == WAIT and "not yet surely within 0.01" in reasons[0], reasons


def test_the_difference_interval_is_newcombes() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II: 56/70 - 48/80,
    # method 10 (hybrid score): 0.0524 to 0.3339.
    diff = compare.difference(compare.proportion(56, 70), compare.proportion(48, 80))
    assert diff["rate"] == pytest.approx(0.2)
    assert diff["ci"] == pytest.approx([0.0524, 0.3339], abs=5e-5)


def test_a_decision_round_trips_through_a_tag_message() -> None:
    note = gto.DecisionNote(
        "aborted",
        "fail",
        "shadow",
        "v0.1.1",
        "2026-12-07T10:00:00Z",
        "Watch Bot <watch@example.com>",
        ("agreement 0.410 [0.300, 0.520] of 40 below 0.9", "alarm: drift of brightness\nnow"),
    )
    message = gto.with_decision("catdetector unassign v0.1.1 from shadow; reason: x", note)
    back = gto.decision_of(message)
    assert back is not None and back.reasons[1] == "alarm: drift of brightness now"
    assert back == gto.DecisionNote(**{**note.to_dict(), "reasons": back.reasons})
    assert note.summary().startswith("monitor watch: shadow v0.1.1 failed: agreement 0.410")


@pytest.mark.parametrize(
    "message",
    [
        "catdetector unassign v2 from shadow; reason: done by hand",
        "catdetector promote v2 to canary (share 20%)\n\nCanary-Share: 20",
        # a hand-written reason that looks like a trailer is not a decision
        "catdetector unassign v2 from shadow; reason: x\n\nDecision: aborted",
        "Decision: aborted\nDecision-Outcome: fail\nnot a trailer line\nDecided-At: now",
    ],
)
def test_a_message_without_a_whole_decision_records_none(message: str) -> None:
    assert gto.decision_of(message) is None
