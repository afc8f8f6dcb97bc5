"""Progress files: where they live, round trips, atomic writes, corrupt files, stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.errors import DeckError
from catdetector.learn.deck import builtin_deck, load_deck
from catdetector.learn.progress import DeckProgress, ProgressStore, compute_stats, data_dir
from catdetector.learn.schedule import NEW, Grade, Phase

from .conftest import SEED
from .test_learn_schedule import T0, FakeClock, schedule


def test_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CATDETECTOR_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert ProgressStore().root == tmp_path / "learn"
    monkeypatch.delenv("CATDETECTOR_DATA_DIR")
    assert data_dir().name == "catdetector"


def test_round_trip(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    deck = load_deck(SEED)
    leitner = schedule(FakeClock())
    progress = store.load(deck)
    assert progress.cards == {} and progress.deck_id == deck.id
    progress.cards[deck.cards[0].id] = leitner.review(NEW, Grade.GOOD)
    progress.cards[deck.cards[1].id] = leitner.review(NEW, Grade.AGAIN)
    progress.sessions = 2
    path = store.save(progress)
    assert path == tmp_path / "learn" / f"{deck.id}.json"
    again = store.load(deck)
    assert again.cards == progress.cards and again.sessions == 2
    saved = json.loads(path.read_text())
    assert saved["format"] == 2
    assert saved["cards"][deck.cards[0].id]["last_grade"] == "good"
    assert saved["cards"][deck.cards[0].id]["phase"] == "review"
    assert [p.deck_id for p in store.all()] == [deck.id]
    assert store.reset(deck) and not path.exists() and not store.reset(deck)


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProgressStore(tmp_path)
    deck = load_deck(SEED)
    progress = store.load(deck)
    progress.sessions = 1
    path = store.save(progress)
    before = path.read_bytes()

    def broken_dump(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken_dump)
    progress.sessions = 99
    with pytest.raises(OSError, match="disk full"):
        store.save(progress)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


@pytest.mark.parametrize(
    "content", ["{not json", '{"format": 7}', '{"format": 1}', '{"format": 2}', "[]"]
)
def test_corrupt_progress_is_a_clear_error(tmp_path: Path, content: str) -> None:
    store = ProgressStore(tmp_path)
    deck = load_deck(SEED)
    store.root.mkdir(parents=True)
    store.path_for(deck.id).write_text(content)
    with pytest.raises(DeckError, match="unreadable or corrupt") as info:
        store.load(deck)
    assert "--reset" in str(info.value)


def test_stats() -> None:
    deck = builtin_deck()
    clock = FakeClock()
    sched = schedule(clock)
    progress = DeckProgress(deck_id=deck.id, title=deck.title, source=deck.source)
    ids = [c.id for c in deck.cards]
    progress.cards[ids[0]] = sched.review(NEW, Grade.GOOD)
    progress.cards[ids[1]] = sched.review(NEW, Grade.EASY)
    progress.cards[ids[2]] = sched.review(NEW, Grade.AGAIN)
    stats = compute_stats(progress, sched, ids)
    assert (stats.total, stats.new, stats.due_now, stats.reviews) == (
        len(ids), len(ids) - 3, len(ids) - 3, 3
    )
    assert stats.phases == {Phase.LEARNING: 1, Phase.REVIEW: 2, Phase.RELEARNING: 0}
    assert stats.next_due == T0 + timedelta(minutes=1)
    assert stats.recall == 1.0  # just reviewed
    assert stats.to_json()["phases"] == {"learning": 1, "review": 2, "relearning": 0}


# A progress file written by the Leitner schedule of catdetector 0.1 (format 1).
LEITNER_FILE: dict[str, Any] = {
    "format": 1, "deck_id": "DECK", "title": "Old deck", "source": "SOURCE", "sessions": 3,
    "updated": "2026-01-04T10:00:00+00:00",
    "cards": {
        "CARD0": {"box": 3, "due": "2026-01-07T10:00:00+00:00", "reviews": 2, "lapses": 0,
                  "last_review": "2026-01-04T10:00:00+00:00", "last_grade": "good"},
        "CARD1": {"box": 1, "due": "2026-01-04T10:00:00+00:00", "reviews": 3, "lapses": 1,
                  "last_review": "2026-01-04T10:00:00+00:00", "last_grade": "again"},
        "CARD2": {"box": 5, "due": "2026-01-20T10:00:00+00:00", "reviews": 5, "lapses": 0,
                  "last_review": "2026-01-04T10:00:00+00:00", "last_grade": "easy"},
    },
}


def test_leitner_progress_is_carried_over(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    deck = load_deck(SEED)
    ids = [c.id for c in deck.cards]
    old = dict(LEITNER_FILE, deck_id=deck.id, source=deck.source)
    old["cards"] = {ids[int(k[-1])]: v for k, v in LEITNER_FILE["cards"].items()}
    store.root.mkdir(parents=True)
    store.path_for(deck.id).write_text(json.dumps(old))

    progress = store.load(deck)
    assert progress.sessions == 3
    box3, box1, box5 = (progress.state(i) for i in ids[:3])
    assert (box3.phase, box3.stability, box3.reviews) == (Phase.REVIEW, 3.0, 2)
    assert box3.due is not None and box3.due.isoformat() == "2026-01-07T10:00:00+00:00"
    assert (box1.phase, box1.step, box1.lapses, box1.last_grade) == (
        Phase.LEARNING, 0, 1, Grade.AGAIN)
    assert (box5.phase, box5.stability) == (Phase.REVIEW, 16.0)

    # What was due stays due, what was planned stays planned.
    sched = schedule(FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)))
    assert sched.due_cards(ids, progress.cards) == [ids[1], *ids[3:]]
    stats = compute_stats(progress, sched, ids)
    assert stats.phases[Phase.REVIEW] == 2 and stats.new == len(ids) - 3

    # The next save writes format 2; it reads back the same.
    store.save(progress)
    assert json.loads(store.path_for(deck.id).read_text())["format"] == 2
    assert store.load(deck).cards == progress.cards
