"""The model registry on GTO's git-tag conventions: register, promote (gated), rollback.

The tags are exactly the ones ``gto register`` and ``gto assign`` create (annotated, same
names, same messages, same ``#N`` counter rule), written with plain ``git tag`` so that a
command does not pay for importing GTO (about a second); plain ``gto show`` agrees after
every operation (tests/registry checks it). Reads parse tag names with GTO's grammar
(``gto.constants.tag_re``, copied below; tests/registry/test_tag_names.py checks that
both parsers agree) and order stage assignments by the ``#N`` counter (tag times have
one-second resolution). Every assignment is made in a later second than the previous
one, so GTO's timestamp order and the counter order never disagree.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from catdetector.core import layout, tools
from catdetector.core.errors import GateError, RegistryError, UsageError

if TYPE_CHECKING:  # config imports pydantic (0.3-0.4 s): only promote and gate need it
    from catdetector.core.config import GateParams

ROLLBACK_MARK = "catdetector rollback"
Bump = Literal["major", "minor", "patch"]

# GTO's tag grammar, as in gto.constants (tag_re); "=" stands for ":" in artifact names.
_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
_SEMVER = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_FULLNAME_IN_TAG = f"(?P<dirname>[a-zA-Z0-9-_./]+=)?(?P<name>{_NAME})"
TAG_RE = re.compile(
    f"^(?P<artifact>{_FULLNAME_IN_TAG})(((#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))"
    r"(?P<cancel>!?))|@((?P<deprecated>deprecated)|(?P<created>created)))(#(?P<counter>[0-9]+))?$"
)


def parse_name(name: str) -> dict[str, Any]:
    """What GTO reads from a tag name: name, action, version, stage, counter ({} if none)."""
    match = TAG_RE.search(name)
    if not match:
        return {}
    parsed: dict[str, Any] = {"name": match["artifact"].replace("=", ":")}
    if match["deprecated"]:
        parsed["action"] = "deprecate"
    if match["version"]:
        parsed["version"] = match["version"]
        parsed["action"] = "deregister" if match["cancel"] == "!" else "register"
    if match["stage"]:
        parsed["stage"] = match["stage"]
        parsed["action"] = "unassign" if match["cancel"] == "!" else "assign"
    if match["counter"]:
        parsed["counter"] = int(match["counter"])
    return parsed


@dataclass(frozen=True)
class Tag:
    """A git tag with what GTO's parser reads from its name."""

    name: str
    commit: str
    created: int = 0
    message: str = ""

    @property
    def parsed(self) -> dict[str, Any]:
        """GTO's parse of the name ({} when it is not a GTO tag)."""
        return parse_name(self.name)


@dataclass(frozen=True)
class Assignment:
    """One stage event (assign or unassign), ordered by ``counter``."""

    stage: str
    version: str | None
    commit: str
    counter: int
    tag: str
    unassign: bool = False
    message: str = ""
    created: int = 0


@dataclass
class RegistryState:
    """Versions and stages of one artifact, read from tags."""

    artifact: str
    versions: dict[str, str] = field(default_factory=dict)  # version -> commit
    deregistered: set[str] = field(default_factory=set)
    events: list[Assignment] = field(default_factory=list)  # ascending counter
    counter: int = 0  # highest #N of the artifact's tags (the next assignment gets N + 1)

    def stage_version(self, stage: str) -> str | None:
        """The version in ``stage`` now: GTO's rule, newest active assignment wins."""
        active: dict[str, int] = {}
        for event in self.events:
            if event.stage != stage or event.version is None:
                continue
            if event.unassign:
                active.pop(event.version, None)
            else:
                active[event.version] = event.counter
        return max(active, key=lambda v: active[v]) if active else None

    def stages(self) -> dict[str, str]:
        """Every stage that holds a version, with that version."""
        names = sorted({e.stage for e in self.events})
        return {s: v for s in names if (v := self.stage_version(s)) is not None}

    def latest(self) -> str | None:
        """Highest registered version by SemVer."""
        live = [v for v in self.versions if v not in self.deregistered]
        return max(live, key=_semver_key) if live else None

    def rollback_stack(self, stage: str) -> list[str]:
        """Versions the stage went through, each rollback popping the one it undid."""
        stack: list[str] = []
        for event in self.events:
            if event.stage != stage or event.version is None:
                continue
            if event.unassign:
                stack = [v for v in stack if v != event.version]
            elif event.message.startswith(ROLLBACK_MARK) and len(stack) >= 2:
                stack.pop()
            elif not stack or stack[-1] != event.version:
                stack.append(event.version)
        return stack

    def to_dict(self) -> dict[str, Any]:
        """JSON view, in the shape of ``gto show --json`` plus commits and events."""
        return {
            "artifact": self.artifact,
            "latest": self.latest(),
            "stages": self.stages(),
            "versions": [
                {
                    "version": v,
                    "commit": c,
                    "stages": [s for s, sv in self.stages().items() if sv == v],
                }
                for v, c in sorted(self.versions.items(), key=lambda kv: _semver_key(kv[0]))
                if v not in self.deregistered
            ],
        }


def _semver_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.lstrip("v").split("-")[0].split("."))
    except ValueError:
        return (-1,)


def build_state(tags: list[Tag], artifact: str = layout.ARTIFACT) -> RegistryState:
    """Registry state from tags (from ``git for-each-ref`` or ``git ls-remote``)."""
    state = RegistryState(artifact)
    by_commit: dict[str, str] = {}
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") != artifact:
            continue
        state.counter = max(state.counter, parsed.get("counter", 0))
        if "stage" in parsed:
            continue
        if "version" in parsed:
            if parsed.get("action") == "deregister":
                state.deregistered.add(parsed["version"])
            else:
                state.versions[parsed["version"]] = tag.commit
                by_commit[tag.commit] = parsed["version"]
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") != artifact or "stage" not in parsed:
            continue
        unassign = parsed.get("action") == "unassign"
        state.events.append(
            Assignment(
                stage=parsed["stage"],
                version=by_commit.get(tag.commit),
                commit=tag.commit,
                counter=int(parsed.get("counter", 0)),
                tag=tag.name,
                unassign=unassign,
                message=tag.message.strip(),
                created=tag.created,
            )
        )
    state.events.sort(key=lambda e: e.counter)
    return state


def local_tags(root: Path) -> list[Tag]:
    """Every tag of the repository with its commit, time and message."""
    fmt = (
        "%(refname:strip=2)%00%(*objectname)%00%(objectname)%00%(taggerdate:unix)%00%(contents)%01"
    )
    out = tools.run(["git", "for-each-ref", f"--format={fmt}", "refs/tags"], root).stdout
    tags = []
    for record in out.split("\x01"):
        record = record.strip("\n")
        if not record:
            continue
        name, peeled, obj, created, message = record.split("\x00", 4)
        tags.append(Tag(name, peeled or obj, int(created or 0), message))
    return tags


def remote_tags(url: str, timeout: float = 30) -> list[Tag]:
    """Tags of a remote repository from ``git ls-remote --tags`` (no clone)."""
    from catdetector.core.errors import RemoteError

    proc = tools.run(["git", "ls-remote", "--tags", url], None, timeout=timeout, error=RemoteError)
    refs: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            refs[name[:-3]] = sha  # the peeled commit wins over the tag object
        else:
            refs.setdefault(name, sha)
    return [Tag(name, sha) for name, sha in refs.items()]


def read_state(root: Path, artifact: str = layout.ARTIFACT) -> RegistryState:
    """State of the local repository."""
    return build_state(local_tags(root), artifact)


def show(root: Path) -> RegistryState:
    """State of the project that ``root`` is in (RegistryError outside one)."""
    return read_state(_require_root(root))


# ---------------------------------------------------------------- writes


def tagger(root: Path) -> tuple[str, str]:
    """Who signs the tags: git's own answer (env vars, every config level), as GTO needs it."""
    proc = tools.run(["git", "var", "GIT_COMMITTER_IDENT"], root, check=False)
    ident = proc.stdout.strip()
    if proc.returncode != 0 or "<" not in ident:
        raise RegistryError(
            "git does not know who you are: tags need a name and an email",
            hint="set git config --global user.name and user.email",
        )
    name, _, rest = ident.partition("<")
    return name.strip(), rest.split(">", 1)[0].strip()


def _create_tag(root: Path, name: str, commit: str, message: str, push: bool) -> str:
    """An annotated tag, as GTO makes it (the tagger is git's committer identity)."""
    tagger(root)
    proc = tools.run(["git", "tag", "-a", name, commit, "-m", message], root, check=False)
    if proc.returncode != 0:
        raise RegistryError(f"git could not create tag {name}: {tools.failure_text(proc)}")
    if push:
        pushed = tools.run(["git", "push", "origin", f"refs/tags/{name}"], root, check=False)
        if pushed.returncode != 0:
            raise RegistryError(
                f"tag {name} was made here but `git push origin {name}` failed: "
                f"{tools.failure_text(pushed)}",
                hint="sync with origin, then run `git push origin --tags`",
            )
    return name


def _next_version(state: RegistryState, bump: Bump | None) -> str:
    """GTO's rule: the first version is given; later ones bump the latest (patch by default)."""
    latest = state.latest()
    if latest is None:
        return "v1.0.0" if bump == "major" else "v0.1.0"
    major, minor, patch = (*_semver_key(latest), 0, 0, 0)[:3]
    if bump == "major":
        return f"v{major + 1}.0.0"
    if bump == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def _wait_for_fresh_second(state: RegistryState) -> None:
    """Make the next tag's time strictly later than every stage tag's (GTO orders by time)."""
    newest = max((e.created for e in state.events), default=0)
    while int(time.time()) <= newest:
        time.sleep(0.05 + (1 - time.time() % 1))


def _require_root(root: Path) -> Path:
    found = layout.find_root(root)
    if found is None:
        raise RegistryError(f"{root} is not inside a catdetector project")
    return found


def _lock_model_md5(root: Path, rev: str) -> str | None:
    proc = tools.run(["git", "show", f"{rev}:{layout.DVC_LOCK}"], root, check=False)
    return layout.model_md5(proc.stdout) if proc.returncode == 0 else None


def dir_md5(directory: Path) -> str:
    """DVC's hash of a directory output (``<md5>.dir``), as dvc.lock records it."""
    entries = []
    for path in directory.rglob("*"):
        if path.is_file():
            digest = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            entries.append(
                {"md5": digest.hexdigest(), "relpath": path.relative_to(directory).as_posix()}
            )
    entries.sort(key=lambda e: e["relpath"])
    listing = json.dumps(entries, sort_keys=True).encode("utf-8")
    return hashlib.md5(listing, usedforsecurity=False).hexdigest() + ".dir"


def version_with_model(root: Path, md5: str) -> str | None:
    """The highest registered version whose commit's dvc.lock records the model ``md5``."""
    state = read_state(root)
    live = [v for v in state.versions if v not in state.deregistered]
    for version in sorted(live, key=_semver_key, reverse=True):
        if _lock_model_md5(root, state.versions[version]) == md5:
            return version
    return None


def committed_metrics(root: Path, rev: str) -> dict[str, Any] | None:
    """``metrics/test.json`` as committed at ``rev``, or None."""
    proc = tools.run(["git", "show", f"{rev}:{layout.TEST_METRICS}"], root, check=False)
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _local_remote(root: Path) -> Path | None:
    """The default DVC remote's folder when the project's own config names a local one."""
    sections: dict[str, dict[str, str]] = {}
    for name in ("config", "config.local"):
        path = root / ".dvc" / name
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        for section in parser.sections():
            values = dict(parser[section])
            if "url" in values and "://" not in values["url"]:
                values["url"] = str((path.parent / values["url"]).resolve())
            sections.setdefault(section.strip("'"), {}).update(values)
    remote = sections.get("core", {}).get("remote")
    url = sections.get(f'remote "{remote}"', {}).get("url") if remote else None
    return Path(url) if url and "://" not in url else None


def _in_remote(root: Path, md5: str) -> bool:
    """True when the model ``md5`` (a ``.dir``) and every file it lists are in the remote.

    A local remote is read directly (DVC 3's ``files/md5/ab/cdef...`` layout), which costs
    milliseconds; any other remote is asked through ``dvc status --cloud`` (about a second).
    """
    remote = _local_remote(root)
    if remote is not None and remote.is_dir():
        store = remote / "files" / "md5"
        listing = store / md5[:2] / md5[2:]
        try:
            entries = json.loads(listing.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return all(
            isinstance(e, dict) and (store / e["md5"][:2] / e["md5"][2:]).is_file() for e in entries
        )
    cloud = tools.run(
        ["dvc", "status", "--cloud", "--json", str(layout.MODEL_DIR)], root, check=False
    )
    if cloud.returncode != 0:
        raise RegistryError(f"cannot reach the DVC remote: {cloud.stderr.strip()[-300:]}")
    return not json.loads(cloud.stdout or "{}")


@dataclass
class Registered:
    """Result of register."""

    version: str
    commit: str
    tag: str
    pushed: bool


def register(root: Path, bump: Bump | None = None, push: bool = False) -> Registered:
    """Tag HEAD (clean, model in dvc.lock and in the DVC remote) as a new version."""
    root = _require_root(root)
    status = tools.run(["git", "status", "--porcelain"], root).stdout.strip()
    if status:
        first = status.splitlines()[0].strip()
        raise RegistryError(
            f"the workspace has uncommitted changes ({first}, ...)",
            hint="commit them first, so the version names exactly what was trained",
        )
    head = tools.head_commit(root)
    md5 = _lock_model_md5(root, "HEAD") if head is not None else None
    if head is None or md5 is None:
        raise RegistryError(
            "HEAD's dvc.lock holds no model", hint="run `dvc repro` and commit dvc.lock"
        )
    model = root / layout.MODEL_DIR
    if not model.is_dir() or dir_md5(model) != md5:
        raise RegistryError(
            f"the workspace model does not match dvc.lock ({layout.MODEL_DIR} differs)",
            hint="run `dvc repro` (or `dvc checkout`) and commit",
        )
    if not _in_remote(root, md5):
        raise RegistryError(
            "the model is not in the DVC remote: nobody else could fetch this version",
            hint="run `dvc push` first",
        )
    state = read_state(root)
    for version, commit in state.versions.items():
        if commit == head and version not in state.deregistered:
            raise RegistryError(f"HEAD is already registered as {version}")
    version = _next_version(state, bump)
    tag = _create_tag(
        root,
        f"{layout.ARTIFACT}@{version}",
        head,
        f"Registering artifact {layout.ARTIFACT} version {version}",
        push,
    )
    return Registered(version, head, tag, push)


@dataclass
class GateResult:
    """The promotion gate's verdict."""

    passed: bool
    reasons: list[str]
    candidate_accuracy: float | None
    dummy_accuracy: float | None
    current_version: str | None
    current_accuracy: float | None


def evaluate_gate(
    candidate: dict[str, Any],
    name: str,
    current: tuple[str, dict[str, Any]] | None,
    stage: str,
    params: GateParams,
) -> GateResult:
    """Beat the dummy by a margin; do not fall more than a tolerance below the stage's model."""
    reasons: list[str] = []
    accuracy = candidate.get("accuracy")
    dummy = (candidate.get("ladder_test_accuracy") or {}).get("dummy")
    if accuracy is None or dummy is None:
        reasons.append(f"{name} has no {layout.TEST_METRICS} with accuracy and dummy accuracy")
    elif accuracy < dummy + params.min_margin_over_dummy:
        reasons.append(
            f"test accuracy {accuracy:.3f} does not beat the dummy baseline {dummy:.3f} "
            f"by the margin {params.min_margin_over_dummy:.3f}"
        )
    current_version, current_accuracy = None, None
    if current is not None:
        current_version, current_accuracy = current[0], current[1].get("accuracy")
        if (
            accuracy is not None
            and current_accuracy is not None
            and accuracy < current_accuracy - params.max_regression
        ):
            reasons.append(
                f"test accuracy {accuracy:.3f} is worse than {current_version} in {stage} "
                f"({current_accuracy:.3f}) by more than {params.max_regression:.3f}"
            )
    return GateResult(not reasons, reasons, accuracy, dummy, current_version, current_accuracy)


def _current_in_stage(
    root: Path, state: RegistryState, stage: str, exclude: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    version = state.stage_version(stage)
    if version is None or version == exclude:
        return None
    return version, committed_metrics(root, state.versions[version]) or {}


def gate(
    root: Path, state: RegistryState, version: str, stage: str, params: GateParams
) -> GateResult:
    """The gate for a registered version (metrics as committed at its commit)."""
    candidate = committed_metrics(root, state.versions[version]) or {}
    current = _current_in_stage(root, state, stage, exclude=version)
    return evaluate_gate(candidate, version, current, stage, params)


def gate_workspace(root: Path, stage: str) -> GateResult:
    """The gate for the workspace's freshly trained model (what CI runs after `dvc repro`)."""
    root = _require_root(root)
    try:
        candidate = json.loads((root / layout.TEST_METRICS).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RegistryError(
            f"cannot read {layout.TEST_METRICS}: {exc}", hint="run `dvc repro` first"
        ) from exc
    _check_stage(stage)
    state = read_state(root)
    from catdetector.core.config import load_params

    params = load_params(root / layout.PARAMS)
    return evaluate_gate(
        candidate, "the workspace model", _current_in_stage(root, state, stage), stage, params.gate
    )


@dataclass
class Promoted:
    """Result of promote or rollback."""

    version: str
    stage: str
    tag: str
    previous: str | None
    gate: GateResult | None
    forced: bool
    pushed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _assign(
    root: Path, state: RegistryState, version: str, stage: str, message: str, push: bool
) -> str:
    _wait_for_fresh_second(state)
    name = f"{layout.ARTIFACT}#{stage}#{state.counter + 1}"
    return _create_tag(root, name, state.versions[version], message, push)


def _check_stage(stage: str) -> None:
    if not stage or not all(c.isalnum() or c in "-_" for c in stage):
        raise UsageError(f"invalid stage name {stage!r}: use letters, digits, - and _")


def promote(
    root: Path,
    version: str,
    stage: str,
    force: bool = False,
    reason: str | None = None,
    push: bool = False,
) -> Promoted:
    """Assign ``version`` to ``stage`` if the gate passes (or ``force`` with a reason)."""
    root = _require_root(root)
    _check_stage(stage)
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason TEXT: the reason is kept in the tag")
    state = read_state(root)
    version = version if version.startswith("v") else f"v{version}"
    if version not in state.versions or version in state.deregistered:
        known = ", ".join(sorted(state.versions, key=_semver_key)) or "none"
        raise RegistryError(f"version {version} is not registered (registered: {known})")
    current = state.stage_version(stage)
    if current == version:
        raise RegistryError(f"{version} is already in {stage}")
    from catdetector.core.config import load_params

    params = load_params(root / layout.PARAMS)
    verdict = gate(root, state, version, stage, params.gate)
    if not verdict.passed and not force:
        raise GateError(
            f"the gate refused {version} for {stage}: " + "; ".join(verdict.reasons),
            hint="fix the model, or override with --force --reason TEXT",
        )
    message = f"catdetector promote {version} to {stage}"
    if force and not verdict.passed:
        message += f": FORCED past the gate ({'; '.join(verdict.reasons)}); reason: {reason}"
    elif force:
        message += f" (force requested; gate passed); reason: {reason}"
    tag = _assign(root, state, version, stage, message, push)
    return Promoted(version, stage, tag, current, verdict, force and not verdict.passed, push)


def rollback(root: Path, stage: str, push: bool = False, reason: str | None = None) -> Promoted:
    """Put back the version that held ``stage`` before the current one (``reason`` in the tag)."""
    root = _require_root(root)
    _check_stage(stage)
    state = read_state(root)
    current = state.stage_version(stage)
    if current is None:
        raise RegistryError(f"no version is in stage {stage}: nothing to roll back")
    stack = state.rollback_stack(stage)
    if len(stack) < 2:
        raise RegistryError(f"{current} is the first version {stage} ever held: nothing earlier")
    target = stack[-2]
    message = f"{ROLLBACK_MARK}: {stage} from {current} back to {target}"
    if reason and reason.strip():
        message += f"; reason: {reason.strip()}"
    tag = _assign(root, state, target, stage, message, push)
    return Promoted(target, stage, tag, current, None, False, push)


def history(root: Path) -> list[dict[str, Any]]:
    """Every registration and stage event, oldest first."""
    root = _require_root(root)
    tags = local_tags(root)
    state = build_state(tags)
    events: list[dict[str, Any]] = []
    for tag in tags:
        parsed = tag.parsed
        if parsed.get("name") == layout.ARTIFACT and "version" in parsed and "stage" not in parsed:
            events.append(
                {
                    "kind": "register",
                    "version": parsed["version"],
                    "stage": None,
                    "commit": tag.commit,
                    "tag": tag.name,
                    "created": tag.created,
                    "message": tag.message.strip(),
                    "counter": 0,
                }
            )
    for e in state.events:
        kind = (
            "unassign"
            if e.unassign
            else ("rollback" if e.message.startswith(ROLLBACK_MARK) else "promote")
        )
        events.append(
            {
                "kind": kind,
                "version": e.version,
                "stage": e.stage,
                "commit": e.commit,
                "tag": e.tag,
                "created": e.created,
                "message": e.message,
                "counter": e.counter,
            }
        )
    events.sort(key=lambda e: (e["created"], e["counter"]))
    return events
