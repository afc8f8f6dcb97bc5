"""Progress per deck, as JSON in the user's data folder.

The folder is ``platformdirs.user_data_dir("catdetector")/learn``, or
``$CATDETECTOR_DATA_DIR/learn`` when that variable is set (tests use it). One
file per deck, named by the deck id; each write is atomic
(:func:`catdetector.core.fsutil.write_json`), so a crash never leaves half a file.

Format 2 holds FSRS states; a format 1 file (the Leitner boxes of earlier
versions) is read and carried over (:func:`~catdetector.learn.schedule.from_leitner`),
and written as format 2 at the next save.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from catdetector.core.errors import DeckError
from catdetector.core.fsutil import write_json
from catdetector.learn.deck import Deck
from catdetector.learn.schedule import NEW, CardState, Grade, Phase, Schedule, from_leitner

FORMAT_VERSION = 2
LEITNER_FORMAT = 1
DATA_DIR_ENV = "CATDETECTOR_DATA_DIR"


def data_dir() -> Path:
    """The catdetector data folder (``$CATDETECTOR_DATA_DIR`` wins)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("catdetector", appauthor=False))


@dataclass
class DeckProgress:
    """Schedule state of every card of one deck, plus a little history."""

    deck_id: str
    title: str
    source: str
    cards: dict[str, CardState] = field(default_factory=dict)
    sessions: int = 0
    updated: datetime | None = None

    def state(self, card_id: str) -> CardState:
        """The state of a card (a new state if it was never graded)."""
        return self.cards.get(card_id, NEW)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "format": FORMAT_VERSION,
            "deck_id": self.deck_id,
            "title": self.title,
            "source": self.source,
            "sessions": self.sessions,
            "updated": _iso(self.updated),
            "cards": {
                cid: {
                    "phase": s.phase.value,
                    "step": s.step,
                    "stability": s.stability,
                    "difficulty": s.difficulty,
                    "due": _iso(s.due),
                    "reviews": s.reviews,
                    "lapses": s.lapses,
                    "last_review": _iso(s.last_review),
                    "last_grade": s.last_grade.value if s.last_grade else None,
                }
                for cid, s in self.cards.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeckProgress:
        """Inverse of :meth:`to_json` (format 1 is migrated); KeyError/ValueError/TypeError."""
        version = data.get("format")
        if version not in (FORMAT_VERSION, LEITNER_FORMAT):
            raise ValueError(f"unknown format {version!r}")
        read = _card_v2 if version == FORMAT_VERSION else _card_v1
        return cls(
            deck_id=str(data["deck_id"]),
            title=str(data["title"]),
            source=str(data["source"]),
            cards={str(cid): read(c) for cid, c in data["cards"].items()},
            sessions=int(data.get("sessions", 0)),
            updated=_parse_iso(data.get("updated")),
        )


def _grade(value: Any) -> Grade | None:
    return Grade(value) if value else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _card_v2(c: dict[str, Any]) -> CardState:
    """A card of a format 2 (FSRS) file."""
    return CardState(
        phase=Phase(c["phase"]),
        step=None if c.get("step") is None else int(c["step"]),
        stability=_float(c.get("stability")),
        difficulty=_float(c.get("difficulty")),
        due=_parse_iso(c["due"]),
        reviews=int(c["reviews"]),
        lapses=int(c.get("lapses", 0)),
        last_review=_parse_iso(c.get("last_review")),
        last_grade=_grade(c.get("last_grade")),
    )


def _card_v1(c: dict[str, Any]) -> CardState:
    """A card of a format 1 (Leitner) file, carried over to FSRS."""
    return from_leitner(
        box=int(c["box"]),
        due=_parse_iso(c["due"]),
        reviews=int(c["reviews"]),
        lapses=int(c.get("lapses", 0)),
        last_review=_parse_iso(c.get("last_review")),
        last_grade=_grade(c.get("last_grade")),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ProgressStore:
    """Reads and atomically writes deck progress files under one folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root if root is not None else data_dir()) / "learn"

    def path_for(self, deck_id: str) -> Path:
        """The progress file of a deck id."""
        return self.root / f"{deck_id}.json"

    def load(self, deck: Deck) -> DeckProgress:
        """The saved progress of a deck, or a fresh one."""
        path = self.path_for(deck.id)
        if not path.exists():
            return DeckProgress(deck_id=deck.id, title=deck.title, source=deck.source)
        progress = self._read(path)
        progress.title, progress.source = deck.title, deck.source
        return progress

    def _read(self, path: Path) -> DeckProgress:
        try:
            return DeckProgress.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DeckError(
                f"progress file {path} is unreadable or corrupt ({exc})",
                hint="move it away, or run `catdetector learn --reset` for that deck",
            ) from None

    def save(self, progress: DeckProgress) -> Path:
        """Write a deck's progress atomically."""
        path = self.path_for(progress.deck_id)
        write_json(path, progress.to_json())
        return path

    def reset(self, deck: Deck) -> bool:
        """Forget a deck's progress; True if there was any."""
        path = self.path_for(deck.id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def all(self) -> list[DeckProgress]:
        """Progress of every deck that has some, by title."""
        if not self.root.is_dir():
            return []
        found = [self._read(p) for p in sorted(self.root.glob("*.json"))]
        return sorted(found, key=lambda p: (p.title.lower(), p.deck_id))


@dataclass(frozen=True)
class DeckStats:
    """A summary of where a deck stands."""

    deck_id: str
    title: str
    source: str
    total: int
    new: int
    phases: dict[Phase, int]
    due_now: int
    next_due: datetime | None
    reviews: int
    sessions: int
    last_review: datetime | None
    recall: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "deck_id": self.deck_id,
            "title": self.title,
            "source": self.source,
            "cards": self.total,
            "new": self.new,
            "phases": {k.value: v for k, v in self.phases.items()},
            "recall": None if self.recall is None else round(self.recall, 3),
            "due_now": self.due_now,
            "next_due": _iso(self.next_due),
            "reviews": self.reviews,
            "sessions": self.sessions,
            "last_review": _iso(self.last_review),
        }


def compute_stats(
    progress: DeckProgress, schedule: Schedule, card_ids: Iterable[str] | None = None
) -> DeckStats:
    """Stats of a deck's progress; ``card_ids`` limits them to the deck's current cards.

    ``recall`` is FSRS's mean probability that the learner recalls a seen card now.
    """
    ids = list(card_ids) if card_ids is not None else list(progress.cards)
    states = [progress.state(c) for c in ids]
    seen = [s for s in states if not s.is_new]
    phases: dict[Phase, int] = {p: 0 for p in Phase if p is not Phase.NEW}
    for s in seen:
        phases[s.phase] += 1
    recalls = [r for s in seen if (r := schedule.recall(s)) is not None]
    return DeckStats(
        deck_id=progress.deck_id,
        title=progress.title,
        source=progress.source,
        total=len(ids),
        new=len(states) - len(seen),
        phases=phases,
        due_now=sum(1 for s in states if schedule.is_due(s)),
        next_due=schedule.next_due(ids, progress.cards),
        reviews=sum(s.reviews for s in states),
        sessions=progress.sessions,
        last_review=max((s.last_review for s in seen if s.last_review), default=None),
        recall=sum(recalls) / len(recalls) if recalls else None,
    )
