"""GTO's formats, through GTO itself: tag names, messages, version order, stages, tags.

Importing GTO costs a few tenths of a second; only the registry and the server need it.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass
from functools import total_ordering
from pathlib import Path
from typing import Any, Literal

from gto.config import CONFIG_FILE_NAME, read_registry_config
from gto.constants import Action, check_string_is_valid, name_re
from gto.tag import COUNT_DELIMITER, create_tag, name_tag
from gto.tag import parse_name as _gto_parse_name
from gto.versions import SemVer

CONFIG_FILE = Path(CONFIG_FILE_NAME)  # ".gto" at the root of the repository
Bump = Literal["major", "minor", "patch"]
FIRST_VERSION = "v0.1.0"  # ours; `gto register` starts at v0.0.1
FIRST_MAJOR = "v1.0.0"


def parse_name(name: str) -> dict[str, Any]:
    """What GTO reads from a tag name (name, action, version, stage, counter); {} if none.

    The action is its plain value ("register", "assign", ...), not GTO's enum.
    """
    parsed = _gto_parse_name(name, raise_on_fail=False) or {}
    return {k: getattr(v, "value", v) for k, v in parsed.items()}


def _with_counter(tag: str, counter: int | None) -> str:
    return tag if counter is None else f"{tag}{COUNT_DELIMITER}{counter}"


def version_tag(artifact: str, version: str) -> str:
    """The tag that registers ``version`` (``name@vX.Y.Z``, as ``gto register`` names it)."""
    return str(name_tag(Action.REGISTER, artifact, version=version, simple=True))


def deregister_tag(artifact: str, version: str, counter: int | None) -> str:
    """The tag that deregisters ``version`` (``name@vX.Y.Z!#N``, as ``gto deprecate``)."""
    tag = name_tag(Action.DEREGISTER, artifact, version=version, simple=True)
    return _with_counter(str(tag), counter)


def stage_tag(artifact: str, stage: str, counter: int, unassign: bool = False) -> str:
    """The tag of a stage assignment (``name#stage#N``), or of an unassignment (``!``)."""
    action = Action.UNASSIGN if unassign else Action.ASSIGN
    return _with_counter(str(name_tag(action, artifact, stage=stage, simple=True)), counter)


def register_message(artifact: str, version: str) -> str:
    """The message ``gto register`` writes."""
    return f"Registering artifact {artifact} version {version}"


def deregister_message(artifact: str, version: str) -> str:
    """The message ``gto deprecate ARTIFACT VERSION`` writes."""
    return f"Deregistering artifact {artifact} version {version}"


def is_valid_name(value: str) -> bool:
    """True when GTO accepts ``value`` as a stage (or artifact) name."""
    return bool(value) and check_string_is_valid(value, regex=name_re)


@total_ordering
class VersionKey:
    """Sort key of a version in SemVer order (GTO's); ties broken by the name itself.

    Prereleases sort below their release and by their dotted parts (``rc.2 < rc.10``);
    build metadata never changes precedence (``v1.0.0+b`` sits with ``v1.0.0``).
    A name that is not a SemVer version sorts below every version.
    """

    def __init__(self, version: str) -> None:
        self.version = version
        self.parsed = SemVer.parse(version) if SemVer.is_valid(version) else None

    def _tuple(self) -> tuple[bool, str]:
        return (self.parsed is not None, self.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VersionKey) and self.version == other.version

    def __hash__(self) -> int:
        return hash(self.version)

    def __lt__(self, other: VersionKey) -> bool:
        if self.parsed is None or other.parsed is None:
            return self._tuple() < other._tuple()
        if self.parsed != other.parsed:
            return bool(self.parsed < other.parsed)
        return self.version < other.version


def version_key(version: str) -> VersionKey:
    """Key for ``sorted``/``max`` of version names."""
    return VersionKey(version)


def is_version(version: str) -> bool:
    """True when ``version`` is a GTO version name (``vX.Y.Z[-pre][+build]``)."""
    return bool(SemVer.is_valid(version))


def next_version(latest: str | None, bump: Bump | None) -> str:
    """The version ``register`` gives: ours first, then GTO's bump of the latest (patch)."""
    if latest is None:
        return FIRST_MAJOR if bump == "major" else FIRST_VERSION
    part = bump or "patch"
    bumped = SemVer(latest).bump(
        bump_major=part == "major", bump_minor=part == "minor", bump_patch=part == "patch"
    )
    return str(bumped.version)


def stages_from_file(path: Path) -> list[str] | None:
    """The stages a ``.gto`` file declares (None: none declared, any valid name goes).

    Read by GTO's own loader, so ``GTO_STAGES`` in the environment overrides it as for
    ``gto`` itself. Raises ValueError when the file is not a valid GTO config.
    """
    try:
        config = read_registry_config(str(path))
    except Exception as exc:  # GTO wraps every config error in its WrongConfig
        raise ValueError(f"{path} is not a valid GTO config: {exc}") from exc
    return list(config.stages) if config.stages is not None else None


def stages_from_text(text: str) -> list[str] | None:
    """Like :func:`stages_from_file` for the text of a ``.gto`` (e.g. from ``git show``)."""
    with tempfile.TemporaryDirectory(prefix="catdetector-gto-") as tmp:
        path = Path(tmp) / CONFIG_FILE_NAME
        path.write_text(text, encoding="utf-8")
        return stages_from_file(path)


def config_text(stages: list[str]) -> str:
    """A ``.gto`` that declares ``stages`` (what ``catdetector init`` writes)."""
    for stage in stages:
        if not is_valid_name(stage):
            raise ValueError(f"invalid stage name {stage!r}")
    return "stages: [" + ", ".join(stages) + "]\n"


def write_tag(
    root: Path, name: str, rev: str, message: str, tagger: tuple[str, str] | None = None
) -> None:
    """An annotated tag, written by GTO's own ``create_tag`` (scmrepo): as ``gto`` writes it.

    ``tagger`` (name, email) signs it, else git's committer identity. Raises ValueError
    when a tag of that name exists, LookupError when ``rev`` is unknown.
    """
    from gto.exceptions import RefNotFound, TagExists
    from scmrepo.git import Git

    scm = Git(os.fspath(root))
    try:
        create_tag(
            scm,
            name,
            rev=rev,
            message=message,
            tagger=tagger[0] if tagger else None,
            tagger_email=tagger[1] if tagger else None,
        )
    except TagExists as exc:
        raise ValueError(f"tag {name} already exists") from exc
    except RefNotFound as exc:
        raise LookupError(f"{rev} is not a commit of {root}") from exc
    finally:
        scm.close()


# The canary's share of requests travels in its assignment tag's message, as a trailer
# line (git's ``Key: value`` form), so every replica reads the same split from the registry.
SHARE_TRAILER = "Canary-Share"
_SHARE_LINE = re.compile(rf"^{SHARE_TRAILER}:[ \t]*(\d{{1,3}})[ \t]*$", re.MULTILINE)


def with_share(message: str, share: int) -> str:
    """``message`` with the canary share (a percentage, 1..100) as its trailer."""
    if not 1 <= share <= 100:
        raise ValueError(f"share {share} is not a percentage from 1 to 100")
    return f"{message.rstrip()}\n\n{SHARE_TRAILER}: {share}"


def share_of(message: str) -> int | None:
    """The canary share a tag message records (None: none, or not in 1..100)."""
    found = _SHARE_LINE.findall(message)
    if not found:
        return None
    share = int(found[-1])
    return share if 1 <= share <= 100 else None


# A decision of ``monitor watch`` on a candidate (promoted on pass, aborted on fail) is
# recorded in the message of the tag that clears the candidate's role: a readable first
# line, then trailer lines (git's ``Key: value`` form) that every reader parses alike.
DECISION_TRAILER = "Decision"
_DECISION_FIELDS = {
    DECISION_TRAILER: "action",
    "Decision-Outcome": "outcome",
    "Decision-Stage": "stage",
    "Decision-Version": "version",
    "Decided-At": "at",
    "Decided-By": "by",
}
_REASON_TRAILER = "Decision-Reason"
_TRAILER_LINE = re.compile(r"^([A-Za-z][A-Za-z-]*):[ \t]*(.*?)[ \t]*$")


@dataclass(frozen=True)
class DecisionNote:
    """What ``monitor watch`` decided about a candidate, as its tag message records it."""

    action: str  # promoted, aborted
    outcome: str  # pass, fail
    stage: str  # the candidate's role: shadow, canary
    version: str
    at: str  # UTC, ISO 8601 (second resolution)
    by: str  # the tagger: "Name <email>"
    reasons: tuple[str, ...]

    def summary(self) -> str:
        """The first line's reason: ``monitor watch: shadow v2 failed: why; why``."""
        verb = "passed" if self.outcome == "pass" else "failed"
        return f"monitor watch: {self.stage} {self.version} {verb}: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {**asdict(self), "reasons": list(self.reasons)}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def with_decision(message: str, note: DecisionNote) -> str:
    """``message`` with ``note`` as its trailer lines (one ``Decision-Reason`` per reason)."""
    lines = [f"{key}: {_one_line(getattr(note, name))}" for key, name in _DECISION_FIELDS.items()]
    lines += [f"{_REASON_TRAILER}: {_one_line(why)}" for why in note.reasons]
    return f"{message.rstrip()}\n\n" + "\n".join(lines)


def decision_of(message: str) -> DecisionNote | None:
    """The decision a tag message records in its last paragraph (None: none recorded)."""
    last = message.strip().split("\n\n")[-1]
    fields: dict[str, str] = {}
    reasons: list[str] = []
    for line in last.splitlines():
        found = _TRAILER_LINE.match(line)
        if found is None:
            return None  # not a trailer paragraph
        key, value = found.groups()
        if key == _REASON_TRAILER:
            reasons.append(value)
        elif key in _DECISION_FIELDS:
            fields[_DECISION_FIELDS[key]] = value
    if set(fields) != set(_DECISION_FIELDS.values()):
        return None
    return DecisionNote(reasons=tuple(reasons), **fields)
