"""`catdetector learn`: flashcards with spaced repetition, and the CatDetector.ai lab."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from catdetector.cli._common import console, console_err, print_json
from catdetector.core.errors import CatDetectorError, UsageError
from catdetector.learn.deck import BUILTIN_PREFIX, Card, CardKind, Deck, builtin_deck, load_deck
from catdetector.learn.lab import (
    COURSE_RISKS,
    RISK_NAMES,
    ActionResult,
    Choice,
    Diagnosis,
    Lab,
    LabEnded,
    LabResult,
    Sandbox,
    Step,
    StepOutcome,
    create_sandbox,
    parse_choice,
)
from catdetector.learn.progress import DeckStats, ProgressStore, compute_stats
from catdetector.learn.schedule import CardState, Grade, Leitner, parse_grade
from catdetector.learn.session import (
    Ended,
    EndOfInput,
    QuestionInfo,
    ScriptedInput,
    Session,
    SessionResult,
)

if TYPE_CHECKING:
    from catdetector.assess import Report

HELP = """\
Learn Module 1 with spaced-repetition flashcards, or fix CatDetector.ai in a lab.

\b
  catdetector learn                 the built-in Module 1 deck
  catdetector learn DECK.md         any deck in the course's Markdown format
  catdetector learn --stats         progress of every deck (or of DECK.md)
  catdetector learn DECK.md --reset forget a deck's progress
  catdetector learn lab [DIR]       the lab (default DIR: ./catdetector-lab)

For each card: read the question, type your answer (or just press Enter),
see the answer, then grade yourself: again, good or easy (a/g/e). A Leitner
schedule decides when each card comes back; progress is saved after every
grade, in the user data folder (or $CATDETECTOR_DATA_DIR). Ctrl-C saves and leaves.

Non-interactive mode: with --answers FILE (- for stdin), or when stdin is not
a terminal, input is read line by line. Deck: for each card, one answer line
(may be empty) then one grade line (again|good|easy). Lab: one line for the
maturity level, three lines for the risks, then one line per step: `run`
(the lab runs the commands), `check` or empty (you ran them), `skip`, `quit`;
with --auto every step runs without reading a line (and missing diagnosis lines
count as blank). End of input saves and exits. A lab folder that was started
resumes where it stopped; its diagnosis is asked only once. A deck file
literally named `lab` is given as ./lab.
"""


def register(app: typer.Typer) -> None:
    """Attach the learn command."""

    @app.command("learn", help=HELP)
    def learn(
        target: Annotated[
            str | None,
            typer.Argument(metavar="[DECK.md|lab]", help="A deck file, or `lab`."),
        ] = None,
        directory: Annotated[
            Path | None,
            typer.Argument(metavar="[DIR]", help="With `lab`: the sandbox folder."),
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
    ) -> None:
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


class RichSessionIO:
    """The session's I/O on a rich console: prompts, or echoed scripted lines."""

    def __init__(self, out: Console, scripted: ScriptedInput | None, schedule: Leitner) -> None:
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
        status = "new" if info.state.is_new else f"box {info.state.box}"
        self.out.print()
        self.out.rule(f"{where}  [dim]· card {info.number} · {info.remaining} left · {status}")
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
            grade = parse_grade(text)
            if grade is not None:
                return grade
            self.out.print("[dim]type again, good or easy (or a, g, e)[/dim]")

    def show_graded(self, card: Card, grade: Grade, state: CardState) -> None:
        """Where the card went."""
        if state.due is None or self.schedule.is_due(state):
            when = "again in this session"
        else:
            when = f"next review {_when(state.due, self.schedule.now())}"
        self.out.print(f"[dim]→ box {state.box}, {when}[/dim]")


def _run_session(deck: Deck, store: ProgressStore, answers: Path | None) -> None:
    schedule = Leitner()
    with _input_lines(answers) as scripted:
        console.print(f"[bold]{escape(deck.title)}[/bold] [dim]({len(deck.cards)} cards)[/dim]")
        io = RichSessionIO(console, scripted, schedule)
        result = Session(deck, io, store, schedule).run()
    _report(result, schedule, store)


def _report(result: SessionResult, schedule: Leitner, store: ProgressStore) -> None:
    """The closing lines of a session; exit 130 after Ctrl-C."""
    now = schedule.now()
    nxt = f"next review {_when(result.next_due, now)}" if result.next_due else ""
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
                          f"({escape(str(store.path_for(result.deck.id)))})")
        raise typer.Exit(130)
    if result.ended is Ended.END_OF_INPUT:
        console.print(f"End of input: progress saved; {result.due_left} still due.")
        return
    console.print(f"All done for now; {nxt}." if nxt else "All done for now.")


def _when(moment: datetime | None, now: datetime) -> str:
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


# -------------------------------------------------------------------- stats


def _stats_for(store: ProgressStore, deck: Deck | None, schedule: Leitner) -> list[DeckStats]:
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
    schedule = Leitner()
    rows = _stats_for(store, deck, schedule)
    if as_json:
        print_json([r.to_json() for r in rows])
        return
    now = schedule.now()
    table = Table(title="catdetector learn: progress", title_justify="left")
    table.add_column("Deck", ratio=1, min_width=20)
    table.add_column("Cards", justify="right")
    table.add_column("New", justify="right")
    table.add_column(f"Box 1-{schedule.max_box}", justify="center", no_wrap=True)
    table.add_column("Due", justify="right")
    table.add_column("Next review", no_wrap=True)
    for r in rows:
        boxes = " ".join(str(r.boxes[b]) for b in range(1, schedule.max_box + 1))
        nxt = _when(r.next_due, now).split(" (")[0] if r.next_due else "-"
        table.add_row(escape(r.title), str(r.total), str(r.new), boxes, str(r.due_now), nxt)
    console.print(table)
    console.print(f"[dim]progress folder: {escape(str(store.root))}[/dim]")


# ---------------------------------------------------------------------- lab

DEFAULT_LAB_DIR = Path("catdetector-lab")


class RichLabIO:
    """The lab's I/O on a rich console: prompts, or echoed scripted lines."""

    def __init__(self, out: Console, scripted: ScriptedInput | None) -> None:
        self.out = out
        self.scripted = scripted

    def _line(self, prompt: str) -> str:
        if self.scripted is None:
            try:
                return self.out.input(prompt)
            except EOFError:
                raise EndOfInput from None
        text = self.scripted.read_line()
        self.out.print(f"{prompt}{escape(text)}")
        return text

    def show_intro(self, sandbox: Sandbox, resumed: bool) -> None:
        """The story, and where the sandbox is."""
        story = next(c for c in builtin_deck("module1").cards if c.kind is CardKind.SCENARIO)
        self.out.rule("[bold]The CatDetector.ai lab")
        self.out.print(Panel(story.question_markup, title="Scenario", title_align="left",
                             border_style="cyan"))
        where = escape(str(sandbox.root))
        if resumed:
            self.out.print(f"Continuing the lab in [bold]{where}[/bold].")
        else:
            self.out.print(f"The broken startup is in [bold]{where}[/bold]:")
        self.out.print("  [cyan]catdetector-ai/[/cyan]  Bob's laptop: train.py, data/, model.h5, "
                       "and Alice's API in server/ (no git, no DVC)\n"
                       "  [cyan]alice-server/[/cyan]    Alice's server: models/model.h5, the "
                       "copy Bob emailed")

    def ask(self, prompt: str) -> str:
        """One line of the diagnosis."""
        return self._line(f"[bold]{escape(prompt)}[/bold] ")

    def show_diagnosis(self, diagnosis: Diagnosis, report: Report) -> None:
        """Learner's answers, then the course's answer beside assess."""
        ok, ko = "[green]✓[/green]", "[red]✗[/red]"
        self.out.print()
        self.out.print(f"Your diagnosis: {diagnosis.score}/4")
        self.out.print(f"  {ok if diagnosis.level_ok else ko} maturity level: "
                       f"{escape(diagnosis.level_answer) or '(no answer)'}")
        for i, answer in enumerate(diagnosis.risk_answers):
            risk = diagnosis.matched.get(i)
            other = diagnosis.others.get(i)
            label = f"→ {RISK_NAMES[risk]}" if risk else "→ not one of the course's three"
            if other:
                label += f" (a real problem too: assess calls it {other})"
            label = f"[dim]{label}[/dim]"
            self.out.print(f"  {ok if risk else ko} {escape(answer) or '(no answer)'} {label}")
        missed = [RISK_NAMES[r] for r in COURSE_RISKS if r not in diagnosis.named]
        if missed:
            self.out.print(f"  missed: {', '.join(missed)}")
        scenario = next(c for c in builtin_deck("module1").cards if c.kind is CardKind.SCENARIO)
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(
            Panel(scenario.answer_markup, title="The course's diagnosis", title_align="left",
                  border_style="green"),
            Panel(_render_report(report), title="catdetector assess catdetector-ai",
                  title_align="left", border_style="magenta"),
        )
        self.out.print(grid)

    def show_step(self, step: Step, number: int, total: int, sandbox: Sandbox) -> None:
        """The step's title, why, and its commands with the folder to run them in."""
        self.out.print()
        self.out.rule(f"[bold]Step {number}/{total}[/bold]  [dim]{escape(step.part)}")
        self.out.print(f"[bold]{escape(step.title)}[/bold]")
        self.out.print(f"[dim]{escape(step.why)}[/dim]")
        lines: list[str] = []
        current: str | None = None
        for action in step.actions:
            folder = sandbox.place(action.where)
            if folder != current:
                lines.append(f"cd {shlex.quote(str(folder))}")
                current = folder
            lines.append(action.display())
        self.out.print(Panel(escape("\n".join(lines)), title="commands", title_align="left",
                             border_style="blue"))

    def choose(self, step: Step) -> Choice:
        """Run / check / skip / quit."""
        prompt = ("[bold]Enter[/bold] = I ran them, check · [bold]r[/bold] = run them for me · "
                  "[bold]s[/bold] = skip · [bold]q[/bold] = quit: ")
        while True:
            text = self._line(prompt)
            choice = parse_choice(text)
            if choice is not None:
                return choice
            if self.scripted is not None:
                raise UsageError(
                    f"{self.scripted.name}, line {self.scripted.line_no}: "
                    f"unknown lab choice {text.strip()!r}",
                    hint="expected run, check (or an empty line), skip or quit",
                )
            self.out.print("[dim]type Enter, r, s or q[/dim]")

    def show_action(self, result: ActionResult) -> None:
        """One command the lab ran."""
        mark = "[green]✓[/green]" if result.ok else f"[red]✗ exit {result.returncode}[/red]"
        first = result.action.display().splitlines()[0]
        self.out.print(f"  {mark} [dim]$ {escape(first)}[/dim]")
        if not result.ok and result.output:
            tail = "\n".join(result.output.splitlines()[-8:])
            self.out.print(Panel(escape(tail), border_style="red"))

    def show_outcome(self, outcome: StepOutcome) -> None:
        """The check, then what assess says now."""
        check = outcome.check
        mark = "[green]✓[/green]" if check.ok else "[red]✗[/red]"
        self.out.print(f"{mark} {escape(check.detail)}")
        report = outcome.report
        for gone in outcome.gone:
            self.out.print(f"  [green]risk gone:[/green] {gone}")
        for new in outcome.appeared:
            self.out.print(f"  [yellow]new finding:[/yellow] {new}")
        for stays in (r for r in outcome.step.removes if check.ok and r in report.ids):
            self.out.print(f"  [yellow]still reported:[/yellow] {stays} (this step should end it)")
        left = [r for r in COURSE_RISKS if r in report.ids]
        blockers = [f.id for f in report.findings if f.blocks_level <= 1]
        summary = f"assess: [bold]Level {report.level}[/bold] ({report.level_name})"
        if left:
            summary += f" · course risks left: {', '.join(left)}"
        elif blockers:
            summary += f" · Level 1 blockers: {', '.join(blockers)}"
        else:
            summary += " · none of the three course risks remains"
        self.out.print(summary)


def _render_report(report: Report) -> str:
    """A compact rich rendering of an assess report."""
    lines = [f"[bold]Level {report.level}[/bold] ({escape(report.level_name)})", ""]
    for finding in report.findings:
        if finding.blocks_level > 1:
            continue
        course = finding.id in COURSE_RISKS
        name = f"[bold]{finding.id}[/bold]" if course else finding.id
        lines.append(f"• {name} [dim]({finding.severity})[/dim]")
        for ev in finding.evidence[:2]:
            where = f"{ev.location()}: " if ev.location() else ""
            lines.append(f"  [dim]{escape(where + ev.detail)}[/dim]")
    later = [f.id for f in report.findings if f.blocks_level > 1]
    if later:
        lines.append("")
        lines.append(f"[dim]and {len(later)} finding(s) that block Level 2[/dim]")
    return "\n".join(lines)


def _run_lab(directory: Path | None, answers: Path | None, auto: bool) -> None:
    root = directory if directory is not None else DEFAULT_LAB_DIR
    with _input_lines(answers) as scripted:
        sandbox, resumed = create_sandbox(root)
        io = RichLabIO(console, scripted)
        result = Lab(sandbox, io, auto=auto, resumed=resumed).run()
    _lab_report(result)


def _lab_report(result: LabResult) -> None:
    """The lab's closing lines; exit 130 after Ctrl-C."""
    where = escape(str(result.sandbox.root))
    console.print()
    if result.ended is LabEnded.INTERRUPTED:
        console_err.print(f"[yellow]interrupted:[/yellow] lab progress saved in {where}; "
                          "run the same command to continue")
        raise typer.Exit(130)
    report = result.report
    done = len(result.completed)
    if result.ended is not LabEnded.DONE:
        how = "end of input" if result.ended is LabEnded.END_OF_INPUT else "stopped"
        console.print(f"{how.capitalize()}: {done} step(s) done; lab progress saved in {where}. "
                      f"Run `catdetector learn lab {where}` to continue.")
        return
    level = report.level if report is not None else 0
    if level >= 1:
        console.print(f"[bold green]Level {level} reached:[/bold green] assess reports "
                      f"Level {level} on {where}/catdetector-ai.")
        assert report is not None
        later = [f.id for f in report.findings]
        if later:
            console.print(f"[dim]On the way to Level 2: {', '.join(later)}[/dim]")
    else:
        skipped = ", ".join(result.skipped) or "none"
        console.print(f"The lab is over but assess still reports Level {level} "
                      f"(skipped steps: {skipped}).")
