"""The session engine driven by a scripted front end (no printing involved)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from catdetector.core.errors import UsageError
from catdetector.learn.deck import Card, load_deck
from catdetector.learn.progress import ProgressStore
from catdetector.learn.schedule import CardState, Grade, Phase
from catdetector.learn.session import (
    Ended,
    EndOfInput,
    QuestionInfo,
    ScriptedInput,
    Session,
)

from .conftest import SEED
from .test_learn_schedule import FakeClock, schedule


@dataclass
class ListIO:
    """A SessionIO fed from a list of (answer, grade) pairs; records what it was shown."""

    script: list[tuple[str, Grade | type[BaseException]]]
    shown: list[str] = field(default_factory=list)
    revealed: list[tuple[str, str]] = field(default_factory=list)
    graded: list[tuple[str, Grade, Phase]] = field(default_factory=list)
    _pending: Grade | type[BaseException] | None = None

    def show_question(self, card: Card, info: QuestionInfo) -> None:
        self.shown.append(card.question)

    def ask_answer(self, card: Card) -> str:
        if not self.script:
            raise EndOfInput
        answer, self._pending = self.script.pop(0)
        return answer

    def show_answer(self, card: Card, typed: str) -> None:
        self.revealed.append((card.answer, typed))

    def ask_grade(self, card: Card) -> Grade:
        pending = self._pending
        if isinstance(pending, Grade):
            return pending
        assert pending is not None
        raise pending()

    def show_graded(self, card: Card, grade: Grade, state: CardState) -> None:
        self.graded.append((card.question[:3], grade, state.phase))


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path)


def test_full_session_then_restart(store: ProgressStore) -> None:
    deck = load_deck(SEED)
    clock = FakeClock()
    leitner = schedule(clock)
    io = ListIO([
        ("lifecycle", Grade.GOOD), ("", Grade.EASY), ("debt", Grade.AGAIN),
        ("level 0", Grade.GOOD), ("git+dvc", Grade.GOOD), ("debt again", Grade.GOOD),
    ])
    result = Session(deck, io, store, leitner).run()
    assert result.ended is Ended.DONE and result.reviewed == 6
    assert io.shown[-1] == io.shown[2]  # "again" came back at the end of the session
    assert io.revealed[0] == (deck.cards[0].answer, "lifecycle")
    assert [g for _, g, _ in io.graded] == [
        Grade.GOOD, Grade.EASY, Grade.AGAIN, Grade.GOOD, Grade.GOOD, Grade.GOOD
    ]
    assert result.due_left == 0

    # Restart: nothing due today; tomorrow the forgotten card is back; the day after,
    # the three "good" cards too (FSRS: 2 days); the "easy" one (8 days) is not.
    assert Session(deck, ListIO([]), store, leitner).run().ended is Ended.NOTHING_DUE
    clock.advance(days=1)
    again = Session(deck, ListIO([]), store, leitner).run()
    assert again.ended is Ended.END_OF_INPUT and again.due_left == 1
    clock.advance(days=1)
    assert Session(deck, ListIO([]), store, leitner).run().due_left == 4
    progress = store.load(deck)
    assert progress.sessions == 1
    easy = progress.state(deck.cards[1].id)
    assert easy.phase is Phase.REVIEW and easy.due is not None and easy.due > clock.now


def test_ctrl_c_keeps_what_was_graded(store: ProgressStore) -> None:
    deck = load_deck(SEED)
    leitner = schedule(FakeClock())
    io = ListIO([("a", Grade.GOOD), ("b", KeyboardInterrupt)])
    result = Session(deck, io, store, leitner).run()
    assert result.ended is Ended.INTERRUPTED and result.reviewed == 1
    assert result.progress_path is not None and result.progress_path.exists()
    progress = store.load(deck)
    assert set(progress.cards) == {deck.cards[0].id}
    io2 = ListIO([])
    Session(deck, io2, store, leitner).run()
    assert io2.shown == [deck.cards[1].question]  # resumes with the unanswered card


def test_scripted_input_lines() -> None:
    script = ScriptedInput(["my answer\n", "good\n", "\n", "E\r\n", "x\n", "great\n"], "a.txt")
    assert script.answer() == "my answer"
    assert script.grade() is Grade.GOOD
    assert script.answer() == ""
    assert script.grade() is Grade.EASY
    assert script.answer() == "x"
    with pytest.raises(UsageError, match=r"a.txt, line 6: unknown grade 'great'"):
        script.grade()
    with pytest.raises(EndOfInput):
        script.answer()
