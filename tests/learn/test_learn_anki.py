"""`catdetector learn export --anki FILE`: the deck as an Anki package (genanki)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from catdetector.learn.deck import builtin_deck, load_deck

from .conftest import SEED, RunCli


def _notes(apkg: Path, tmp_path: Path) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """(fields, guid, tags) of every note in an .apkg, and its deck names by id."""
    with zipfile.ZipFile(apkg) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", tmp_path / "unzipped")
    db = sqlite3.connect(tmp_path / "unzipped" / "collection.anki2")
    try:
        notes = db.execute("SELECT flds, guid, tags FROM notes ORDER BY id").fetchall()
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    finally:
        db.close()
    return notes, {k: v["name"] for k, v in decks.items()}


def test_export_the_builtin_deck(run_main: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "module1.apkg"
    proc = run_main(["learn", "export", "--anki", str(out)])
    assert proc.returncode == 0, proc.stderr
    deck = builtin_deck()
    assert f"{len(deck.cards)} cards" in proc.stdout and str(out) in " ".join(proc.stdout.split())
    notes, decks = _notes(out, tmp_path)
    assert deck.title in decks.values()
    assert len(notes) == len(deck.cards)
    for (fields, _, tags), card in zip(notes, deck.cards, strict=True):
        question, answer, part, card_id = fields.split("\x1f")
        assert card_id == card.id and question == card.question_html
        assert answer == card.answer_html and part == (card.part or "")
        assert card.kind.value in tags.split()
    first_question = notes[0][0].split("\x1f")[0]
    assert "How does MLOps differ from ModelOps?" in first_question
    scenario = next(n for n in notes if "scenario" in n[2].split())
    assert "<b>Bus factor</b>" in scenario[0].split("\x1f")[1]


def test_export_is_stable_and_takes_a_deck_file(run_main: RunCli, tmp_path: Path) -> None:
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    assert run_main(["learn", "export", str(SEED), "--anki", str(first)]).returncode == 0
    assert run_main(["learn", "export", str(SEED), "--anki", str(second)]).returncode == 0
    notes_a, _ = _notes(first, tmp_path / "1")
    notes_b, decks = _notes(second, tmp_path / "2")
    assert len(notes_a) == len(load_deck(SEED).cards) == 5
    # the same guids: importing again updates the notes instead of duplicating them
    assert [n[1] for n in notes_a] == [n[1] for n in notes_b]
    assert "Module 1 Exercises: Foundations" in decks.values()
    assert "🧠" not in notes_a[0][0] and "Q1: What is the main difference" in notes_a[0][0]


def test_export_errors_are_one_line(run_main: RunCli, tmp_path: Path) -> None:
    proc = run_main(["learn", "export"])
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: catdetector learn export needs --anki FILE")
    proc = run_main(["learn", "--anki", str(tmp_path / "x.apkg")])
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --anki goes with export")
    folder = tmp_path / "taken"
    folder.mkdir()
    proc = run_main(["learn", "export", "--anki", str(folder)])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {folder}")
    assert list(folder.iterdir()) == []  # nothing left behind
