"""The lab's engine: the diagnosis, then every step, through a front end (:class:`LabIO`).

:class:`Lab` asks for the diagnosis (maturity level and three risks), reveals
it beside ``assess`` on the sandbox, and walks through the steps; every step is
checked by inspecting the sandbox and re-running assess. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from catdetector.core.errors import ExternalToolError, ProjectError
from catdetector.learn.lab.actions import ActionResult, run_action
from catdetector.learn.lab.checks import CheckResult
from catdetector.learn.lab.diagnosis import Diagnosis, score_diagnosis
from catdetector.learn.lab.sandbox import Sandbox, load_state, save_state
from catdetector.learn.lab.steps import Step, steps
from catdetector.learn.session import EndOfInput

if TYPE_CHECKING:
    from catdetector.assess import Report


class Choice(StrEnum):
    """What the learner does at a step."""

    RUN = "run"
    CHECK = "check"
    SKIP = "skip"
    QUIT = "quit"


_CHOICES = {"run": Choice.RUN, "r": Choice.RUN, "check": Choice.CHECK, "c": Choice.CHECK,
            "": Choice.CHECK, "done": Choice.CHECK, "skip": Choice.SKIP, "s": Choice.SKIP,
            "quit": Choice.QUIT, "q": Choice.QUIT}


def parse_choice(text: str) -> Choice | None:
    """``run``/``check`` (or empty)/``skip``/``quit`` and their first letters."""
    return _CHOICES.get(text.strip().lower())


@dataclass(frozen=True)
class StepOutcome:
    """A step's check after the learner (or the lab) acted, and assess's new view."""

    step: Step
    check: CheckResult
    report: Report
    gone: tuple[str, ...]
    appeared: tuple[str, ...]


class LabIO(Protocol):
    """What the lab needs from a front end."""

    def show_intro(self, sandbox: Sandbox, resumed: bool) -> None:
        """Present the story and the sandbox."""

    def ask(self, prompt: str) -> str:
        """One line from the learner; raise EndOfInput when input ends."""

    def show_diagnosis(self, diagnosis: Diagnosis, report: Report) -> None:
        """Reveal the course's answer beside assess on the sandbox."""

    def show_step(self, step: Step, number: int, total: int, sandbox: Sandbox) -> None:
        """Present a step: why, and the commands (with the folder they run in)."""

    def choose(self, step: Step) -> Choice:
        """Run / check / skip / quit; raise EndOfInput when input ends."""

    def show_action(self, result: ActionResult) -> None:
        """One command the lab ran, with its outcome."""

    def show_outcome(self, outcome: StepOutcome) -> None:
        """The step's check and the risks that went (or stayed)."""


class LabEnded(StrEnum):
    """Why the lab stopped."""

    DONE = "done"
    QUIT = "quit"
    END_OF_INPUT = "end-of-input"
    INTERRUPTED = "interrupted"


@dataclass
class LabResult:
    """Where the lab stopped."""

    sandbox: Sandbox
    ended: LabEnded
    completed: list[str]
    skipped: list[str]
    report: Report | None
    diagnosis: Diagnosis | None = None


def assess_sandbox(sandbox: Sandbox) -> Report:
    """``catdetector assess`` on Bob's repository."""
    from catdetector.assess import assess_repository

    return assess_repository(sandbox.repo)


class Lab:
    """Runs the lab in a sandbox, through a LabIO; ``auto`` runs every step itself."""

    def __init__(self, sandbox: Sandbox, io: LabIO, *, auto: bool = False,
                 resumed: bool = False) -> None:
        self.sandbox = sandbox
        self.io = io
        self.auto = auto
        self.resumed = resumed
        self.state = load_state(sandbox)

    def run(self) -> LabResult:
        """Diagnosis, then every step not done yet; stops cleanly on EOF or Ctrl-C."""
        result = LabResult(self.sandbox, LabEnded.DONE, self.state.completed,
                           self.state.skipped, None)
        try:
            self.io.show_intro(self.sandbox, self.resumed)
            report = assess_sandbox(self.sandbox)
            if not self.state.diagnosed:
                result.diagnosis = self._diagnose(report)
                self.state.diagnosed = True
                save_state(self.sandbox, self.state)
            all_steps = steps(self.sandbox)
            for number, step in enumerate(all_steps, start=1):
                if step.key in self.state.completed:
                    continue  # a step skipped in an earlier run is offered again
                report, stop = self._step(step, number, len(all_steps), report)
                if stop:
                    result.ended = LabEnded.QUIT
                    break
            result.report = report
        except EndOfInput:
            result.ended = LabEnded.END_OF_INPUT
        except KeyboardInterrupt:
            result.ended = LabEnded.INTERRUPTED
        save_state(self.sandbox, self.state)
        if result.report is None and result.ended is not LabEnded.INTERRUPTED:
            result.report = assess_sandbox(self.sandbox)
        return result

    def _diagnose(self, report: Report) -> Diagnosis:
        answers: list[str] = []
        prompts = ["What is CatDetector.ai's MLOps maturity level?",
                   "Critical risk 1?", "Critical risk 2?", "Critical risk 3?"]
        for prompt in prompts:
            try:
                answers.append(self.io.ask(prompt))
            except EndOfInput:
                if not self.auto:
                    raise
                answers.append("")
        diagnosis = score_diagnosis(answers[0], answers[1:])
        self.io.show_diagnosis(diagnosis, report)
        return diagnosis

    def _step(self, step: Step, number: int, total: int, before: Report) -> tuple[Report, bool]:
        """Do one step until its check passes (or it is skipped); True to stop."""
        self.io.show_step(step, number, total, self.sandbox)
        while True:
            choice = Choice.RUN if self.auto else self.io.choose(step)
            if choice is Choice.QUIT:
                return before, True
            if choice is Choice.SKIP:
                if step.key not in self.state.skipped:
                    self.state.skipped.append(step.key)
                save_state(self.sandbox, self.state)
                return before, False
            if choice is Choice.RUN and not self._run_actions(step):
                continue
            check = step.check(self.sandbox)
            report = assess_sandbox(self.sandbox)
            old, new = set(before.ids), set(report.ids)
            outcome = StepOutcome(
                step, check, report,
                gone=tuple(i for i in before.ids if i not in new),
                appeared=tuple(i for i in report.ids if i not in old),
            )
            self.io.show_outcome(outcome)
            if check.ok:
                self.state.completed.append(step.key)
                if step.key in self.state.skipped:
                    self.state.skipped.remove(step.key)
                save_state(self.sandbox, self.state)
                return report, False
            if self.auto:
                raise ProjectError(f"lab step {number} ({step.title}): {check.detail}",
                                   hint=f"see {self.sandbox.root}")
            before = report

    def _run_actions(self, step: Step) -> bool:
        """Run a step's actions in order; False (after showing it) when one fails."""
        for action in step.actions:
            result = run_action(self.sandbox, action)
            self.io.show_action(result)
            if not result.ok:
                if self.auto:
                    last = result.output.splitlines()[-1] if result.output else "no output"
                    raise ExternalToolError(
                        f"lab step {step.key}: `{action.display()}` failed "
                        f"(exit {result.returncode}): {last}"
                    )
                return False
        return True
