"""The Leitner schedule, with a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from catdetector.learn.schedule import NEW, CardState, Grade, Leitner, parse_grade

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def test_grades_move_cards_between_boxes() -> None:
    clock = FakeClock()
    leitner = Leitner(clock=clock)
    good = leitner.review(NEW, Grade.GOOD)
    assert (good.box, good.due, good.reviews, good.last_grade) == (
        2, T0 + timedelta(days=1), 1, Grade.GOOD
    )
    easy = leitner.review(NEW, Grade.EASY)
    assert (easy.box, easy.due) == (3, T0 + timedelta(days=3))
    again = leitner.review(easy, Grade.AGAIN)
    assert (again.box, again.due, again.lapses, again.reviews) == (1, T0, 1, 2)
    assert leitner.review(NEW, Grade.AGAIN).lapses == 0  # a new card cannot lapse
    top = CardState(box=4, due=T0, reviews=3)
    assert leitner.review(top, Grade.EASY).box == 5
    assert leitner.review(CardState(box=5, due=T0, reviews=9), Grade.GOOD).due == T0 + timedelta(
        days=16
    )


def test_due_follows_the_clock() -> None:
    clock = FakeClock()
    leitner = Leitner(clock=clock)
    state = leitner.review(NEW, Grade.GOOD)
    assert leitner.is_due(NEW)
    assert not leitner.is_due(state)
    clock.advance(hours=23, minutes=59)
    assert not leitner.is_due(state)
    clock.advance(minutes=1)
    assert leitner.is_due(state)


def test_due_order_and_next_due() -> None:
    clock = FakeClock()
    leitner = Leitner(clock=clock)
    states = {
        "a": CardState(box=3, due=T0 - timedelta(days=1), reviews=2),
        "b": CardState(box=1, due=T0, reviews=1),
        "c": CardState(box=2, due=T0 + timedelta(hours=5), reviews=1),
        "e": CardState(box=3, due=T0 - timedelta(days=2), reviews=2),
    }
    order = leitner.due_cards(["n1", "a", "b", "c", "n2", "e"], states)
    assert order == ["b", "e", "a", "n1", "n2"]  # seen (lowest box, most overdue), then new
    assert leitner.next_due(["a", "b", "c"], states) == T0 + timedelta(hours=5)
    assert leitner.next_due(["a", "b"], states) is None


def test_custom_intervals() -> None:
    leitner = Leitner(intervals=(timedelta(0), timedelta(minutes=10)), clock=FakeClock())
    assert leitner.max_box == 2
    assert leitner.review(NEW, Grade.EASY).box == 2


def test_parse_grade() -> None:
    assert parse_grade(" Good ") is Grade.GOOD
    assert [parse_grade(x) for x in ("a", "2", "e", "EASY")] == [
        Grade.AGAIN, Grade.GOOD, Grade.EASY, Grade.EASY
    ]
    assert parse_grade("great") is None
    assert parse_grade("") is None
