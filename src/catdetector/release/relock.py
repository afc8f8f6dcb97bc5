"""The lock follows the rungs: which lock groups a project's rungs need, whether its
``requirements.lock`` covers them, and ``catdetector lock`` to rewrite it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catdetector.core import layout
from catdetector.core.config import Params, load_params
from catdetector.core.errors import ConfigError
from catdetector.release import envlock

# What each rung needs at serving time beyond catdetector's base install (a lock group).
RUNG_GROUPS: dict[str, str] = {"pretrained": "serve-deep", "custom": "serve-deep"}
FIX = "run `catdetector lock`, then `pip install -r requirements.lock`"


def needed_groups(params: Params) -> tuple[str, ...]:
    """The lock groups of the enabled rungs, in the packaged lock's order."""
    wanted = {RUNG_GROUPS[r] for r in params.ladder.rungs if r in RUNG_GROUPS}
    return tuple(g for g in envlock.GROUPS if g in wanted)


@dataclass(frozen=True)
class Coverage:
    """What the project's rungs need that its requirements.lock lacks."""

    missing: dict[str, list[str]]  # group -> its packages absent from the lock
    rungs: dict[str, list[str]]  # group -> the enabled rungs that need it

    @property
    def ok(self) -> bool:
        """True when the lock pins everything the rungs need."""
        return not self.missing

    def message(self) -> str:
        """One line naming the gap and the command that closes it."""
        needs = "; ".join(
            f"{' and '.join(self.rungs[group])} need{'s' if len(self.rungs[group]) == 1 else ''} "
            f"{', '.join(names)}"
            for group, names in self.missing.items()
        )
        return f"requirements.lock does not cover the project's rungs ({needs}): {FIX}"


def coverage(root: Path) -> Coverage:
    """Compare the project's requirements.lock with what its rungs need."""
    params = load_params(root / layout.PARAMS)
    pins = envlock.read_lock(root / layout.ENV_LOCK)
    groups = envlock.packaged_groups()
    missing: dict[str, list[str]] = {}
    for group in needed_groups(params):
        names = envlock.parse_lock(groups.get(group, ""), group)
        absent = sorted(n for n in names if n not in pins)
        if absent:
            missing[group] = absent
    rungs = {g: [str(r) for r in params.ladder.rungs if RUNG_GROUPS.get(r) == g] for g in missing}
    return Coverage(missing, rungs)


def current_source(root: Path) -> envlock.Source:
    """Where the project installs catdetector from today (kept by ``catdetector lock``)."""
    companion = root / envlock.SOURCE_FILE
    if companion.is_file():
        lines = envlock.logical_lines(companion.read_text(encoding="utf-8"))
        if lines:
            requirement = lines[0][1]
            kind: envlock.SourceKind = "git" if " @ git+" in requirement else "index"
            return envlock.Source(kind, requirement)
    wheels = sorted((root / envlock.VENDOR).glob(f"{envlock.SELF}-*.whl"))
    if wheels:
        return envlock.Source("wheel", "", wheels[-1])
    return envlock.Source("wheel", "")


@dataclass(frozen=True)
class Relocked:
    """What ``catdetector lock`` wrote."""

    groups: tuple[str, ...]
    written: list[Path]
    changed: bool


def relock(root: Path) -> Relocked:
    """Rewrite requirements.lock (and requirements-ci.lock) from the project's rungs."""
    params = load_params(root / layout.PARAMS)
    groups = needed_groups(params)
    lock = root / layout.ENV_LOCK
    before = lock.read_bytes() if lock.is_file() else None
    try:
        written = envlock.write(root, current_source(root), groups)
    except OSError as exc:
        raise ConfigError(f"cannot write {lock}: {exc.strerror or exc}") from exc
    return Relocked(groups, written, lock.read_bytes() != before)
