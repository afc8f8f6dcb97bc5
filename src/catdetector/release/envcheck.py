"""`env check`: which packages here differ from a lock or from a bundle's fingerprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from catdetector.core import fingerprint, layout
from catdetector.core.errors import UsageError
from catdetector.model.meta import read_meta
from catdetector.release import envlock


@dataclass(frozen=True)
class PackageDiff:
    """One package that differs, and whether the model needs it."""

    name: str
    expected: str | None
    installed: str | None
    needed: bool


@dataclass
class EnvReport:
    """Result of an environment check against one reference."""

    reference: str
    differences: list[PackageDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each, naming the fix

    @property
    def ok(self) -> bool:
        """True when no package the model needs differs and the lock covers the rungs."""
        return not self.problems and not any(d.needed for d in self.differences)

    def to_dict(self) -> dict[str, object]:
        """JSON view."""
        return {
            "reference": self.reference,
            "ok": self.ok,
            "differences": [d.__dict__ for d in self.differences],
            "problems": self.problems,
        }


MODEL_NEEDS = frozenset(canonicalize_name(n) for n in fingerprint.MODEL_PACKAGES)


def check_lock(path: Path) -> EnvReport:
    """Compare installed packages with a lock file."""
    report = EnvReport(str(path))
    for diff in envlock.compare_lock(envlock.read_lock(path)):
        report.differences.append(
            PackageDiff(diff.name, diff.locked, diff.installed, diff.name in MODEL_NEEDS)
        )
    return report


def check_bundle(directory: Path) -> EnvReport:
    """Compare this interpreter and its packages with a bundle's training fingerprint."""
    meta = read_meta(directory)
    report = EnvReport(str(directory))
    for diff in fingerprint.compare(meta["environment"]):
        report.differences.append(PackageDiff(diff.name, diff.recorded, diff.running, diff.needed))
    return report


def check(bundle: Path | None, lock: Path | None, cwd: Path) -> EnvReport:
    """Check against the bundle or lock given, else the project's own lock."""
    if bundle is not None and lock is not None:
        raise UsageError("give --bundle or --lock, not both")
    if bundle is not None:
        return check_bundle(bundle)
    if lock is not None:
        return check_lock(lock)
    root = layout.find_root(cwd)
    if root is None:
        raise UsageError("not inside a catdetector project: pass --bundle DIR or --lock FILE")
    return check_project(root)


def check_project(root: Path) -> EnvReport:
    """The project's lock against its rungs, this machine against the lock, and this
    machine against the project's bundle (what ``predict`` and the server check)."""
    from catdetector.release import relock

    report = check_lock(root / layout.ENV_LOCK)
    cover = relock.coverage(root)
    if not cover.ok:
        report.problems.append(cover.message())
    bundle = root / layout.MODEL_DIR
    if (bundle / "model.json").is_file():
        meta = read_meta(bundle)
        seen = {d.name for d in report.differences}
        for diff in fingerprint.compare(meta["environment"]):
            if diff.needed and canonicalize_name(diff.name) not in seen:
                report.differences.append(
                    PackageDiff(diff.name, diff.recorded, diff.running, needed=True)
                )
            elif diff.needed:
                report.differences = [
                    PackageDiff(d.name, d.expected, d.installed, True)
                    if d.name == canonicalize_name(diff.name)
                    else d
                    for d in report.differences
                ]
    if cover.ok and any(d.needed for d in report.differences):
        report.problems.append(
            "this machine differs from what the model needs: "
            "run `pip install -r requirements.lock` here"
        )
    return report
