"""The rich front end of a `catdetector learn` review session, its closing lines and stats."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from catdetector.cli._common import console, console_err, print_json
from catdetector.learn.deck import Card, CardKind
from catdetector.learn.progress import DeckStats
from catdetector.learn.schedule import CardState, Grade, Schedule, parse_grade
from catdetector.learn.session import (
    Ended,
    EndOfInput,
    QuestionInfo,
    ScriptedInput,
    SessionResult,
)


def when(moment: datetime | None, now: datetime) -> str:
    """'in 3 days (2026-05-12 09:00)' style."""
    if moment is None:
        return "not planned"
    seconds = (moment - now).total_seconds()
    local = moment.astimezone().strftime("%Y-%m-%d %H:%M")
    if seconds <= 60:
        return f"now ({local})"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size * 0.95:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''} ({local})"
    return f"soon ({local})"


def _status(state: CardState) -> str:
    """'new', or the FSRS phase and stability of a card."""
    if state.is_new:
        return "new"
    if state.stability is None:
        return state.phase.value
    return f"{state.phase.value}, stability {state.stability:.1f} d"


class RichSessionIO:
    """The session's I/O on a rich console: prompts, or echoed scripted lines."""

    def __init__(self, out: Console, scripted: ScriptedInput | None, schedule: Schedule) -> None:
        self.out = out
        self.scripted = scripted
        self.schedule = schedule

    def _prompt(self, prompt: str) -> str:
        try:
            return self.out.input(prompt)
        except EOFError:
            raise EndOfInput from None

    def show_question(self, card: Card, info: QuestionInfo) -> None:
        """Rule with the part and position, then the question in a panel."""
        where = escape(card.part) if card.part else "Question"
        self.out.print()
        self.out.rule(f"{where}  [dim]· card {info.number} · {info.remaining} left · "
                      f"{_status(info.state)}")
        title = {CardKind.FLASHCARD: "Question", CardKind.SCENARIO: "Scenario",
                 CardKind.TASK: "Task"}[card.kind]
        self.out.print(Panel(card.question_markup, title=title, title_align="left",
                             border_style="cyan"))

    def ask_answer(self, card: Card) -> str:
        """Typed answer (Enter alone is fine)."""
        if self.scripted is None:
            return self._prompt("[bold]Your answer[/bold] (Enter to reveal): ")
        typed = self.scripted.answer()
        self.out.print(f"[bold]Your answer:[/bold] {escape(typed)}")
        return typed

    def show_answer(self, card: Card, typed: str) -> None:
        """The answer in a green panel."""
        label = card.reveal_label or "Answer"
        label = label[:1].upper() + label[1:]
        self.out.print(Panel(card.answer_markup, title=escape(label), title_align="left",
                             border_style="green"))

    def ask_grade(self, card: Card) -> Grade:
        """Self-grade: again / good / easy."""
        if self.scripted is not None:
            grade = self.scripted.grade()
            self.out.print(f"[bold]Grade:[/bold] {grade.value}")
            return grade
        while True:
            text = self._prompt("[bold]Grade[/bold] — [red]a[/red]gain, [yellow]g[/yellow]ood, "
                                "[green]e[/green]asy: ")
            parsed = parse_grade(text)
            if parsed is not None:
                return parsed
            self.out.print("[dim]type again, good or easy (or a, g, e)[/dim]")

    def show_graded(self, card: Card, grade: Grade, state: CardState) -> None:
        """Where the card went."""
        if self.schedule.in_session(state):
            where = "again in this session"
        else:
            where = f"next review {when(state.due, self.schedule.now())}"
        self.out.print(f"[dim]→ {state.phase.value}, {where}[/dim]")


def report(result: SessionResult, schedule: Schedule, progress_file: str) -> None:
    """The closing lines of a session; exit 130 after Ctrl-C."""
    now = schedule.now()
    nxt = f"next review {when(result.next_due, now)}" if result.next_due else ""
    if result.ended is Ended.NOTHING_DUE:
        console.print(f"Nothing is due in this deck; {nxt or 'no review planned'}."
                      " (--reset starts over)")
        return
    grades = ", ".join(f"{g.value} {result.grades[g]}" for g in Grade if result.grades[g])
    console.print()
    summary = f"Reviewed {result.reviewed} card{'s' if result.reviewed != 1 else ''}"
    console.print(summary + (f" ({grades})." if grades else "."))
    if result.ended is Ended.INTERRUPTED:
        console_err.print(f"[yellow]interrupted:[/yellow] progress saved "
                          f"({escape(progress_file)})")
        raise typer.Exit(130)
    if result.ended is Ended.END_OF_INPUT:
        console.print(f"End of input: progress saved; {result.due_left} still due.")
        return
    console.print(f"All done for now; {nxt}." if nxt else "All done for now.")


def show_stats(rows: list[DeckStats], schedule: Schedule, folder: str, as_json: bool) -> None:
    """The progress of decks as a table (or JSON)."""
    if as_json:
        print_json([r.to_json() for r in rows])
        return
    now = schedule.now()
    table = Table(title="catdetector learn: progress", title_justify="left")
    # a deck's title whole when it fits beside the figures (up to 32 characters at 80 columns)
    title_width = min(max((len(r.title) for r in rows), default=20), 32)
    table.add_column("Deck", ratio=1, min_width=max(title_width, 20))
    for name in ("Cards", "New", "Learn", "Review", "Recall", "Due"):
        table.add_column(name, justify="right")
    table.add_column("Next", no_wrap=True)
    for r in rows:
        learning = sum(n for phase, n in r.phases.items() if phase.value != "review")
        review = sum(n for phase, n in r.phases.items() if phase.value == "review")
        recall = f"{r.recall:.0%}" if r.recall is not None else "-"
        nxt = when(r.next_due, now).split(" (")[0].removeprefix("in ") if r.next_due else "-"
        table.add_row(escape(r.title), str(r.total), str(r.new), str(learning), str(review),
                      recall, str(r.due_now), nxt)
    console.print(table)
    console.print("[dim]Learn: cards in a learning or relearning step. Recall: FSRS's estimate "
                  "that you remember the cards you have seen. Next: the next card due.[/dim]")
    console.print(f"[dim]Progress folder: {escape(folder)}[/dim]", soft_wrap=True)
