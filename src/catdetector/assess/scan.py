"""A safe, bounded, read-only walk of a folder into an index that checks consult.

Rules: symlinks are recorded but never followed (every open uses ``O_NOFOLLOW``
relative to an already opened directory, so no path component can lead out of
the tree); only regular files are opened (``O_NONBLOCK``: a FIFO never blocks);
at most ``READ_CAP`` bytes of a file are read, and only of files whose name
says they may matter; a NUL byte in the first 8 KiB marks a file binary;
errors become notes. ``.git`` is not walked: only its index, tags and config
are read, to learn what is tracked and which GTO tags exist.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from catdetector.assess.fsread import DIR_FLAGS as _DIR_FLAGS
from catdetector.assess.fsread import read_at as _read_at
from catdetector.assess.fsread import reason as _reason
from catdetector.assess.gitignore import Ignores
from catdetector.assess.gitread import GitInfo, read_git
from catdetector.assess.templates import is_template, render, rendered_name, templated_python
from catdetector.assess.textfiles import wants_text

READ_CAP = 256 * 1024
NOTEBOOK_CAP = 4 * 1024 * 1024
TOTAL_READ_BUDGET = 256 * 1024 * 1024
SNIFF_BYTES = 8192
MAX_FILES = 200_000
MAX_DEPTH = 64
MAX_NOTE_ITEMS = 10
CHECKPOINTS = ".ipynb_checkpoints"  # Jupyter's autosaves: copies, read only when alone
IGNORED_NOTE = "git-ignored and untracked, not read (not part of the repository)"

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".eggs",
        "site-packages",
        ".venv",
        ".cache",
        ".dvc/cache",
        ".dvc/tmp",
    }
)


@dataclass
class FileInfo:
    """One regular file: its size and, when it was read, a bounded decoded prefix."""

    path: str
    size: int
    text: str | None = None
    binary: bool = False
    truncated: bool = False
    unreadable: bool = False
    name: str = field(init=False, repr=False)
    suffix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.path.rsplit("/", 1)[-1]
        dot = self.name.rfind(".")
        self.suffix = self.name[dot:].lower() if dot > 0 else ""

    @cached_property
    def lines(self) -> list[str]:
        """The lines of the text that was read (empty when not read)."""
        return self.text.splitlines() if self.text else []


@dataclass
class RepoIndex:
    """Everything one walk learnt; checks consult it instead of the disk."""

    root: Path
    files: dict[str, FileInfo] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    symlinks: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    git: GitInfo = field(default_factory=GitInfo)
    rendered: dict[str, str] = field(default_factory=dict)  # template read as -> its own path

    def text(self, path: str) -> str | None:
        """The text read from ``path``, or None."""
        info = self.files.get(path)
        return info.text if info else None

    def exists(self, path: str) -> bool:
        """True when ``path`` is a file, directory or symlink in the tree."""
        path = path.strip("/")
        return path in self.files or path in self.dirs or path in self.symlinks or path == ""

    def texts(self) -> Iterator[FileInfo]:
        """Files whose text was read."""
        return (f for f in self.files.values() if f.text is not None)


class _Notes:
    """Collects notes, grouping repeated kinds into one line with a few examples."""

    def __init__(self) -> None:
        self.single: list[str] = []
        self.groups: dict[str, list[str]] = {}

    def add(self, text: str) -> None:
        self.single.append(text)

    def group(self, kind: str, item: str) -> None:
        self.groups.setdefault(kind, []).append(item)

    def render(self) -> list[str]:
        out = list(self.single)
        for kind, items in self.groups.items():
            shown = ", ".join(items[:MAX_NOTE_ITEMS])
            more = f" and {len(items) - MAX_NOTE_ITEMS} more" if len(items) > MAX_NOTE_ITEMS else ""
            out.append(f"{kind} ({len(items)}): {shown}{more}")
        return out


class _Scanner:
    """One walk over one root."""

    def __init__(self, root: Path, max_files: int) -> None:
        self.index = RepoIndex(root=root)
        self.notes = _Notes()
        self.max_files = max_files
        self.budget = TOTAL_READ_BUDGET
        self.stopped = False
        self.packages: set[str] = set()  # folders holding an __init__.py (not templated)
        self.ignores: Ignores | None = None  # git's ignore rules, when the index was read
        self.ignored_dirs: set[str] = set()  # ignored folders walked for their tracked files

    def run(self) -> RepoIndex:
        root_fd = os.open(self.index.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            self._read_git(root_fd)
            self._walk(root_fd)
            self._map_templates()
        finally:
            os.close(root_fd)
        self.index.notes = self.notes.render()
        return self.index

    # -- the walk ---------------------------------------------------------------------
    def _walk(self, root_fd: int) -> None:
        stack: list[tuple[int, str, Iterator[str]]] = []
        first = self._list(root_fd, "")
        stack.append((-1, "", iter(first)))
        try:
            while stack:
                fd, rel, subdirs = stack[-1]
                parent_fd = root_fd if fd == -1 else fd
                name = next(subdirs, None)
                if name is None:
                    stack.pop()
                    if fd != -1:
                        os.close(fd)
                    continue
                if self.stopped:
                    continue
                child = f"{rel}/{name}" if rel else name
                if len(stack) > MAX_DEPTH:
                    self.notes.group("not walked, deeper than 64 levels", child + "/")
                    continue
                try:
                    cfd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
                except OSError as exc:
                    self.notes.group("unreadable directories", f"{child}/ ({_reason(exc)})")
                    continue
                try:
                    names = self._list(cfd, child)
                except BaseException:
                    os.close(cfd)
                    raise
                stack.append((cfd, child, iter(names)))
        finally:
            for fd, _, _ in stack:
                if fd != -1:
                    os.close(fd)

    def _list(self, dir_fd: int, rel: str) -> list[str]:
        """Record the entries of one directory; return the subdirectories to walk."""
        try:
            with os.scandir(dir_fd) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.notes.group("unreadable directories", f"{rel or '.'}/ ({_reason(exc)})")
            return []
        if rel and any(e.name == "pyvenv.cfg" for e in entries):
            self.notes.group("skipped virtual environments", rel + "/")
            return []
        if rel:
            self.index.dirs.add(rel)
        if "{{" not in rel and any(e.name == "__init__.py" for e in entries):
            self.packages.add(rel)
        subdirs: list[str] = []
        if self.ignores is not None:
            entries = self._not_ignored(dir_fd, rel, entries)
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            try:
                if entry.is_symlink():
                    self._symlink(dir_fd, entry.name, child)
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name == ".git" and not rel:
                        self.index.git.present = True
                    elif entry.name in SKIP_DIRS or child in SKIP_DIRS:
                        self.index.dirs.add(child)
                        if entry.name == CHECKPOINTS:
                            self._orphan_checkpoints(dir_fd, child, {e.name for e in entries})
                    else:
                        subdirs.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    if entry.name == ".git" and not rel:
                        self.index.git.present = True
                        self.notes.add(
                            ".git is a file (worktree or submodule): its metadata lives "
                            "outside the folder and was not read"
                        )
                        continue
                    self._file(dir_fd, entry, child)
                else:
                    self.notes.group("special files skipped (not regular files)", child)
            except OSError as exc:
                self.notes.group("unreadable files", f"{child} ({_reason(exc)})")
        return subdirs

    def _orphan_checkpoints(self, dir_fd: int, rel: str, beside: set[str]) -> None:
        """Read the Jupyter autosaves in ``rel`` whose original is not beside it: a copy is
        skipped (the original is read), but a checkpoint whose file was never committed or was
        deleted is the only copy of that code the repository holds."""
        try:
            cfd = os.open(CHECKPOINTS, _DIR_FLAGS, dir_fd=dir_fd)
        except OSError:
            return
        try:
            with os.scandir(cfd) as it:
                found = sorted(it, key=lambda e: e.name)
            if self.ignores is not None:
                found = self._not_ignored(cfd, rel, found)
            for entry in found:
                stem, dot, suffix = entry.name.rpartition(".")
                original = stem.removesuffix("-checkpoint") + dot + suffix
                if (stem.endswith("-checkpoint") and original not in beside
                        and entry.is_file(follow_symlinks=False)):  # fmt: skip
                    self._file(cfd, entry, f"{rel}/{entry.name}")
        except OSError as exc:
            self.notes.group("unreadable directories", f"{rel}/ ({_reason(exc)})")
        finally:
            os.close(cfd)

    def _not_ignored(
        self, dir_fd: int, rel: str, entries: list[os.DirEntry[str]]
    ) -> list[os.DirEntry[str]]:
        """The entries git does not ignore (tracked files always stay); this folder's
        ``.gitignore`` is read first, since its rules cover its own entries."""
        ignores = self.ignores
        assert ignores is not None
        if any(e.name == ".gitignore" and e.is_file(follow_symlinks=False) for e in entries):
            try:
                data, _, _ = _read_at(dir_fd, ".gitignore", READ_CAP)
                ignores.add(rel, data.decode("utf-8", "replace"))
            except OSError as exc:
                self.notes.group("unreadable files", f"{rel}/.gitignore ({_reason(exc)})")
        inside = rel in self.ignored_dirs
        kept: list[os.DirEntry[str]] = []
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name == ".git" and not rel:
                kept.append(entry)
            elif entry.is_dir(follow_symlinks=False):
                if inside or ignores.ignored_dir(child):
                    if not ignores.holds_tracked(child):  # nothing in it is the repository's
                        self.notes.group(IGNORED_NOTE, child + "/")
                        continue
                    self.ignored_dirs.add(child)  # walked only for its tracked files
                kept.append(entry)
            elif ignores.skip_file(child, inside):
                self.notes.group(IGNORED_NOTE, child)
            else:
                kept.append(entry)
        return kept

    def _package_data(self, rel: str) -> bool:
        """A template inside a Python package is data that package renders elsewhere, not
        a file of the project this repository is (a templated project has no real package)."""
        parts = rel.split("/")[:-1]
        return any("/".join(parts[: i + 1]) in self.packages for i in range(len(parts)))

    def _symlink(self, dir_fd: int, name: str, rel: str) -> None:
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError:
            target = "?"
        self.index.symlinks[rel] = target
        base = self.index.root / rel
        resolved = os.path.normpath(os.path.join(base.parent, target))
        inside = resolved == str(self.index.root) or resolved.startswith(
            str(self.index.root) + os.sep
        )
        kind = "symlinks not followed" if inside else "symlinks out of the folder, not followed"
        self.notes.group(kind, f"{rel} -> {target}")

    def _file(self, dir_fd: int, entry: os.DirEntry[str], rel: str) -> None:
        if len(self.index.files) >= self.max_files:
            if not self.stopped:
                self.notes.add(f"stopped after {self.max_files} files; the rest was not read")
            self.stopped = True
            return
        st = entry.stat(follow_symlinks=False)
        name = entry.name
        dot = name.rfind(".")
        suffix = name[dot:].lower() if dot > 0 else ""
        template = is_template(name, suffix, rel)
        if template and "{%" not in name and self._package_data(rel):  # a package's data
            self.index.files[rel] = FileInfo(path=rel, size=st.st_size)
            return
        if template:  # read as the file it renders to
            source, name = rel, rendered_name(name, suffix)
            rel = rel[: len(rel) - len(entry.name)] + name
            if rel in self.index.files:
                return
            self.index.rendered[rel] = source
            dot = name.rfind(".")
            suffix = name[dot:].lower() if dot > 0 else ""
        info = FileInfo(path=rel, size=st.st_size)
        self.index.files[rel] = info
        if not wants_text(name, suffix, st.st_size):
            return
        if self.budget <= 0:
            self.notes.group("not read (read budget spent)", rel)
            return
        cap = NOTEBOOK_CAP if suffix == ".ipynb" else READ_CAP
        cap = min(cap, self.budget)
        try:
            data, size, truncated = _read_at(dir_fd, entry.name, cap)
        except OSError as exc:
            info.unreadable = True
            self.notes.group("unreadable files", f"{rel} ({_reason(exc)})")
            return
        self.budget -= len(data)
        info.size = size
        if b"\0" in data[:SNIFF_BYTES]:
            info.binary = True
            if suffix in (".py", ".ipynb", ".yaml", ".yml", ".toml", ".txt", ".cfg"):
                self.notes.group("binary content in text files, not analysed", rel)
            return
        info.text = data.decode("utf-8", "replace")
        if template:
            info.text = render(info.text)
        elif suffix == ".py":
            info.text = templated_python(info.text)
        if truncated:
            info.truncated = True
            self.notes.group(f"read only the first {cap // 1024} KiB of", f"{rel} ({size} bytes)")

    # -- git metadata -------------------------------------------------------------------
    def _read_git(self, root_fd: int) -> None:
        """Read ``.git`` before the walk, so the walk can leave out what git ignores."""
        git = self.index.git
        try:
            st = os.stat(".git", dir_fd=root_fd, follow_symlinks=False)
        except OSError:
            git_is_file = False
        else:
            git.present = stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)
            git_is_file = stat.S_ISREG(st.st_mode)
        read_git(git, self.index.root, git_is_file, root_fd, self.notes.add)
        if git.tracked is not None:
            self.ignores = Ignores(git.tracked, git.exclude)

    def _map_templates(self) -> None:
        tracked = self.index.git.tracked
        if tracked:  # a template is committed under its own name
            for rendered, source in self.index.rendered.items():
                if source in tracked:
                    tracked[rendered] = tracked[source]


def scan(root: Path, *, max_files: int = MAX_FILES) -> RepoIndex:
    """Walk ``root`` safely and return the index; raises OSError if root cannot be opened."""
    return _Scanner(root, max_files).run()
