"""Running the story's commands as narrated steps, and recording its checks."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from catdetector.core import tools
from catdetector.core.errors import ExternalToolError
from catdetector.demo.results import Check, DemoResult, Step

GITCONFIG = (
    "[user]\n\tname = Bob (catdetector demo)\n\temail = bob@catdetector.demo\n"
    "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
)


class Narrator:
    """Runs commands in the demo's environment; ``on_step`` hears every step."""

    def __init__(self, workdir: Path, on_step: Callable[[Step], None] | None = None) -> None:
        self.workdir = workdir
        self.on_step = on_step or (lambda step: None)
        self.result = DemoResult(workdir)
        self.gitconfig = workdir / "demo.gitconfig"
        self.env = {
            **tools.tool_env(),
            "GIT_CONFIG_GLOBAL": str(self.gitconfig),
            "DVC_NO_ANALYTICS": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }

    def write_gitconfig(self) -> None:
        """The demo's own git identity (the user's global config is never read)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.gitconfig.write_text(GITCONFIG)

    def sh(
        self, actor: str, text: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> str:
        """Run one command as a narrated step; raise on failure."""
        start = time.perf_counter()
        proc = self._run(args, cwd, env)
        step = Step(actor, text, time.perf_counter() - start, proc.returncode == 0)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            step.detail = lines[-1] if lines else f"exit {proc.returncode}"
        self._record(step)
        if proc.returncode != 0:
            raise ExternalToolError(f"{text}: `{' '.join(args)}` failed: {step.detail}")
        return proc.stdout

    def try_sh(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a command that is expected to fail sometimes (no raise)."""
        return self._run(args, cwd, None)

    def _run(
        self, args: list[str], cwd: Path, env: dict[str, str] | None
    ) -> subprocess.CompletedProcess[str]:
        argv = [tools.executable(args[0]), *args[1:]]
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env or self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )

    def _record(self, step: Step) -> None:
        self.result.steps.append(step)
        self.on_step(step)

    def note(
        self, actor: str, text: str, seconds: float = 0.0, ok: bool = True, detail: str = ""
    ) -> None:
        """A step that is not a single command."""
        self._record(Step(actor, text, seconds, ok, detail))

    def check(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check."""
        self.result.checks.append(Check(name, ok, detail))
        return ok
