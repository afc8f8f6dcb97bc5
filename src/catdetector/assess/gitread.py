"""What ``.git`` says about the folder: tracked files, tags, history size (git is never run).

The folder's own ``.git`` is read, or, for a subfolder of a repository, the
nearest ``.git`` directory above it (its index entries are then narrowed to the
subfolder). Only the index, ``config``, tag refs and the sizes of pack files are
read; objects and history are not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catdetector.assess import gitmeta
from catdetector.assess.fsread import DIR_FLAGS, read_at, reason

GIT_INDEX_CAP = 64 * 1024 * 1024
PACKED_REFS_CAP = 16 * 1024 * 1024
READ_CAP = 256 * 1024
MAX_TAGS = 100_000
MAX_DEPTH = 64
MAX_PACKS = 10_000


@dataclass
class GitInfo:
    """What the files under ``.git`` say; nothing is run."""

    present: bool = False
    readable: bool = False
    tags: list[str] = field(default_factory=list)
    tracked: dict[str, int] | None = None
    prefix: str = ""  # the folder's path inside the repository, when it is a subfolder
    exclude: str = ""  # .git/info/exclude: ignore rules of this clone only
    pack_bytes: int = 0
    repo_tracked_bytes: int = 0


def _enclosing_git(root: Path) -> tuple[Path, str] | None:
    """The ``.git`` directory of the repository that contains ``root``, and root's prefix."""
    for parent in root.parents:
        candidate = parent / ".git"
        if candidate.is_dir() and not candidate.is_symlink():
            return candidate, root.relative_to(parent).as_posix()
        if candidate.exists():
            return None  # a worktree or submodule pointer: not followed
    return None


def read_git(
    git: GitInfo, root: Path, git_is_file: bool, root_fd: int, note: Callable[[str], None]
) -> None:
    """Fill ``git`` from the folder's ``.git`` (``git_is_file``: a worktree or submodule
    pointer) or from the repository the folder ``root`` lies in."""
    if git.present and git_is_file:
        return  # a .git file (worktree, submodule): its metadata lives elsewhere
    if git.present:
        try:
            git_fd = os.open(".git", DIR_FLAGS, dir_fd=root_fd)
        except NotADirectoryError:
            return  # a .git file: the scan has already said so
        except OSError as exc:
            note(f".git could not be opened ({reason(exc)}); treated as not git")
            return
    else:
        found = _enclosing_git(root)
        if found is None:
            return
        try:
            git_fd = os.open(found[0], DIR_FLAGS)
        except OSError:
            return
        git.present, git.prefix = True, found[1]
        note(f"a subfolder ({found[1]}) of the git repository at {found[0].parent}")
    try:
        _read(git, git_fd, note)
    finally:
        os.close(git_fd)


def _read(git: GitInfo, git_fd: int, note: Callable[[str], None]) -> None:
    git.readable = True
    hash_len = 20
    try:
        config, _, _ = read_at(git_fd, "config", READ_CAP)
        hash_len = gitmeta.hash_len_from_config(config.decode("utf-8", "replace"))
    except OSError:
        pass
    try:
        data, _, truncated = read_at(git_fd, "index", GIT_INDEX_CAP)
        if truncated:
            note(".git/index is larger than 64 MiB; tracked files unknown")
        else:
            tracked = gitmeta.parse_index(data, hash_len=hash_len)
            git.repo_tracked_bytes = sum(tracked.values())
            if git.prefix:
                start = git.prefix + "/"
                tracked = {p[len(start) :]: s for p, s in tracked.items() if p.startswith(start)}
            git.tracked = tracked
    except FileNotFoundError:
        git.tracked = {}
    except (OSError, gitmeta.GitIndexError) as exc:
        note(f".git/index not read: {exc}")
    if not git.prefix:  # a subfolder's paths are not relative to the repository's root
        try:
            exclude, _, _ = read_at(git_fd, "info/exclude", READ_CAP)
            git.exclude = exclude.decode("utf-8", "replace")
        except OSError:
            pass
    tags = _loose_tags(git_fd)
    try:
        packed, _, _ = read_at(git_fd, "packed-refs", PACKED_REFS_CAP)
        tags.extend(gitmeta.parse_packed_refs(packed.decode("utf-8", "replace")))
    except OSError:
        pass
    git.tags = sorted(set(tags))
    git.pack_bytes = _pack_bytes(git_fd)


def _pack_bytes(git_fd: int) -> int:
    """The total size of ``.git/objects/pack/*.pack`` (stat only)."""
    total = 0
    try:
        objects = os.open("objects", DIR_FLAGS, dir_fd=git_fd)
    except OSError:
        return 0
    try:
        pack = os.open("pack", DIR_FLAGS, dir_fd=objects)
    except OSError:
        return 0
    finally:
        os.close(objects)
    try:
        with os.scandir(pack) as it:
            for count, entry in enumerate(it):
                if count > MAX_PACKS:
                    break
                if entry.name.endswith(".pack") and entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        pass
    finally:
        os.close(pack)
    return total


def _loose_tags(git_fd: int) -> list[str]:
    """Names of the files under ``.git/refs/tags`` (walked without following links)."""
    tags: list[str] = []
    try:
        refs_fd = os.open("refs", DIR_FLAGS, dir_fd=git_fd)
    except OSError:
        return tags
    try:
        tags_fd = os.open("tags", DIR_FLAGS, dir_fd=refs_fd)
    except OSError:
        os.close(refs_fd)
        return tags
    os.close(refs_fd)
    stack: list[tuple[int, str]] = [(tags_fd, "")]
    while stack:
        fd, prefix = stack.pop()
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    if len(tags) >= MAX_TAGS:
                        break
                    if entry.is_dir(follow_symlinks=False) and len(stack) < MAX_DEPTH:
                        try:
                            sub = os.open(entry.name, DIR_FLAGS, dir_fd=fd)
                        except OSError:
                            continue
                        stack.append((sub, f"{prefix}{entry.name}/"))
                    elif entry.is_file(follow_symlinks=False):
                        tags.append(prefix + entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return tags
