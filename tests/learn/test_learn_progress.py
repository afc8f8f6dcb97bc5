"""Progress files: where they live, round trips, atomic writes, corrupt files, stats."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from catdetector.core.errors import DeckError
from catdetector.learn.deck import builtin_deck, load_deck
from catdetector.learn.progress import DeckProgress, ProgressStore, compute_stats, data_dir
from catdetector.learn.schedule import NEW, Grade, Leitner

from .conftest import SEED
from .test_learn_schedule import T0, FakeClock


def test_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CATDETECTOR_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert ProgressStore().root == tmp_path / "learn"
    monkeypatch.delenv("CATDETECTOR_DATA_DIR")
    assert data_dir().name == "catdetector"


def test_round_trip(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    deck = load_deck(SEED)
    leitner = Leitner(clock=FakeClock())
    progress = store.load(deck)
    assert progress.cards == {} and progress.deck_id == deck.id
    progress.cards[deck.cards[0].id] = leitner.review(NEW, Grade.GOOD)
    progress.cards[deck.cards[1].id] = leitner.review(NEW, Grade.AGAIN)
    progress.sessions = 2
    path = store.save(progress)
    assert path == tmp_path / "learn" / f"{deck.id}.json"
    again = store.load(deck)
    assert again.cards == progress.cards and again.sessions == 2
    assert json.loads(path.read_text())["cards"][deck.cards[0].id]["last_grade"] == "good"
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


@pytest.mark.parametrize("content", ["{not json", '{"format": 7}', '{"format": 1}', "[]"])
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
    leitner = Leitner(clock=clock)
    progress = DeckProgress(deck_id=deck.id, title=deck.title, source=deck.source)
    ids = [c.id for c in deck.cards]
    progress.cards[ids[0]] = leitner.review(NEW, Grade.GOOD)
    progress.cards[ids[1]] = leitner.review(NEW, Grade.EASY)
    progress.cards[ids[2]] = leitner.review(NEW, Grade.AGAIN)
    stats = compute_stats(progress, leitner, ids)
    assert (stats.total, stats.new, stats.due_now, stats.reviews) == (
        len(ids), len(ids) - 3, len(ids) - 2, 3
    )
    assert stats.boxes == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
    assert stats.next_due == T0 + timedelta(days=1)
    assert stats.to_json()["boxes"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}
