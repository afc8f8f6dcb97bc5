"""`catdetector learn` through the real console script: scripted sessions, stats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SEED, RunCli

SEED_ALL_GOOD = "lifecycle\ngood\n\ngood\ndebt\ngood\nlevel 0\ngood\ngit + dvc\ngood\n"


def _one_line_error(proc_stderr: str) -> str:
    lines = [line for line in proc_stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc_stderr
    assert "Traceback" not in proc_stderr
    return lines[0]


def test_answers_file_session_and_restart(run_main: RunCli, tmp_path: Path) -> None:
    run_cli = run_main  # in this process: six runs through a console script take 18 s
    answers = tmp_path / "answers.txt"
    answers.write_text("lifecycle\ngood\n\neasy\n")
    proc = run_cli(["learn", str(SEED), "--answers", str(answers)])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Q1: What is the main difference between MLOps and Model Ops?" in out
    assert "Your answer: lifecycle" in out
    assert "end-to-end lifecycle" in out and "Grade: good" in out
    assert "Reviewed 2 cards (good 1, easy 1)." in out
    assert "End of input: progress saved; 3 still due." in out

    # A restart begins where the last run stopped.
    proc = run_cli(["learn", str(SEED)], stdin="tech debt\nagain\n")
    assert proc.returncode == 0, proc.stderr
    assert "Q1:" not in proc.stdout and "Q2:" not in proc.stdout
    assert 'Q3: What is "Technical Debt" in ML?' in proc.stdout

    stats = run_cli(["learn", str(SEED), "--stats", "--json"])
    assert stats.returncode == 0, stats.stderr
    (row,) = json.loads(stats.stdout)
    # FSRS: "good" and "easy" are in review; "again" is in its 1-minute learning step.
    assert row["phases"] == {"learning": 1, "review": 2, "relearning": 0}
    assert (row["cards"], row["new"], row["sessions"]) == (5, 2, 2)
    assert row["due_now"] >= 2 and 0 < row["recall"] <= 1

    table = run_cli(["learn", "--stats"])
    assert "Module 1 Exercises: Foundations" in table.stdout
    assert "Module 1: Foundations" in table.stdout
    (seed_row,) = [ln for ln in table.stdout.splitlines() if "Module 1 Exercises" in ln]
    cells = [c.strip() for c in seed_row.split("│")]
    assert cells[2:6] == ["5", "2", "1", "2"]  # cards, new, learn, review

    reset = run_cli(["learn", str(SEED), "--reset"])
    assert reset.returncode == 0 and "reset" in reset.stdout
    (row,) = json.loads(run_cli(["learn", str(SEED), "--stats", "--json"]).stdout)
    assert row["new"] == 5


def test_whole_deck_then_nothing_due(run_main: RunCli) -> None:
    run_cli = run_main
    proc = run_cli(["learn", str(SEED), "--answers", "-"], stdin=SEED_ALL_GOOD)
    assert proc.returncode == 0, proc.stderr
    assert "Reviewed 5 cards (good 5)." in proc.stdout
    assert "All done for now; next review in 2 days" in proc.stdout
    again = run_cli(["learn", str(SEED)], stdin=SEED_ALL_GOOD)
    assert "Nothing is due in this deck; next review in 2 days" in again.stdout


def test_builtin_deck_runs_by_default(run_main: RunCli) -> None:
    proc = run_main(["learn"], stdin="\ngood\n")
    assert proc.returncode == 0, proc.stderr
    assert "Module 1: Foundations (the catdetector deck) (17 cards)" in proc.stdout
    assert "How does MLOps differ from ModelOps?" in proc.stdout
    assert "Reviewed 1 card (good 1)." in proc.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "expected"),
    [
        (["learn", "missing.md"], "", 13, "error: deck file not found: missing.md"),
        (["learn", "broken.md"], "", 13,
         "error: broken.md, line 3: <details> opened here is never closed"),
        (["learn", "noanswer.md"], "", 13, "error: noanswer.md, line 1: card 'Q?' has no answer"),
        (["learn", "--answers", "nope.txt"], "", 2, "error: answers file not found: nope.txt"),
        (["learn"], "my answer\ngreat\n", 2, "error: stdin, line 2: unknown grade 'great'"),
        (["learn", "lab", "--stats"], "", 2, "error: --stats, --reset and --json are for decks"),
        (["learn", "deck.md", "extra"], "", 2, "error: unexpected argument 'extra'"),
        (["learn", "--auto"], "", 2, "error: --auto is for the lab"),
        (["learn", "--json"], "", 2, "error: --json goes with --stats"),
        (["learn", "--stats", "--reset"], "", 2, "error: --stats and --reset do not go together"),
        (["learn", "lab", "newlab", "--answers", "nope.txt"], "", 2,
         "error: answers file not found: nope.txt"),
    ],
)
def test_user_errors_are_one_line(
    run_main: RunCli, tmp_path: Path, args: list[str], stdin: str, code: int, expected: str
) -> None:
    (tmp_path / "broken.md").write_text("# Broken\n\n<details><summary>Q</summary>\nA\n")
    (tmp_path / "noanswer.md").write_text("<details><summary>Q?</summary>\n<br>\n</details>\n")
    (tmp_path / "deck.md").write_text("<details><summary>Q?</summary>A</details>\n")
    proc = run_main(args, stdin=stdin)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert _one_line_error(proc.stderr).startswith(expected)
    assert not (tmp_path / "newlab").exists()  # nothing is created before the input is ready


def test_bad_grade_keeps_earlier_progress(run_main: RunCli, tmp_path: Path) -> None:
    run_cli = run_main
    answers = tmp_path / "a.txt"
    answers.write_text("one\ngood\ntwo\nsuper\n")
    proc = run_cli(["learn", str(SEED), "--answers", str(answers)])
    assert proc.returncode == 2
    assert _one_line_error(proc.stderr) == (
        f"error: {answers}, line 4: unknown grade 'super' "
        "(expected again, good or easy on every second line)"
    )
    (row,) = json.loads(run_cli(["learn", str(SEED), "--stats", "--json"]).stdout)
    assert row["reviews"] == 1


def test_corrupt_progress_is_one_line(run_main: RunCli, learn_env: dict[str, str]) -> None:
    run_cli = run_main
    run_cli(["learn", str(SEED)], stdin="x\ngood\n")
    folder = Path(learn_env["CATDETECTOR_DATA_DIR"]) / "learn"
    (progress_file,) = folder.glob("*.json")
    progress_file.write_text("{broken")
    proc = run_cli(["learn", str(SEED)], stdin="")
    assert proc.returncode == 13
    assert "unreadable or corrupt" in _one_line_error(proc.stderr)


def test_help_documents_the_formats(run_main: RunCli) -> None:
    proc = run_main(["learn", "--help"])
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for phrase in ("catdetector learn lab [DIR]", "again|good|easy", "--answers", "Ctrl-C"):
        assert phrase in text


def test_real_process_errors_have_no_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "broken.md").write_text("# Broken\n\n<details><summary>Q</summary>\nA\n")
    proc = run_cli(["learn", "broken.md"])
    assert proc.returncode == 13
    assert _one_line_error(proc.stderr) == (
        "error: broken.md, line 3: <details> opened here is never closed "
        "(add </details> at the end of the block)"
    )
    proc = run_cli(["learn"], stdin="an answer\nperfect\n")
    assert proc.returncode == 2
    assert _one_line_error(proc.stderr).startswith("error: stdin, line 2: unknown grade 'perfect'")
