"""The environment lock of a project: exact pins of catdetector and its dependency closure."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from catdetector.errors import ConfigError

HEADER = (
    "# Environment lock written by `catdetector init`: exact pins of catdetector and\n"
    "# everything it needs. Install it on training and serving machines alike:\n"
    "#   pip install -r requirements.lock\n"
    "# Check a machine against it: catdetector env check --lock requirements.lock\n"
)


def closure(root: str = "catdetector") -> dict[str, str]:
    """Installed versions of ``root`` and every distribution it requires, transitively."""
    env = default_environment()
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        first_visit = key not in found
        found[key] = dist.version
        if not first_visit and not extras:
            continue
        for line in dist.requires or []:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None:
                contexts = [{**env, "extra": e} for e in (extras or {""})]
                if not any(req.marker.evaluate(c) for c in contexts):
                    continue
            if canonicalize_name(req.name) not in found or req.extras:
                todo.append((req.name, frozenset(req.extras)))
    return dict(sorted(found.items()))


def render(pins: dict[str, str]) -> str:
    """Lock file text."""
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins.items())


def read_lock(path: Path) -> dict[str, str]:
    """Parse a lock (``name==version`` lines; comments and blanks ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read lock file {path}: {exc.strerror or exc}") from exc
    pins: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ConfigError(f"{path}:{number}: expected 'name==version', got {raw.strip()!r}")
        pins[canonicalize_name(name.split("[")[0].strip())] = version.split(";")[0].strip()
    return pins


@dataclass(frozen=True)
class LockDifference:
    """A package whose installed version differs from the lock."""

    name: str
    locked: str | None
    installed: str | None


def compare_lock(pins: dict[str, str]) -> list[LockDifference]:
    """Packages of the lock that are missing or at another version here."""
    diffs = []
    for name, version in pins.items():
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            diffs.append(LockDifference(name, version, installed))
    return diffs
