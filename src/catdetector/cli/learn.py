"""`catdetector learn`: flashcards with spaced repetition (FSRS), the CatDetector.ai lab, and
the deck as an Anki package. The rich front ends live in ``_learn_session`` and ``_learn_lab``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.markup import escape

from catdetector.cli._common import console
from catdetector.cli._learn_lab import RichLabIO, lab_report
from catdetector.cli._learn_session import RichSessionIO, report, show_stats
from catdetector.core.errors import CatDetectorError, UsageError
from catdetector.learn.anki import export_anki
from catdetector.learn.deck import BUILTIN_PREFIX, Deck, builtin_deck, load_deck
from catdetector.learn.lab import Lab, create_sandbox
from catdetector.learn.progress import DeckStats, ProgressStore, compute_stats
from catdetector.learn.schedule import Schedule
from catdetector.learn.session import ScriptedInput, Session

HELP = """\
Learn Module 1 with spaced-repetition flashcards, or fix CatDetector.ai in a lab.

\b
  catdetector learn                 the built-in Module 1 deck
  catdetector learn DECK.md         any deck in the course's Markdown format
  catdetector learn --stats         progress of every deck (or of DECK.md)
  catdetector learn DECK.md --reset forget a deck's progress
  catdetector learn lab [DIR]       the lab, in DIR or ./catdetector-lab
  catdetector learn export --anki FILE [DECK.md]
                                    the deck as an Anki package (.apkg)

For each card: read the question, type your answer (or just press Enter),
see the answer, then grade yourself: again, good or easy (a/g/e). FSRS (as
in Anki) decides when each card comes back; progress is saved after every
grade, in the user data folder (or $CATDETECTOR_DATA_DIR). Ctrl-C saves and
leaves. `catdetector learn export` writes a deck for Anki itself.

\b
Non-interactive mode: with --answers FILE (- for stdin), or when stdin is
not a terminal, input is read line by line. Deck: for each card, one answer
line (may be empty) then one grade line (again|good|easy). Lab: one line for
the maturity level, three lines for the risks, then one line per step: `run`
(the lab runs the commands), `check` or empty (you ran them), `skip`,
`quit`; with --auto every step runs without reading a line (and missing
diagnosis lines count as blank). End of input saves and exits. A lab folder
that was started resumes where it stopped; its diagnosis is asked only once.
A deck file literally named `lab` or `export` is given as ./lab or ./export.
"""


def register(app: typer.Typer) -> None:
    """Attach the learn command."""

    @app.command("learn", help=HELP)
    def learn(
        target: Annotated[
            str | None,
            typer.Argument(metavar="[DECK.md|lab|export]",
                           help="A deck file, `lab`, or `export`."),
        ] = None,
        directory: Annotated[
            Path | None,
            typer.Argument(metavar="[DIR|DECK.md]",
                           help="With `lab`: the sandbox folder; with `export`: the deck."),
        ] = None,
        stats: Annotated[bool, typer.Option("--stats", help="Show progress and exit.")] = False,
        answers: Annotated[
            Path | None,
            typer.Option("--answers", metavar="FILE", help="Read answers from FILE (- = stdin)."),
        ] = None,
        reset: Annotated[
            bool, typer.Option("--reset", help="Forget the deck's progress and exit.")
        ] = False,
        auto: Annotated[
            bool, typer.Option("--auto", help="Lab: run every step's commands for you.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="With --stats: JSON.")] = False,
        anki: Annotated[
            Path | None,
            typer.Option("--anki", metavar="FILE", help="With `export`: the .apkg to write."),
        ] = None,
    ) -> None:
        if target == "export":
            if stats or reset or as_json or auto or answers is not None:
                raise UsageError("export takes only --anki FILE and a deck",
                                 hint="catdetector learn export --anki FILE [DECK.md]")
            _export(directory, anki)
            return
        if anki is not None:
            raise UsageError("--anki goes with export",
                             hint="catdetector learn export --anki FILE [DECK.md]")
        if target == "lab":
            if stats or reset or as_json:
                raise UsageError("--stats, --reset and --json are for decks, not for the lab")
            _run_lab(directory, answers, auto)
            return
        if directory is not None:
            raise UsageError(
                f"unexpected argument {str(directory)!r}",
                hint="only `catdetector learn lab DIR` takes a second argument",
            )
        if auto:
            raise UsageError("--auto is for the lab: catdetector learn lab --auto")
        if stats and reset:
            raise UsageError("--stats and --reset do not go together")
        store = ProgressStore()
        deck = _deck(target)
        if stats:
            _show_stats(store, deck if target else None, as_json)
            return
        if as_json:
            raise UsageError("--json goes with --stats")
        if reset:
            existed = store.reset(deck)
            what = "reset" if existed else "had no progress to reset"
            console.print(f"{escape(deck.title)}: {what}")
            return
        _run_session(deck, store, answers)


def _deck(target: str | None) -> Deck:
    """The deck named on the command line, or the built-in one."""
    if target is None:
        return builtin_deck("module1")
    return load_deck(Path(target))


# ------------------------------------------------------------------ session


@contextmanager
def _input_lines(answers: Path | None) -> Iterator[ScriptedInput | None]:
    """Scripted input from --answers or a non-terminal stdin; None when interactive."""
    if answers is None and sys.stdin is not None and sys.stdin.isatty():
        yield None
        return
    if answers is None or str(answers) == "-":
        yield ScriptedInput(sys.stdin if sys.stdin is not None else [], name="stdin")
        return
    try:
        handle: TextIO = answers.open(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"answers file not found: {answers}") from None
    except OSError as exc:
        raise UsageError(f"cannot read answers file {answers}: {exc.strerror}") from None
    with handle:
        yield ScriptedInput(_decoded(handle, answers), name=str(answers))


def _decoded(handle: TextIO, path: Path) -> Iterator[str]:
    """Lines of a text file, with a readable error for bytes that are not UTF-8."""
    try:
        yield from handle
    except UnicodeDecodeError:
        raise UsageError(f"answers file {path} is not UTF-8 text") from None


def _run_session(deck: Deck, store: ProgressStore, answers: Path | None) -> None:
    schedule = Schedule()
    with _input_lines(answers) as scripted:
        console.print(f"[bold]{escape(deck.title)}[/bold] [dim]({len(deck.cards)} cards)[/dim]")
        io = RichSessionIO(console, scripted, schedule)
        result = Session(deck, io, store, schedule).run()
    report(result, schedule, str(store.path_for(result.deck.id)))


# -------------------------------------------------------------------- stats


def _stats_for(store: ProgressStore, deck: Deck | None, schedule: Schedule) -> list[DeckStats]:
    if deck is not None:
        return [compute_stats(store.load(deck), schedule, [c.id for c in deck.cards])]
    rows: list[DeckStats] = []
    builtin = builtin_deck("module1")
    seen = {builtin.id}
    rows.append(compute_stats(store.load(builtin), schedule, [c.id for c in builtin.cards]))
    for progress in store.all():
        if progress.deck_id in seen:
            continue
        seen.add(progress.deck_id)
        ids: list[str] | None = None
        current = _try_deck(progress.source)
        if current is not None and current.id == progress.deck_id:
            ids = [c.id for c in current.cards]
        rows.append(compute_stats(progress, schedule, ids))
    return rows


def _try_deck(source: str) -> Deck | None:
    """The deck at a recorded source, if it still loads."""
    try:
        if source.startswith(BUILTIN_PREFIX):
            return builtin_deck(source.removeprefix(BUILTIN_PREFIX))
        return load_deck(Path(source))
    except CatDetectorError:
        return None


def _show_stats(store: ProgressStore, deck: Deck | None, as_json: bool) -> None:
    schedule = Schedule()
    show_stats(_stats_for(store, deck, schedule), schedule, str(store.root), as_json)


# ------------------------------------------------------------------- export


def _export(deck_file: Path | None, anki: Path | None) -> None:
    if anki is None:
        raise UsageError("catdetector learn export needs --anki FILE",
                         hint="catdetector learn export --anki module1.apkg [DECK.md]")
    deck = _deck(str(deck_file) if deck_file is not None else None)
    count = export_anki(deck, anki)
    console.print(f"{escape(deck.title)}: {count} cards written to {escape(str(anki))} "
                  "(an Anki package: in Anki, File > Import)")


# ---------------------------------------------------------------------- lab

DEFAULT_LAB_DIR = Path("catdetector-lab")


def _run_lab(directory: Path | None, answers: Path | None, auto: bool) -> None:
    root = directory if directory is not None else DEFAULT_LAB_DIR
    with _input_lines(answers) as scripted:
        sandbox, resumed = create_sandbox(root)
        io = RichLabIO(console, scripted)
        result = Lab(sandbox, io, auto=auto, resumed=resumed).run()
    lab_report(result)
