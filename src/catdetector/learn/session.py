"""The review session engine. It never prints: all I/O goes through a SessionIO.

The CLI implements :class:`SessionIO` with rich (interactive prompts, or lines
read from an answers file); tests implement it with lists. The engine asks the
cards that are due, saves progress after every grade, and stops cleanly on
end of input (:class:`EndOfInput`) or Ctrl-C (``KeyboardInterrupt``).

Answers-file format (see :class:`ScriptedInput`): for each card, one line with
the learner's answer (may be empty), then one line with the grade ``again``,
``good`` or ``easy`` (or ``a``/``g``/``e``, ``1``/``2``/``3``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from catdetector.core.errors import UsageError
from catdetector.learn.deck import Card, Deck
from catdetector.learn.progress import DeckProgress, ProgressStore
from catdetector.learn.schedule import CardState, Grade, Schedule, parse_grade


class EndOfInput(Exception):
    """The learner's input ran out (end of file or Ctrl-D)."""


@dataclass(frozen=True)
class QuestionInfo:
    """Where a question sits in the session, for display."""

    number: int
    remaining: int
    state: CardState


class SessionIO(Protocol):
    """What the session needs from a front end."""

    def show_question(self, card: Card, info: QuestionInfo) -> None:
        """Present the question."""

    def ask_answer(self, card: Card) -> str:
        """The learner's attempt (may be empty); raise EndOfInput when input ends."""

    def show_answer(self, card: Card, typed: str) -> None:
        """Reveal the answer beside what the learner typed."""

    def ask_grade(self, card: Card) -> Grade:
        """The learner's self-grade; raise EndOfInput when input ends."""

    def show_graded(self, card: Card, grade: Grade, state: CardState) -> None:
        """Acknowledge the grade and the card's new place in the schedule."""


class Ended(StrEnum):
    """Why a session stopped."""

    DONE = "done"
    NOTHING_DUE = "nothing-due"
    END_OF_INPUT = "end-of-input"
    INTERRUPTED = "interrupted"


@dataclass
class SessionResult:
    """What happened in one session."""

    deck: Deck
    ended: Ended
    reviewed: int = 0
    grades: Counter[Grade] = field(default_factory=Counter)
    due_left: int = 0
    next_due: datetime | None = None
    progress_path: Path | None = None


class Session:
    """Runs one review session of a deck."""

    def __init__(
        self,
        deck: Deck,
        io: SessionIO,
        store: ProgressStore,
        schedule: Schedule | None = None,
    ) -> None:
        self.deck = deck
        self.io = io
        self.store = store
        self.schedule = schedule or Schedule()

    def run(self) -> SessionResult:
        """Ask every due card until none is left, input ends, or Ctrl-C."""
        progress = self.store.load(self.deck)
        ids = [c.id for c in self.deck.cards]
        queue = self.schedule.due_cards(ids, progress.cards)
        result = SessionResult(deck=self.deck, ended=Ended.DONE)
        if not queue:
            result.ended = Ended.NOTHING_DUE
        try:
            while queue:
                card = self.deck.card(queue.pop(0))
                state = progress.state(card.id)
                self.io.show_question(
                    card, QuestionInfo(result.reviewed + 1, len(queue) + 1, state)
                )
                typed = self.io.ask_answer(card)
                self.io.show_answer(card, typed)
                grade = self.io.ask_grade(card)
                new_state = self.schedule.review(state, grade)
                if result.reviewed == 0:
                    progress.sessions += 1
                progress.cards[card.id] = new_state
                progress.updated = self.schedule.now()
                result.progress_path = self.store.save(progress)
                result.reviewed += 1
                result.grades[grade] += 1
                self.io.show_graded(card, grade, new_state)
                if self.schedule.in_session(new_state):
                    queue.append(card.id)
        except EndOfInput:
            result.ended = Ended.END_OF_INPUT
        except KeyboardInterrupt:
            result.ended = Ended.INTERRUPTED
        self._finish(result, progress)
        return result

    def _finish(self, result: SessionResult, progress: DeckProgress) -> None:
        """Save once more (nothing is lost) and fill in what remains."""
        if result.reviewed:
            result.progress_path = self.store.save(progress)
        ids = [c.id for c in self.deck.cards]
        result.due_left = len(self.schedule.due_cards(ids, progress.cards))
        result.next_due = self.schedule.next_due(ids, progress.cards)


class ScriptedInput:
    """Answers and grades read line by line (an answers file or a pipe).

    Each card takes two lines: the answer (may be empty), then a grade. The
    end of the lines is the end of the session; an unknown grade is a
    UsageError naming the line.
    """

    def __init__(self, lines: Iterable[str], name: str = "answers") -> None:
        self._lines: Iterator[str] = iter(lines)
        self.name = name
        self.line_no = 0

    def read_line(self) -> str:
        """The next line without its newline; EndOfInput at the end."""
        try:
            line = next(self._lines)
        except StopIteration:
            raise EndOfInput from None
        self.line_no += 1
        return line.rstrip("\r\n")

    def answer(self) -> str:
        """The next answer line."""
        return self.read_line()

    def grade(self) -> Grade:
        """The next grade line, parsed."""
        text = self.read_line()
        grade = parse_grade(text)
        if grade is None:
            raise UsageError(
                f"{self.name}, line {self.line_no}: unknown grade {text.strip()!r}",
                hint="expected again, good or easy on every second line",
            )
        return grade
