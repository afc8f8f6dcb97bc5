"""A Leitner spaced-repetition schedule: pure logic, the clock is injected.

Every card sits in a box, 1 to 5. A new card starts in box 1. After the
reveal the learner grades themselves:

- ``again``: back to box 1, due now (asked again later in the same session);
- ``good``: one box up;
- ``easy``: two boxes up.

A card in box *n* comes back after ``intervals[n - 1]`` (by default: now,
1 day, 3 days, 7 days, 16 days).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

Clock = Callable[[], datetime]

DEFAULT_INTERVALS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=16),
)


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Grade(StrEnum):
    """The learner's own verdict after the reveal."""

    AGAIN = "again"
    GOOD = "good"
    EASY = "easy"


_GRADE_WORDS = {
    "again": Grade.AGAIN, "a": Grade.AGAIN, "1": Grade.AGAIN,
    "good": Grade.GOOD, "g": Grade.GOOD, "2": Grade.GOOD,
    "easy": Grade.EASY, "e": Grade.EASY, "3": Grade.EASY,
}


def parse_grade(text: str) -> Grade | None:
    """``again``/``good``/``easy`` (or ``a``/``g``/``e``, ``1``/``2``/``3``); None otherwise."""
    return _GRADE_WORDS.get(text.strip().lower())


@dataclass(frozen=True)
class CardState:
    """Where one card stands in the schedule. ``due is None`` means never seen."""

    box: int = 1
    due: datetime | None = None
    reviews: int = 0
    lapses: int = 0
    last_review: datetime | None = None
    last_grade: Grade | None = None

    @property
    def is_new(self) -> bool:
        """True until the card has been graded once."""
        return self.reviews == 0


NEW = CardState()


@dataclass(frozen=True)
class Leitner:
    """The schedule: box intervals and the clock that says what "now" is."""

    intervals: tuple[timedelta, ...] = DEFAULT_INTERVALS
    clock: Clock = system_clock

    @property
    def max_box(self) -> int:
        """The highest box."""
        return len(self.intervals)

    def now(self) -> datetime:
        """The current time according to the injected clock."""
        return self.clock()

    def review(self, state: CardState, grade: Grade) -> CardState:
        """The state of a card after the learner graded it ``grade``."""
        now = self.now()
        if grade is Grade.AGAIN:
            box = 1
        elif grade is Grade.GOOD:
            box = min(self.max_box, state.box + 1)
        else:
            box = min(self.max_box, state.box + 2)
        lapsed = grade is Grade.AGAIN and not state.is_new
        return replace(
            state,
            box=box,
            due=now + self.intervals[box - 1],
            reviews=state.reviews + 1,
            lapses=state.lapses + (1 if lapsed else 0),
            last_review=now,
            last_grade=grade,
        )

    def is_due(self, state: CardState) -> bool:
        """A new card, or one whose due time has come."""
        return state.due is None or state.due <= self.now()

    def due_cards(self, card_ids: Iterable[str], states: Mapping[str, CardState]) -> list[str]:
        """Ids of the cards due now, in the order to ask them.

        Cards already seen come first (lowest box, then the longest overdue),
        then new cards in deck order.
        """
        ordered = list(card_ids)
        position = {cid: i for i, cid in enumerate(ordered)}
        seen = [c for c in ordered if not states.get(c, NEW).is_new and self.is_due(states[c])]
        new = [c for c in ordered if states.get(c, NEW).is_new]

        def key(cid: str) -> tuple[int, datetime, int]:
            state = states[cid]
            assert state.due is not None
            return (state.box, state.due, position[cid])

        return sorted(seen, key=key) + new

    def next_due(self, card_ids: Iterable[str], states: Mapping[str, CardState]) -> datetime | None:
        """When the next card not due now becomes due (None if every card is due)."""
        future = [
            s.due for c in card_ids
            if (s := states.get(c, NEW)).due is not None and not self.is_due(s)
        ]
        return min(future, default=None)
