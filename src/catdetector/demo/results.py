"""What the demo reports: narrated steps and verified checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Step:
    """One narrated step."""

    actor: str
    text: str
    seconds: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class Check:
    """One verified claim of the story."""

    name: str
    ok: bool
    detail: str


@dataclass
class DemoResult:
    """Every check, every step, and where the workspaces are."""

    workdir: Path
    checks: list[Check] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)
