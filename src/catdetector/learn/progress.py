"""Progress per deck, as JSON in the user's data folder.

The folder is ``platformdirs.user_data_dir("catdetector")/learn``, or
``$CATDETECTOR_DATA_DIR/learn`` when that variable is set (tests use it). One
file per deck, named by the deck id; each write goes to a temporary file in the
same folder that then replaces the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from catdetector.core.errors import DeckError
from catdetector.learn.deck import Deck
from catdetector.learn.schedule import NEW, CardState, Grade, Leitner

FORMAT_VERSION = 1
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
                    "box": s.box,
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
        """Inverse of :meth:`to_json`; raises KeyError/ValueError/TypeError on bad data."""
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown format {data.get('format')!r}")
        cards = {
            str(cid): CardState(
                box=int(c["box"]),
                due=_parse_iso(c["due"]),
                reviews=int(c["reviews"]),
                lapses=int(c.get("lapses", 0)),
                last_review=_parse_iso(c.get("last_review")),
                last_grade=Grade(c["last_grade"]) if c.get("last_grade") else None,
            )
            for cid, c in data["cards"].items()
        }
        return cls(
            deck_id=str(data["deck_id"]),
            title=str(data["title"]),
            source=str(data["source"]),
            cards=cards,
            sessions=int(data.get("sessions", 0)),
            updated=_parse_iso(data.get("updated")),
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
        """Write a deck's progress atomically (temp file + os.replace)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path_for(progress.deck_id)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(progress.to_json(), handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
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
    boxes: dict[int, int]
    due_now: int
    next_due: datetime | None
    reviews: int
    sessions: int
    last_review: datetime | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "deck_id": self.deck_id,
            "title": self.title,
            "source": self.source,
            "cards": self.total,
            "new": self.new,
            "boxes": {str(k): v for k, v in self.boxes.items()},
            "due_now": self.due_now,
            "next_due": _iso(self.next_due),
            "reviews": self.reviews,
            "sessions": self.sessions,
            "last_review": _iso(self.last_review),
        }


def compute_stats(
    progress: DeckProgress, schedule: Leitner, card_ids: Iterable[str] | None = None
) -> DeckStats:
    """Stats of a deck's progress; ``card_ids`` limits them to the deck's current cards."""
    ids = list(card_ids) if card_ids is not None else list(progress.cards)
    states = [progress.state(c) for c in ids]
    seen = [s for s in states if not s.is_new]
    boxes = {b: 0 for b in range(1, schedule.max_box + 1)}
    for s in seen:
        boxes[min(max(s.box, 1), schedule.max_box)] += 1
    return DeckStats(
        deck_id=progress.deck_id,
        title=progress.title,
        source=progress.source,
        total=len(ids),
        new=len(states) - len(seen),
        boxes=boxes,
        due_now=sum(1 for s in states if schedule.is_due(s)),
        next_due=schedule.next_due(ids, progress.cards),
        reviews=sum(s.reviews for s in states),
        sessions=progress.sessions,
        last_review=max((s.last_review for s in seen if s.last_review), default=None),
    )
