"""Read registry tags: from this clone (``git for-each-ref``) or a remote (``git ls-remote``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catdetector.core import tools
from catdetector.core.errors import RemoteError
from catdetector.formats import gto

LOCAL = "refs/tags"


@dataclass(frozen=True)
class Tag:
    """A git tag with what GTO's parser reads from its name."""

    name: str
    commit: str  # the commit it points to (peeled)
    created: int = 0  # tagger time, unix seconds (0 when unknown, e.g. from ls-remote)
    message: str = ""
    obj: str = ""  # the tag object's id (two tags of one name differ when this differs)

    @property
    def parsed(self) -> dict[str, Any]:
        """GTO's parse of the name ({} when it is not a GTO tag)."""
        return gto.parse_name(self.name)


def refs_tags(root: Path, namespace: str = LOCAL) -> list[Tag]:
    """Every tag under ``namespace`` (``refs/tags`` or a private copy of a remote's)."""
    fmt = "%(refname)%00%(*objectname)%00%(objectname)%00%(taggerdate:unix)%00%(contents)%01"
    out = tools.run(["git", "for-each-ref", f"--format={fmt}", namespace], root).stdout
    prefix = namespace.rstrip("/") + "/"
    tags = []
    for record in out.split("\x01"):
        record = record.strip("\n")
        if not record:
            continue
        ref, peeled, obj, created, message = record.split("\x00", 4)
        tags.append(Tag(ref.removeprefix(prefix), peeled or obj, int(created or 0), message, obj))
    return tags


def local_tags(root: Path) -> list[Tag]:
    """Every tag of the repository with its commit, time and message."""
    return refs_tags(root, LOCAL)


def remote_tags(url: str, timeout: float = 30) -> list[Tag]:
    """Tags of a remote repository from ``git ls-remote --tags`` (no clone)."""
    proc = tools.run(["git", "ls-remote", "--tags", url], None, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RemoteError(f"git ls-remote of the registry failed: {tools.failure_text(proc)}")
    refs: dict[str, str] = {}
    objs: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            refs[name[:-3]] = sha  # the peeled commit wins over the tag object
        else:
            refs.setdefault(name, sha)
            objs[name] = sha
    return [Tag(name, sha, obj=objs.get(name, sha)) for name, sha in refs.items()]
