"""The rich front end of `catdetector learn lab`, and its closing lines."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from catdetector.cli._common import console, console_err
from catdetector.core.errors import UsageError
from catdetector.learn.deck import CardKind, builtin_deck
from catdetector.learn.lab import (
    COURSE_RISKS,
    RISK_NAMES,
    ActionResult,
    Choice,
    Diagnosis,
    LabEnded,
    LabResult,
    Sandbox,
    Step,
    StepOutcome,
    parse_choice,
)
from catdetector.learn.session import EndOfInput, ScriptedInput

if TYPE_CHECKING:
    from catdetector.assess import Report


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
            near = diagnosis.partial.get(i)
            label = f"→ {RISK_NAMES[risk]}" if risk else "→ not one of the course's three"
            if near:
                label = (f"→ close to {RISK_NAMES[near[0]]}, but it does not say "
                         + "; nor ".join(near[1]))
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
            Panel(render_report(report), title="catdetector assess catdetector-ai",
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
        current: Path | None = None
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


def render_report(report: Report) -> str:
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

def lab_report(result: LabResult) -> None:
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
    level = (report.level or 0) if report is not None else 0
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
