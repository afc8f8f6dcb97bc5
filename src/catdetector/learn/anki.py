"""A deck as an Anki package (``.apkg``), written with ``genanki``.

One note per card with the fields Question, Answer (HTML from the deck's
Markdown), Part and CardId. The Anki ids of the deck and its note type and
each note's guid derive from the deck's and the cards' ids, so importing a new
export of the same deck updates its notes instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import genanki

from catdetector.core.errors import UsageError
from catdetector.core.fsutil import write_bytes
from catdetector.learn.deck import Deck

CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; max-width: 46em;
        margin: 0 auto; }
code { background: #eee; padding: 0 .2em; border-radius: 3px; }
.part { color: #888; font-size: 14px; }
"""
FRONT = '<div class="part">{{Part}}</div>\n{{Question}}'
BACK = '{{FrontSide}}\n<hr id="answer">\n{{Answer}}'


def _anki_id(text: str) -> int:
    """A stable id in the range genanki recommends (between 2**30 and 2**31)."""
    return (1 << 30) + int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % (1 << 30)


def _tag(text: str) -> str:
    """A tag: Anki tags cannot hold spaces."""
    return re.sub(r"[^\w:-]+", "_", text).strip("_")


def anki_package(deck: Deck) -> genanki.Package:
    """The genanki package of a deck."""
    model = genanki.Model(
        _anki_id(f"catdetector note type 1\n{deck.id}"),
        "catdetector card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Part"}, {"name": "CardId"}],
        templates=[{"name": "Card", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
        sort_field_index=0,
    )
    anki_deck = genanki.Deck(_anki_id(deck.id), deck.title,
                             description=f"Exported by catdetector from {deck.source}")
    for card in deck.cards:
        tags = ["catdetector", card.kind.value] + ([_tag(card.part)] if card.part else [])
        anki_deck.add_note(genanki.Note(
            model=model,
            fields=[card.question_html, card.answer_html, card.part or "", card.id],
            guid=genanki.guid_for(deck.id, card.id),
            tags=tags,
        ))
    return genanki.Package(anki_deck)


def export_anki(deck: Deck, path: Path) -> int:
    """Write the deck to ``path`` as an Anki package, atomically; the number of notes."""
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder",
                         hint="give a file name, e.g. module1.apkg")
    with tempfile.TemporaryDirectory(prefix="catdetector-anki-") as tmp:
        built = Path(tmp) / "deck.apkg"
        anki_package(deck).write_to_file(str(built))
        data = built.read_bytes()
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return len(deck.cards)
