"""The v3 corpus runner scores any judgement file and any half it names (``--judged``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.assess.builders import git, git_init, write_tree

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.assess.corpus.v3.run", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_runner_scores_a_judgement_file_by_any_half_it_names(tmp_path: Path) -> None:
    checkout = write_tree(tmp_path / "dirs" / "someone+proj", {"README.md": "# links\n"})
    git_init(checkout)
    head = git(checkout, "rev-parse", "HEAD").strip()
    judged = tmp_path / "blind2.toml"
    judged.write_text(
        f'[[repo]]\nrepository = "someone/proj"\ncommit = "{head}"\nhalf = "blind2"\n'
        'level = "n/a"\ncritical = []\n'
    )
    done = _run(str(tmp_path / "dirs"), "--judged", str(judged), "--half", "blind2")
    assert done.returncode == 0, done.stderr
    assert "level agrees on 1/1; false CRITICAL on 0 repositories" in done.stdout
    wrong = _run(str(tmp_path / "dirs"), "--judged", str(judged), "--half", "blind")
    assert wrong.returncode == 2 and "blind2.toml has blind2 (or all)" in wrong.stderr
