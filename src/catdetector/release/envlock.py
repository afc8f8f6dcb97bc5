"""The environment lock of a project: hash-pinned third-party packages plus catdetector.

``requirements.lock`` is a pip requirements file in hash-checking mode: every
third-party package of catdetector's closure is ``name==version`` with the sha256 of
each of its distribution files on PyPI (the packaged ``resources/third-party.lock``,
generated at development time from constraints.txt by ``scripts/lock.py``), and
catdetector itself comes from the source chosen at ``init``:

- ``wheel`` (default): a wheel in ``vendor/`` that ``init`` writes (or copies), pinned by
  its hash in the lock, so one ``pip install -r requirements.lock`` needs no index with
  catdetector on it;
- a version (``0.1.0``) on an index, or a git URL with a commit: pip cannot hash those
  (it does not hash a VCS checkout, and the index's file is unknown at ``init``), so the
  requirement goes to ``requirements-catdetector.txt``, installed with ``--no-deps``
  after the lock.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Literal

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from catdetector.core import layout
from catdetector.core.errors import ConfigError, UsageError

SourceKind = Literal["wheel", "index", "git"]
SELF = "catdetector"
VENDOR = Path("vendor")
SOURCE_FILE = Path("requirements-catdetector.txt")
PACKAGED_LOCK = "third-party.lock"
CI_LOCK = Path("requirements-ci.lock")
# Locked apart from catdetector's own dependencies: the generated CI script's `test` step runs them.
CI_TOOLS = ("pytest",)
# Groups of the packaged lock beyond the base: catdetector extras (a rung's serving needs)
# and the CI tools. A project's requirements.lock holds the base and its rungs' extras;
# requirements-ci.lock holds the ci group.
BASE_GROUP = "base"
CI_GROUP = "ci"
GROUPS = ("serve-deep", CI_GROUP)
GROUP_MARK = "# group: "
_COMMIT = re.compile(r"[0-9a-f]{40}")

HEADER = (
    "# Environment lock written by `catdetector lock` (and `init`): every package catdetector\n"
    "# and the project's rungs need to train and serve ({groups}), pinned with their\n"
    "# hashes (pip's hash-checking mode). Install it on training and serving machines\n"
    "# alike, from the project root:\n"
    "#   pip install -r requirements.lock{extra}\n"
    "# Check a machine against it: catdetector env check. Rungs changed: catdetector lock\n"
)
CI_HEADER = (
    "# What CI needs beyond requirements.lock (the CI script's test runner), with hashes;\n"
    "# written by `catdetector lock`. CI installs both in one command:\n"
    "#   pip install -r requirements.lock -r requirements-ci.lock\n"
)
SOURCE_HEADER = (
    "# catdetector for this project ({kind}); pip cannot hash-check it, so it is installed\n"
    "# after requirements.lock, which pins everything it needs:\n"
    "#   pip install --no-deps -r requirements-catdetector.txt\n"
)


def closure(root: str = SELF) -> dict[str, str]:
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
                contexts: list[dict[str, str]] = [
                    {**env, "extra": e} for e in (extras or {""})  # type: ignore[dict-item]
                ]
                if not any(req.marker.evaluate(c) for c in contexts):
                    continue
            if canonicalize_name(req.name) not in found or req.extras:
                todo.append((req.name, frozenset(req.extras)))
    return dict(sorted(found.items()))


# ---------------------------------------------------------------- reading locks


@dataclass(frozen=True)
class Pin:
    """One locked package: a version, or (a git source) a commit."""

    name: str
    version: str | None
    commit: str | None = None
    hashes: tuple[str, ...] = ()


def logical_lines(text: str) -> list[tuple[int, str]]:
    """pip's view of a requirements file: comments dropped, ``\\`` continuations joined."""
    out: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s+)#.*$", "", raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            out.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        out.append((start, buffer.strip()))
    return out


def parse_line(line: str, where: str) -> Pin | None:
    """A pin from one logical line (None for a pip option line such as ``-r``)."""
    spec, *options = re.split(r"\s+(?=--)", line)
    if spec.startswith("-"):
        return None
    hashes = tuple(opt.split("=", 1)[1].strip() for opt in options if opt.startswith("--hash="))
    if spec.endswith(".whl") and " @ " not in spec:
        try:
            name, version, _, _ = parse_wheel_filename(Path(spec).name)
        except InvalidWheelFilename as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        return Pin(str(name), str(version), None, hashes)
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        raise ConfigError(f"{where}: expected 'name==version', got {spec!r}") from exc
    name = canonicalize_name(req.name)
    if req.url:
        commit = req.url.rsplit("@", 1)[-1] if req.url.startswith("git+") else ""
        if not _COMMIT.fullmatch(commit):
            raise ConfigError(f"{where}: {spec!r} pins no commit (git URL ending @<40-hex sha>)")
        return Pin(name, None, commit, hashes)
    exact = [s.version for s in req.specifier if s.operator == "=="]
    if len(exact) != 1 or len(req.specifier) != 1:
        raise ConfigError(f"{where}: expected 'name==version', got {spec!r}")
    return Pin(name, exact[0], None, hashes)


def parse_lock(text: str, origin: str) -> dict[str, Pin]:
    """Pins of a lock text, by canonical name."""
    pins: dict[str, Pin] = {}
    for number, line in logical_lines(text):
        pin = parse_line(line, f"{origin}:{number}")
        if pin is not None:
            pins[pin.name] = pin
    return pins


def read_lock(path: Path) -> dict[str, Pin]:
    """Pins of a lock file, plus ``requirements-catdetector.txt`` when it sits beside it."""
    pins: dict[str, Pin] = {}
    for file in (path, path.parent / SOURCE_FILE):
        if file != path and not file.is_file():
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read lock file {file}: {exc.strerror or exc}") from exc
        pins.update(parse_lock(text, str(file)))
    return pins


def packaged_groups() -> dict[str, str]:
    """The hashed third-party lock shipped inside catdetector, by group (header dropped)."""
    text = resources.files("catdetector").joinpath("resources", PACKAGED_LOCK).read_text("utf-8")
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#") and not lines[0].startswith(GROUP_MARK):
        lines.pop(0)
    groups: dict[str, str] = {BASE_GROUP: ""}
    current = BASE_GROUP
    for line in lines:
        if line.startswith(GROUP_MARK):
            current = line[len(GROUP_MARK) :].strip()
            groups[current] = ""
        else:
            groups[current] += line
    return groups


def packaged_lock_text(groups: tuple[str, ...] = ()) -> str:
    """The packaged lock's base pins, plus those of ``groups``."""
    found = packaged_groups()
    unknown = [g for g in groups if g not in found]
    if unknown:
        raise ConfigError(f"the packaged lock has no group {', '.join(unknown)}")
    return "".join(found[g] for g in (BASE_GROUP, *groups))


# ---------------------------------------------------------------- comparing


@dataclass(frozen=True)
class LockDifference:
    """A package whose installed version (or git commit) differs from the lock."""

    name: str
    locked: str | None
    installed: str | None


def installed_commit(name: str) -> str | None:
    """The commit a distribution was installed from (PEP 610 ``direct_url.json``), or None."""
    import json

    try:
        raw = metadata.distribution(name).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        info = json.loads(raw or "{}")
    except ValueError:
        return None
    commit = (info.get("vcs_info") or {}).get("commit_id")
    return str(commit) if commit else None


def compare_lock(pins: dict[str, Pin]) -> list[LockDifference]:
    """Packages of the lock that are missing or at another version (or commit) here."""
    diffs = []
    for name, pin in pins.items():
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if pin.commit is not None:
            here = installed_commit(name) if installed else None
            if here != pin.commit:
                diffs.append(LockDifference(name, f"commit {pin.commit}", here or installed))
        elif installed != pin.version:
            diffs.append(LockDifference(name, pin.version, installed))
    return diffs


# ---------------------------------------------------------------- catdetector's source


@dataclass(frozen=True)
class Source:
    """Where a project installs catdetector from."""

    kind: SourceKind
    requirement: str  # the pip line (for a wheel, set once it is in vendor/)
    wheel: Path | None = None  # a wheel to copy; None with kind "wheel" = build one


def parse_source(text: str | None) -> Source:
    """``wheel`` (default), a path to a catdetector wheel, a version, or git+URL@commit."""
    value = (text or "wheel").strip()
    if value == "wheel":
        return Source("wheel", "")
    if value.endswith(".whl"):
        path = Path(value).expanduser().resolve()
        try:
            name = parse_wheel_filename(path.name)[0]
        except InvalidWheelFilename as exc:
            raise UsageError(f"--catdetector-source {value!r}: {exc}") from exc
        if name != SELF:
            raise UsageError(f"--catdetector-source {value!r} is a wheel of {name}, not {SELF}")
        if not path.is_file():
            raise UsageError(f"--catdetector-source: no such wheel {path}")
        return Source("wheel", "", path)
    if value.startswith("git+"):
        url, _, commit = value.rpartition("@")
        if "://" not in url or not _COMMIT.fullmatch(commit):
            raise UsageError(
                f"--catdetector-source {value!r}: a git source needs a URL and a full commit",
                hint="e.g. git+https://example.org/catdetector.git@<40-hex commit>",
            )
        return Source("git", f"{SELF} @ {value}")
    version = value.removeprefix(f"{SELF}==")
    try:
        Version(version)
    except InvalidVersion as exc:
        raise UsageError(
            f"--catdetector-source {value!r} is not 'wheel', a .whl file, a version or git+URL@sha"
        ) from exc
    return Source("index", f"{SELF}=={version}")


def write(root: Path, source: Source, groups: tuple[str, ...] = ()) -> list[Path]:
    """Write the lock with ``groups`` (extras of the rungs), the CI lock, and the vendored
    wheel or source file, into ``root``; return the paths."""
    from catdetector.release import selfwheel

    lock = root / layout.ENV_LOCK
    ci_lock = root / CI_LOCK
    written = [lock, ci_lock]
    body = packaged_lock_text(groups)
    named = ", ".join(("catdetector", *groups))
    ci_lock.write_text(CI_HEADER + packaged_groups().get(CI_GROUP, ""), encoding="utf-8")
    if source.kind == "wheel":
        vendor = root / VENDOR
        if source.wheel is None:
            wheel = selfwheel.build(vendor)
        else:
            vendor.mkdir(parents=True, exist_ok=True)
            wheel = vendor / source.wheel.name
            if source.wheel.resolve() != wheel.resolve():
                shutil.copyfile(source.wheel, wheel)
        written.append(wheel)
        rel = f"./{VENDOR.as_posix()}/{wheel.name}"
        line = f"{rel} \\\n    --hash=sha256:{selfwheel.sha256_file(wheel)}\n"
        header = HEADER.format(extra="", groups=named)
        lock.write_text(header + body + line, encoding="utf-8")
    else:
        extra = f"\n#   pip install --no-deps -r {SOURCE_FILE}"
        header = HEADER.format(extra=extra, groups=named)
        lock.write_text(header + body, encoding="utf-8")
        companion = root / SOURCE_FILE
        companion.write_text(
            SOURCE_HEADER.format(kind=source.kind) + source.requirement + "\n", encoding="utf-8"
        )
        written.append(companion)
    return written
