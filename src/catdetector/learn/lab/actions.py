"""What a step does: commands run in one of the sandbox's places, and files written."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

from catdetector.core import tools
from catdetector.core.fsutil import write_bytes
from catdetector.learn.lab.sandbox import Sandbox

COMMAND_TIMEOUT = 300


def author_env(author: str) -> dict[str, str]:
    """Environment for commands the lab runs: ``tools.tool_env`` plus who commits."""
    env = tools.tool_env()
    email = f"{author.lower()}@catdetector.ai"
    env.setdefault("GIT_AUTHOR_NAME", author)
    env.setdefault("GIT_AUTHOR_EMAIL", email)
    env.setdefault("GIT_COMMITTER_NAME", author)
    env.setdefault("GIT_COMMITTER_EMAIL", email)
    env["DVC_NO_ANALYTICS"] = "1"
    return env


@dataclass(frozen=True)
class Run:
    """A command to run in one of the sandbox's places."""

    argv: tuple[str, ...]
    where: str = "repo"
    who: str = "Bob"

    def display(self) -> str:
        """The command as a learner would type it."""
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Write:
    """A file to write (shown to the learner as a heredoc)."""

    path: str
    content: str
    where: str = "repo"
    who: str = "Bob"

    def display(self) -> str:
        """A shell command that writes the same file."""
        return f"cat > {shlex.quote(self.path)} <<'EOF'\n{self.content}EOF"


Action = Run | Write


@dataclass(frozen=True)
class ActionResult:
    """What running one action gave."""

    action: Action
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        """True when the command succeeded."""
        return self.returncode == 0


def run_action(sandbox: Sandbox, action: Action) -> ActionResult:
    """Run (or write) one action inside the sandbox."""
    cwd = sandbox.place(action.where)
    if isinstance(action, Write):
        try:
            write_bytes(cwd / action.path, action.content.encode())
        except OSError as exc:
            return ActionResult(action, 1, f"cannot write {action.path}: {exc.strerror}")
        return ActionResult(action, 0, "")
    argv = list(action.argv)
    if argv[0] in ("git", "dvc"):
        argv[0] = tools.executable(argv[0])
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=author_env(action.who), capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        return ActionResult(action, 127, f"{argv[0]}: {exc.strerror}")
    except subprocess.TimeoutExpired:
        return ActionResult(action, 124, f"timed out after {COMMAND_TIMEOUT} s")
    return ActionResult(action, proc.returncode, (proc.stdout + proc.stderr).strip())
