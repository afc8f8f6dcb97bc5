"""FSRS scheduling (through the `fsrs` package), with a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from catdetector.learn.schedule import (
    NEW,
    CardState,
    Grade,
    Phase,
    Schedule,
    from_leitner,
    parse_grade,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def schedule(clock: FakeClock) -> Schedule:
    """FSRS without fuzz, so that intervals are exact."""
    return Schedule(clock=clock, fuzz=False)


def test_grades_follow_fsrs() -> None:
    clock = FakeClock()
    sched = schedule(clock)
    good = sched.review(NEW, Grade.GOOD)
    assert (good.phase, good.due, good.reviews, good.last_grade) == (
        Phase.REVIEW, T0 + timedelta(days=2), 1, Grade.GOOD
    )
    easy = sched.review(NEW, Grade.EASY)
    assert (easy.phase, easy.due) == (Phase.REVIEW, T0 + timedelta(days=8))
    assert easy.stability is not None and good.stability is not None
    assert easy.stability > good.stability
    again = sched.review(NEW, Grade.AGAIN)
    assert (again.phase, again.due, again.lapses) == (Phase.LEARNING, T0 + timedelta(minutes=1), 0)
    assert sched.in_session(again) and not sched.in_session(good)

    # A review card forgotten lapses and is relearnt in the same session.
    clock.advance(days=2)
    lapse = sched.review(good, Grade.AGAIN)
    assert (lapse.phase, lapse.lapses, lapse.reviews) == (Phase.RELEARNING, 1, 2)
    assert lapse.due == clock.now + timedelta(minutes=10) and sched.in_session(lapse)
    back = sched.review(lapse, Grade.GOOD)
    assert back.phase is Phase.REVIEW and back.due is not None
    assert back.due >= clock.now + timedelta(days=1)


def test_the_state_is_fsrs_own() -> None:
    """The same reviews through fsrs directly give the same stability, difficulty and due."""
    clock = FakeClock()
    sched = schedule(clock)
    direct = fsrs.Scheduler(learning_steps=(timedelta(minutes=1),),
                            relearning_steps=(timedelta(minutes=10),), enable_fuzzing=False)
    ours, theirs = NEW, fsrs.Card(card_id=1, due=T0)
    steps = ((Grade.GOOD, fsrs.Rating.Good, 0), (Grade.EASY, fsrs.Rating.Easy, 2),
             (Grade.AGAIN, fsrs.Rating.Again, 9))
    for grade, rating, days in steps:
        clock.advance(days=days)
        ours = sched.review(ours, grade)
        theirs, _ = direct.review_card(theirs, rating, review_datetime=clock.now)
        assert (ours.stability, ours.difficulty, ours.due) == (
            theirs.stability, theirs.difficulty, theirs.due)


def test_due_follows_the_clock() -> None:
    clock = FakeClock()
    sched = schedule(clock)
    state = sched.review(NEW, Grade.GOOD)
    assert sched.is_due(NEW)
    assert not sched.is_due(state)
    clock.advance(days=1, hours=23, minutes=59)
    assert not sched.is_due(state)
    clock.advance(minutes=1)
    assert sched.is_due(state)


def test_due_order_and_next_due() -> None:
    clock = FakeClock()
    sched = schedule(clock)
    week_ago = T0 - timedelta(days=7)
    states = {
        # recalled 7 days ago with 16 days of stability: the most likely to be recalled
        "a": CardState(phase=Phase.REVIEW, stability=16.0, difficulty=5.0,
                       due=T0 - timedelta(hours=1), reviews=3, last_review=week_ago),
        "b": CardState(phase=Phase.LEARNING, step=0, due=T0, reviews=1, last_review=T0),
        "c": CardState(phase=Phase.REVIEW, stability=3.0, difficulty=5.0,
                       due=T0 + timedelta(hours=5), reviews=1, last_review=week_ago),
        "e": CardState(phase=Phase.REVIEW, stability=1.0, difficulty=5.0,
                       due=T0 - timedelta(days=6), reviews=2, last_review=week_ago),
    }
    order = sched.due_cards(["n1", "a", "b", "c", "n2", "e"], states)
    assert order == ["b", "e", "a", "n1", "n2"]  # least likely recalled first, then new
    recall_a, recall_e = sched.recall(states["a"]), sched.recall(states["e"])
    assert recall_a is not None and recall_e is not None and recall_e < recall_a
    assert sched.next_due(["a", "b", "c"], states) == T0 + timedelta(hours=5)
    assert sched.next_due(["a", "b"], states) is None


def test_leitner_boxes_carry_over() -> None:
    due = T0 + timedelta(days=3)
    boxed = from_leitner(3, due, reviews=2, lapses=0, last_review=T0, last_grade=Grade.EASY)
    assert (boxed.phase, boxed.stability, boxed.due, boxed.reviews) == (Phase.REVIEW, 3.0, due, 2)
    assert boxed.difficulty == pytest.approx(schedule(FakeClock()).review(NEW, Grade.GOOD)
                                             .difficulty)
    first = from_leitner(1, T0, reviews=1, lapses=0, last_review=T0, last_grade=Grade.AGAIN)
    assert (first.phase, first.step, first.stability) == (Phase.LEARNING, 0, None)
    assert from_leitner(1, None, reviews=0, lapses=0, last_review=None, last_grade=None) == NEW
    # a carried-over card is reviewed by FSRS like any other
    after = schedule(FakeClock(due)).review(boxed, Grade.GOOD)
    assert after.phase is Phase.REVIEW and after.due is not None and after.due > due


def test_parse_grade() -> None:
    assert parse_grade(" Good ") is Grade.GOOD
    assert [parse_grade(x) for x in ("a", "2", "e", "EASY")] == [
        Grade.AGAIN, Grade.GOOD, Grade.EASY, Grade.EASY
    ]
    assert parse_grade("great") is None
    assert parse_grade("") is None
