"""Git operations of a registry write: fetch the remote's tags, tag, push atomically, undo.

A write in a clone with a remote reads the remote's tags into a private namespace first
(``refs/catdetector/origin-tags``), so its target is computed from the remote's history
while ``refs/tags`` stays untouched; the new tag is pushed with ``git push --atomic``.
Only when every step worked are the remote's tags copied into ``refs/tags``; when any
step fails, the new tag is deleted, and the clone is exactly as it was.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from catdetector.core import layout, tools
from catdetector.core.errors import RegistryError, RemoteError
from catdetector.formats import gto
from catdetector.registry.state import RegistryState, build_state
from catdetector.registry.tags import Tag, local_tags, refs_tags

REMOTE = "origin"
MIRROR = "refs/catdetector/origin-tags"


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


def has_remote(root: Path, remote: str = REMOTE) -> bool:
    """True when the clone has a git remote named ``remote``."""
    return remote in tools.run(["git", "remote"], root, check=False).stdout.split()


def _update_refs(root: Path, lines: str) -> None:
    """``git update-ref --stdin``: every change, or none (one transaction)."""
    if not lines:
        return
    proc = subprocess.run(
        [tools.executable("git"), "update-ref", "--stdin"],
        cwd=root,
        env=tools.tool_env(),
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        raise RegistryError(f"git could not update the tags: {tools.failure_text(proc)}")


def _drop_mirror(root: Path) -> None:
    refs = tools.run(["git", "for-each-ref", "--format=%(refname)", MIRROR], root, check=False)
    _update_refs(root, "".join(f"delete {ref}\n" for ref in refs.stdout.split()))


@dataclass
class Write:
    """One registry write: the state it decides from, and the tags it made."""

    root: Path
    push: bool
    artifact: str = layout.ARTIFACT
    remote_tags: list[Tag] | None = None  # None: no remote was read
    offline: str | None = None  # why the remote could not be read (a --no-push write)
    local: list[Tag] = field(default_factory=list)
    made: list[tuple[str, str]] = field(default_factory=list)  # (name, tag object)

    @property
    def state(self) -> RegistryState:
        """The artifact's state to decide from: the remote's history (+ local-only work)."""
        return build_state(self.decision_tags(), self.artifact)

    def decision_tags(self) -> list[Tag]:
        """The remote's tags, plus this clone's own when nothing will be pushed."""
        if self.remote_tags is None:
            return self.local
        remote_names = {t.name for t in self.remote_tags}
        extra = [] if self.push else [t for t in self.local if t.name not in remote_names]
        return [*self.remote_tags, *extra]

    def next_counter(self) -> int:
        """GTO's ``#N``: one more than every counter here and on the remote."""
        every = build_state([*self.decision_tags(), *self.local], self.artifact)
        return every.counter + 1

    def wait_for_fresh_second(self) -> None:
        """Make the next tag's time strictly later than every stage tag's (GTO orders by time)."""
        newest = max(self.state.newest_time(), build_state(self.local, self.artifact).newest_time())
        while int(time.time()) <= newest:
            time.sleep(0.05 + (1 - time.time() % 1))

    def tag(self, name: str, commit: str, message: str) -> str:
        """Make the annotated tag here (pushed by :meth:`publish`)."""
        try:
            gto.write_tag(self.root, name, commit, message, tagger(self.root))
        except (ValueError, LookupError) as exc:
            raise RegistryError(f"git could not create tag {name}: {exc}") from exc
        obj = tools.run(["git", "rev-parse", f"refs/tags/{name}"], self.root).stdout.strip()
        self.made.append((name, obj))
        return name

    def publish(self, retry: str) -> None:
        """Push the new tags atomically (when pushing) and adopt the remote's tags."""
        if self.push and self.made:
            refs = [f"refs/tags/{name}:refs/tags/{name}" for name, _ in self.made]
            proc = tools.run(
                ["git", "push", "--atomic", "--porcelain", REMOTE, *refs], self.root, check=False
            )
            if proc.returncode != 0:
                raise RegistryError(
                    f"{REMOTE} refused the new tag ({_push_reason(proc)}):"
                    " someone changed the registry while this ran; nothing was changed here",
                    hint=f"run `{retry}` again: it reads {REMOTE}'s new tags first",
                )
        if self.remote_tags is not None:
            have = {t.name for t in local_tags(self.root)}
            lines = "".join(
                f"create refs/tags/{t.name} {t.obj}\n"
                for t in self.remote_tags
                if t.name not in have and t.obj
            )
            _update_refs(self.root, lines)

    def undo(self) -> None:
        """Delete the tags this write made (only if they are still the ones it made)."""
        for name, obj in reversed(self.made):
            tools.run(["git", "update-ref", "-d", f"refs/tags/{name}", obj], self.root, check=False)
        self.made.clear()


def _push_reason(proc: subprocess.CompletedProcess[str]) -> str:
    for line in proc.stdout.splitlines():
        if line.startswith("!"):
            return line.split("\t")[-1].strip()
    return tools.failure_text(proc)


def begin(root: Path, push: bool | None, artifact: str = layout.ARTIFACT) -> Write:
    """Start a write: read the remote's tags when there is a remote (``push`` None: push
    exactly when there is one). Raises when pushing is asked and impossible, when the
    remote cannot be read, or when this clone's tags of the artifact conflict with it."""
    remote = has_remote(root)
    push = remote if push is None else push
    if push and not remote:
        raise RegistryError(
            f"--push needs a git remote named {REMOTE}",
            hint=f"git remote add {REMOTE} URL, or run with --no-push",
        )
    write = Write(root, push, artifact, local=local_tags(root))
    if not remote:
        return write
    try:
        _drop_mirror(root)
        fetched = tools.run(
            [
                "git",
                "fetch",
                "-q",
                "--no-tags",
                "--no-write-fetch-head",
                REMOTE,
                f"+refs/tags/*:{MIRROR}/*",
            ],
            root,
            timeout=120,
            check=False,
        )
        if fetched.returncode != 0:
            raise RemoteError(tools.failure_text(fetched))
        write.remote_tags = refs_tags(root, MIRROR)
    except RemoteError as exc:
        if push:
            raise RegistryError(
                f"cannot read the tags of {REMOTE}: {exc.message}",
                hint=f"check that `git fetch {REMOTE}` works, or work here only with --no-push",
            ) from exc
        write.offline = exc.message
        return write
    finally:
        _drop_mirror(root)
    _check_local_tags(write)
    return write


def _check_local_tags(write: Write) -> None:
    """Refuse when this clone's tags of the artifact disagree with the remote's."""
    assert write.remote_tags is not None
    theirs = {t.name: t.obj for t in write.remote_tags}
    mine = [t for t in write.local if t.parsed.get("name") == write.artifact]
    clash = sorted(t.name for t in mine if t.name in theirs and theirs[t.name] != t.obj)
    if clash:
        raise RegistryError(
            f"tags here differ from {REMOTE}'s tags of the same name: {', '.join(clash)}",
            hint="they never reached the remote; delete them with `git tag -d "
            + " ".join(clash)
            + "` and run the command again",
        )
    only_here = sorted(t.name for t in mine if t.name not in theirs)
    if write.push and only_here:
        names = " ".join(only_here)
        raise RegistryError(
            f"tags here are not on {REMOTE}: {', '.join(only_here)} (made with --no-push?)",
            hint=f"publish them with `git push --atomic {REMOTE} {names}`, or drop them"
            f" with `git tag -d {names}`, then run the command again",
        )
