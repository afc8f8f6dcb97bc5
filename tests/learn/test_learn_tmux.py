"""A whole interactive session in a real terminal: tmux send-keys and capture-pane."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from catdetector.learn.deck import builtin_deck

from .conftest import RunCli, catdetector_exe

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server (its own socket) with one pane."""

    def __init__(self, env: dict[str, str]) -> None:
        assert TMUX is not None
        self.socket = f"cdlearn-{uuid.uuid4().hex[:10]}"
        self.env = env

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(
            [TMUX, "-L", self.socket, *args],  # type: ignore[list-item]
            capture_output=True, text=True, env=self.env, timeout=120, check=True,
        )
        return proc.stdout

    def start(self, command: str) -> None:
        """Start the server running ``command`` in a 120x40 pane that stays after exit."""
        self.tmux("-f", os.devnull, "new-session", "-d", "-s", "t", "-x", "120", "-y", "40",
                  command)
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def respawn(self, command: str) -> None:
        """Run ``command`` again in the same pane (a restart)."""
        self.tmux("respawn-pane", "-k", "-t", "t", command)

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type_line(self, text: str) -> None:
        """Type text literally, then Enter."""
        if text:
            self.tmux("send-keys", "-t", "t", "-l", text)
        self.send("Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t", "-S", "-2000")

    def wait_for(self, text: str, timeout: float = 300, count: int = 1) -> str:
        """Wait until ``text`` shows ``count`` times on the screen; return the screen.

        The deadline only ends a hang: the screen is read until the text shows.
        """
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} (x{count}) never appeared; screen:\n{screen}")

    def exit_status(self, timeout: float = 300) -> int:
        """Exit status of the program, printed by the wrapper shell (see ``wrapped``)."""
        screen = self.wait_for("EXIT=", timeout=timeout)
        return int(screen.rsplit("EXIT=", 1)[1].split()[0])

    def kill(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"],  # type: ignore[list-item]
                       capture_output=True, env=self.env, timeout=10, check=False)


@pytest.fixture
def tmux(learn_env: dict[str, str]) -> Iterator[Tmux]:
    env = dict(learn_env)
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    env.pop("TMUX", None)
    env["TERM"] = "xterm-256color"
    session = Tmux(env)
    try:
        yield session
    finally:
        session.kill()


@pytest.mark.slow
def test_interactive_session_with_ctrl_c_and_restart(
    tmux: Tmux, run_cli: RunCli, tmp_path: Path
) -> None:
    deck = builtin_deck()
    first, second, third = (c.question for c in deck.cards[:3])
    # bash waits for the program (and survives its Ctrl-C) to print its exit status
    command = "bash -c " + shlex.quote(shlex.join([catdetector_exe(), "learn"]) + "; echo EXIT=$?")

    tmux.start(command)
    tmux.wait_for(first)
    tmux.wait_for("Your answer (Enter to reveal):")
    tmux.type_line("the whole lifecycle versus running models in production")
    tmux.wait_for("Data -> Train -> Deploy -> Monitor")
    tmux.wait_for("Grade")
    tmux.type_line("great")  # not a grade: asked again
    tmux.wait_for("type again, good or easy")
    tmux.type_line("g")
    tmux.wait_for("→ review, next review in 2 days")

    tmux.wait_for(second)
    tmux.type_line("")  # just Enter: reveal without answering
    tmux.wait_for("Grade", count=3)
    tmux.type_line("easy")
    tmux.wait_for("→ review, next review in")  # FSRS: 8 days, with fuzz

    tmux.wait_for(third)
    tmux.wait_for("Your answer (Enter to reveal):", count=3)
    tmux.send("C-c")
    screen = tmux.wait_for("interrupted: progress saved")
    assert tmux.exit_status() == 130
    assert "Traceback" not in screen and "Aborted" not in screen
    assert "Reviewed 2 cards (good 1, easy 1)." in screen

    stats = json.loads(run_cli(["learn", "--stats", "--json"]).stdout)[0]
    assert stats["phases"] == {"learning": 0, "review": 2, "relearning": 0}
    assert stats["reviews"] == 2

    # Restart: the two graded cards are not due; the session resumes at the third.
    tmux.tmux("clear-history", "-t", "t")
    tmux.respawn(command)
    screen = tmux.wait_for("Your answer (Enter to reveal):")
    assert third in screen and first not in screen and second not in screen
    assert "card 1 · 15 left · new" in screen
    tmux.type_line("false: dummy baseline first")
    tmux.wait_for("Grade")
    tmux.type_line("a")
    tmux.wait_for("→ learning, again in this session")
    tmux.wait_for("Your answer (Enter to reveal):", count=2)
    tmux.send("C-d")  # end of input: save and leave with status 0
    screen = tmux.wait_for("End of input: progress saved")
    assert tmux.exit_status() == 0

    stats = json.loads(run_cli(["learn", "--stats", "--json"]).stdout)[0]
    assert stats["phases"] == {"learning": 1, "review": 2, "relearning": 0}
    assert (stats["reviews"], stats["sessions"], stats["new"]) == (3, 2, 14)
