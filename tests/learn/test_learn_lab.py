"""The CatDetector.ai lab: the broken sandbox, the diagnosis, and the scripted fix to Level 1."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from catdetector.assess import assess_repository
from catdetector.core.errors import ExternalToolError
from catdetector.learn.lab import (
    COURSE_RISKS,
    ActionResult,
    Choice,
    Diagnosis,
    Lab,
    LabEnded,
    Run,
    Sandbox,
    Step,
    StepOutcome,
    create_sandbox,
    load_state,
    parse_choice,
    run_action,
    steps,
)
from catdetector.learn.session import EndOfInput

from .conftest import RunCli


@pytest.fixture
def sandbox(tmp_path: Path, learn_env: dict[str, str]) -> Sandbox:
    box, resumed = create_sandbox(tmp_path / "lab")
    assert not resumed
    return box


def test_the_sandbox_is_the_broken_startup(sandbox: Sandbox) -> None:
    report = assess_repository(sandbox.repo)
    assert report.level == 0
    assert report.ids[:3] == list(COURSE_RISKS)
    assert {"no-data-versioning", "no-lock-file"} <= set(report.ids)
    skew = report.finding("training-serving-skew")
    assert skew is not None
    assert any("numpy differs" in e.detail for e in skew.evidence)
    assert skew.severity == "critical"  # Bob's laptop and Alice's server pin two numpys
    back = report.finding("no-rollback")  # Alice serves model.h5, which train.py overwrites
    assert back is not None and back.severity == "critical"
    assert not (sandbox.repo / ".git").exists() and not (sandbox.repo / ".dvc").exists()
    emailed = sandbox.server / "models" / "model.h5"
    assert emailed.read_bytes() == (sandbox.repo / "model.h5").read_bytes()


def test_train_py_rebuilds_the_same_model(sandbox: Sandbox) -> None:
    before = (sandbox.repo / "model.h5").read_bytes()
    (sandbox.repo / "model.h5").unlink()
    proc = subprocess.run([sys.executable, "train.py"], cwd=sandbox.repo, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (sandbox.repo / "model.h5").read_bytes() == before


def test_a_non_lab_folder_is_refused(run_main: RunCli, tmp_path: Path) -> None:
    run_cli = run_main
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    proc = run_cli(["learn", "lab", str(folder)])
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"error: {folder} is not empty and is not a lab folder")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_choices() -> None:
    assert parse_choice("") is Choice.CHECK and parse_choice("R") is Choice.RUN
    assert parse_choice("later") is None


def test_a_loose_answer_is_shown_with_the_facts_it_misses(
    run_main: RunCli, tmp_path: Path
) -> None:
    answers = tmp_path / "a.txt"
    answers.write_text("Level 0\none person can rebuild it\n"
                       "no way to roll back to the previous model\n"
                       "different numpy on the server\nquit\n")
    proc = run_main(["learn", "lab", str(tmp_path / "lab"), "--answers", str(answers)])
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "Your diagnosis: 3/4" in out
    assert "✗ one person can rebuild it → close to Bus factor, but it does not say" in out
    assert "what is lost if Bob or his laptop is gone" in out
    assert "missed: Bus factor" in out


@pytest.mark.slow  # the whole lab: git, dvc, a training
def test_scripted_lab_reaches_level_1(run_cli: RunCli, tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    first = tmp_path / "first.txt"
    # Diagnosis (level + three risks), then step 1: claim it is done (the check
    # fails: nothing ran), let the lab run it, and quit at step 2.
    first.write_text("Level 0\nonly Bob's laptop trains the model: if it dies, nobody can retrain\n"
                     "no way to go back to the previous model\ndifferent numpy on the server\n"
                     "check\nrun\nquit\n")
    proc = run_cli(["learn", "lab", str(lab), "--answers", str(first)])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Your diagnosis: 4/4" in out
    assert "The course's diagnosis" in out and "catdetector assess catdetector-ai" in out
    assert "Level 0 (manual process)" in out
    assert "✗ catdetector-ai is not a git repository yet" in out
    assert "✓ catdetector-ai/.git exists" in out
    assert "Stopped: 1 step(s) done" in out
    assert load_state(Sandbox(lab)).completed == ["git-init"]

    # Resume with --auto: the diagnosis is not asked again; every remaining step runs.
    proc = run_cli(["learn", "lab", str(lab), "--auto"], stdin="")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Continuing the lab" in out and "Your diagnosis" not in out
    order = [out.index(f"risk gone: {risk}") for risk in (
        "no-data-versioning", "no-rollback", "training-serving-skew", "no-lock-file",
        "bus-factor")]
    assert order == sorted(order)
    assert "Level 1 reached: assess reports Level 1" in out

    box = Sandbox(lab)
    assert load_state(box).completed == [s.key for s in steps(box)]
    report = assess_repository(box.repo)
    assert report.level == 1
    assert not [f.id for f in report.findings if f.blocks_level <= 1]
    assert (box.clone / "model.h5").read_bytes() == (box.repo / "model.h5").read_bytes()
    assert (box.clone / "dvc.lock").read_text() == (box.repo / "dvc.lock").read_text()
    remote_objects = [p for p in box.dvc_remote.rglob("*") if p.is_file()]
    assert len(remote_objects) >= 10  # 8 images, the directory listing, the model
    log = subprocess.run(["git", "-C", str(box.repo), "log", "--format=%an %s"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log[0] == "Bob Training as a DVC pipeline"
    assert len(log) == 4

    # A third run finds everything done and says so.
    again = run_cli(["learn", "lab", str(lab), "--answers", "-"], stdin="")
    assert again.returncode == 0 and "Level 1 reached" in again.stdout


def test_unknown_lab_choice_names_the_line(run_main: RunCli, tmp_path: Path) -> None:
    run_cli = run_main
    answers = tmp_path / "a.txt"
    answers.write_text("0\na\nb\nc\nmaybe\n")
    proc = run_cli(["learn", "lab", str(tmp_path / "lab"), "--answers", str(answers)])
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: {answers}, line 5: unknown lab choice 'maybe' "
        "(expected run, check (or an empty line), skip or quit)"
    )


@dataclass
class ScriptIO:
    """A LabIO fed by a list; an exception class in the list is raised at that point."""

    lines: list[str | type[BaseException]]
    shown: list[str] = field(default_factory=list)

    def _next(self) -> str:
        if not self.lines:
            raise EndOfInput
        item = self.lines.pop(0)
        if isinstance(item, str):
            return item
        raise item()

    def show_intro(self, sandbox: Sandbox, resumed: bool) -> None:
        self.shown.append(f"intro resumed={resumed}")

    def ask(self, prompt: str) -> str:
        return self._next()

    def show_diagnosis(self, diagnosis: Diagnosis, report: object) -> None:
        self.shown.append(f"diagnosis {diagnosis.score}")

    def show_step(self, step: Step, number: int, total: int, sandbox: Sandbox) -> None:
        self.shown.append(f"step {number}/{total} {step.key}")

    def choose(self, step: Step) -> Choice:
        choice = parse_choice(self._next())
        assert choice is not None
        return choice

    def show_action(self, result: ActionResult) -> None:
        self.shown.append(f"ran {result.action.display()} -> {result.returncode}")

    def show_outcome(self, outcome: StepOutcome) -> None:
        self.shown.append(f"check {outcome.step.key} {outcome.check.ok}")


def test_ctrl_c_in_the_lab_keeps_its_state(sandbox: Sandbox) -> None:
    io = ScriptIO(["0", "if Bob's laptop dies nobody can retrain",
                   "no rollback to a previous model", "laptop and server numpy differ", "run",
                   KeyboardInterrupt])
    result = Lab(sandbox, io).run()
    assert result.ended is LabEnded.INTERRUPTED
    assert "diagnosis 4" in io.shown and "check git-init True" in io.shown
    state = load_state(sandbox)
    assert state.diagnosed and state.completed == ["git-init"]

    io2 = ScriptIO(["skip"])
    result = Lab(sandbox, io2, resumed=True).run()
    assert result.ended is LabEnded.END_OF_INPUT
    assert io2.shown[:2] == ["intro resumed=True", "step 2/11 dvc-init"]
    assert load_state(sandbox).skipped == ["dvc-init"]

    io3 = ScriptIO(["run"])  # a skipped step is offered again in the next run
    Lab(sandbox, io3, resumed=True).run()
    assert io3.shown[1] == "step 2/11 dvc-init" and "check dvc-init True" in io3.shown
    state = load_state(sandbox)
    assert state.completed == ["git-init", "dvc-init"] and state.skipped == []


def test_a_failing_command_is_reported(sandbox: Sandbox) -> None:
    result = run_action(sandbox, Run(("git", "rev-parse", "HEAD")))
    assert not result.ok and "not a git repository" in result.output
    io = ScriptIO([])  # --auto with no input at all: the diagnosis answers count as blank
    lab = Lab(sandbox, io, auto=True)
    (sandbox.repo / ".git").write_text("not a directory")  # git init cannot work here
    with pytest.raises(ExternalToolError, match=r"lab step git-init: `git init -b main` failed"):
        lab.run()
    assert io.shown[:3] == ["intro resumed=False", "diagnosis 0", "step 1/11 git-init"]
    assert load_state(sandbox).completed == []


def test_marker_is_json(sandbox: Sandbox) -> None:
    data = json.loads(sandbox.marker.read_text())
    assert data["completed"] == [] and data["diagnosed"] is False
