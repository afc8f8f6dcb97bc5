"""Spaced repetition with FSRS (the ``fsrs`` package): pure logic, the clock is injected.

After the reveal the learner grades themselves ``again``, ``good`` or ``easy``
(FSRS's ratings 1, 3 and 4). FSRS keeps, per card, a *stability* (the interval
in days at which recall falls to 90 %) and a *difficulty*, and plans the next
review when the predicted recall reaches the desired retention (90 %). A new or
forgotten card goes through a short learning step (1 minute, or 10 minutes when
relearning); a card due within :data:`LEARN_AHEAD` comes back in the same
session, as Anki does.

Progress kept by the earlier Leitner schedule (boxes 1-5) is carried over by
:func:`from_leitner`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import fsrs

Clock = Callable[[], datetime]

LEARN_AHEAD = timedelta(minutes=20)
LEARNING_STEPS = (timedelta(minutes=1),)
RELEARNING_STEPS = (timedelta(minutes=10),)
# The intervals of the Leitner schedule this one replaced, box 1 to 5.
LEITNER_INTERVALS = (timedelta(0), timedelta(days=1), timedelta(days=3), timedelta(days=7),
                     timedelta(days=16))


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Grade(StrEnum):
    """The learner's own verdict after the reveal."""

    AGAIN = "again"
    GOOD = "good"
    EASY = "easy"


_RATING = {Grade.AGAIN: fsrs.Rating.Again, Grade.GOOD: fsrs.Rating.Good,
           Grade.EASY: fsrs.Rating.Easy}

_GRADE_WORDS = {
    "again": Grade.AGAIN, "a": Grade.AGAIN, "1": Grade.AGAIN,
    "good": Grade.GOOD, "g": Grade.GOOD, "2": Grade.GOOD,
    "easy": Grade.EASY, "e": Grade.EASY, "3": Grade.EASY,
}


def parse_grade(text: str) -> Grade | None:
    """``again``/``good``/``easy`` (or ``a``/``g``/``e``, ``1``/``2``/``3``); None otherwise."""
    return _GRADE_WORDS.get(text.strip().lower())


class Phase(StrEnum):
    """Where a card is in FSRS: never seen, learning, in review, or relearning after a lapse."""

    NEW = "new"
    LEARNING = "learning"
    REVIEW = "review"
    RELEARNING = "relearning"


_STATE = {Phase.LEARNING: fsrs.State.Learning, Phase.REVIEW: fsrs.State.Review,
          Phase.RELEARNING: fsrs.State.Relearning}
_PHASE = {v: k for k, v in _STATE.items()}


@dataclass(frozen=True)
class CardState:
    """Where one card stands in the schedule. ``due is None`` means never seen."""

    phase: Phase = Phase.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    reviews: int = 0
    lapses: int = 0
    last_review: datetime | None = None
    last_grade: Grade | None = None

    @property
    def is_new(self) -> bool:
        """True until the card has been graded once."""
        return self.reviews == 0

    def fsrs_card(self, now: datetime) -> fsrs.Card:
        """The same state as an ``fsrs.Card``."""
        if self.phase is Phase.NEW:
            return fsrs.Card(card_id=0, state=fsrs.State.Learning, step=0, due=now)
        return fsrs.Card(card_id=0, state=_STATE[self.phase], step=self.step,
                         stability=self.stability, difficulty=self.difficulty,
                         due=self.due or now, last_review=self.last_review)


NEW = CardState()


@dataclass(frozen=True)
class Schedule:
    """FSRS with its settings, and the clock that says what "now" is."""

    clock: Clock = system_clock
    desired_retention: float = 0.9
    fuzz: bool = True
    scheduler: fsrs.Scheduler = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scheduler", fsrs.Scheduler(
            desired_retention=self.desired_retention, learning_steps=LEARNING_STEPS,
            relearning_steps=RELEARNING_STEPS, enable_fuzzing=self.fuzz))

    def now(self) -> datetime:
        """The current time according to the injected clock."""
        return self.clock()

    def review(self, state: CardState, grade: Grade) -> CardState:
        """The state of a card after the learner graded it ``grade``."""
        now = self.now()
        card, _ = self.scheduler.review_card(state.fsrs_card(now), _RATING[grade],
                                             review_datetime=now)
        lapsed = grade is Grade.AGAIN and state.phase is Phase.REVIEW
        return replace(
            state,
            phase=_PHASE[card.state],
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            reviews=state.reviews + 1,
            lapses=state.lapses + (1 if lapsed else 0),
            last_review=now,
            last_grade=grade,
        )

    def is_due(self, state: CardState) -> bool:
        """A new card, or one whose due time has come."""
        return state.due is None or state.due <= self.now()

    def in_session(self, state: CardState) -> bool:
        """True when a card just graded comes back in this session (due within LEARN_AHEAD)."""
        return state.due is None or state.due <= self.now() + LEARN_AHEAD

    def recall(self, state: CardState) -> float | None:
        """FSRS's probability that the learner recalls the card now (None for a new card)."""
        if state.is_new or state.stability is None:
            return None
        return float(self.scheduler.get_card_retrievability(state.fsrs_card(self.now()),
                                                            current_datetime=self.now()))

    def due_cards(self, card_ids: Iterable[str], states: Mapping[str, CardState]) -> list[str]:
        """Ids of the cards due now, in the order to ask them.

        Cards already seen come first (the least likely to be recalled first),
        then new cards in deck order.
        """
        ordered = list(card_ids)
        position = {cid: i for i, cid in enumerate(ordered)}
        seen = [c for c in ordered if not states.get(c, NEW).is_new and self.is_due(states[c])]
        new = [c for c in ordered if states.get(c, NEW).is_new]

        def key(cid: str) -> tuple[float, datetime, int]:
            state = states[cid]
            assert state.due is not None
            return (self.recall(state) or 0.0, state.due, position[cid])

        return sorted(seen, key=key) + new

    def next_due(self, card_ids: Iterable[str], states: Mapping[str, CardState]) -> datetime | None:
        """When the next card not due now becomes due (None if every card is due)."""
        future = [
            s.due for c in card_ids
            if (s := states.get(c, NEW)).due is not None and not self.is_due(s)
        ]
        return min(future, default=None)


def from_leitner(box: int, due: datetime | None, reviews: int, lapses: int,
                 last_review: datetime | None, last_grade: Grade | None) -> CardState:
    """A card's Leitner progress (box 1-5) as an FSRS state, keeping its due date.

    Box 1 is a card not learnt yet: it starts FSRS's learning step again. A card
    in box 2 to 5 was recalled after that box's interval, FSRS's definition of
    stability, so it becomes a review card with that stability and the
    difficulty FSRS gives a first "good".
    """
    if reviews == 0:
        return NEW
    if box <= 1:
        return CardState(phase=Phase.LEARNING, step=0, due=due, reviews=reviews, lapses=lapses,
                         last_review=last_review, last_grade=last_grade)
    interval = LEITNER_INTERVALS[min(box, len(LEITNER_INTERVALS)) - 1]
    return CardState(phase=Phase.REVIEW, stability=interval / timedelta(days=1),
                     difficulty=_FIRST_GOOD_DIFFICULTY, due=due, reviews=reviews,
                     lapses=lapses, last_review=last_review, last_grade=last_grade)


def _first_good_difficulty() -> float:
    """The difficulty FSRS gives a new card graded "good"."""
    now = datetime(2000, 1, 1, tzinfo=UTC)
    card, _ = fsrs.Scheduler(enable_fuzzing=False).review_card(
        fsrs.Card(card_id=0, due=now), fsrs.Rating.Good, review_datetime=now)
    assert card.difficulty is not None
    return card.difficulty


_FIRST_GOOD_DIFFICULTY = _first_good_difficulty()
