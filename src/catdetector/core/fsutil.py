"""Writes that never leave a half-written file or folder behind.

The one home of atomic writes: a temporary file in the target's folder, written,
flushed and fsynced, then renamed over the target (``os.replace`` is atomic on
POSIX), and the folder fsynced so the rename itself survives a crash. A reader
sees the old file or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    """The process umask now, so files written here get the mode a plain open() would give.

    Linux shows it in /proc without changing it; elsewhere reading it means setting it
    and back (a short window another thread could see).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o666) -> Iterator[IO[bytes]]:
    """Yield a binary handle; on success its bytes replace ``path`` at once, else nothing changes.

    ``mode`` is filtered by the umask, as for ``open``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), mode & ~_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes atomically (temp file in the same folder, fsync, rename).

    With every byte known up front no file object is needed: one ``os.open`` (its mode
    filtered by the umask, as ``open()``'s; ``O_EXCL`` on a random name, as ``mkstemp``)
    and ``os.write`` cost half of ``atomic_file``'s CPU, which counts on the server's
    prediction log (bench/README.md, issue 27). A group of one of :func:`write_files`.
    """
    error = write_files([(path, data)])[0]
    if error is not None:
        raise error


GROUP = 64  # files of :func:`write_files` open at once


def write_files(items: Sequence[tuple[Path, bytes]]) -> list[OSError | None]:
    """Write several new files as :func:`write_bytes` does, durable together; per item, None
    or the ``OSError`` that kept it from being written (it then leaves nothing behind).

    Group commit: every file is written to its temp file first, then all are fsynced,
    renamed, and each distinct folder fsynced once, so one journal commit can cover the
    files and renames of a whole batch instead of two per file (the prediction log's kept
    inputs, bench/README.md, issue 27). When this returns, every file it reports written is
    as durable as :func:`write_bytes` makes one. At most :data:`GROUP` files are open at once.
    """
    errors: list[OSError | None] = [None] * len(items)
    for start in range(0, len(items), GROUP):
        _write_group(items, range(start, min(start + GROUP, len(items))), errors)
    return errors


def _write_group(
    items: Sequence[tuple[Path, bytes]], indices: range, errors: list[OSError | None]
) -> None:
    staged: list[tuple[int, int, Path]] = []  # (item, open fd, temp file)
    renamed: list[int] = []
    try:
        for i in indices:
            path, data = items[i]
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except OSError as exc:
                errors[i] = exc
                continue
            staged.append((i, fd, tmp))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as exc:
                errors[i] = exc
        for i, fd, _ in staged:
            if errors[i] is None:
                try:
                    os.fsync(fd)
                except OSError as exc:
                    errors[i] = exc
        for i, _, tmp in staged:
            if errors[i] is None:
                try:
                    os.replace(tmp, items[i][0])
                    renamed.append(i)
                except OSError as exc:
                    errors[i] = exc
    finally:
        done = set(renamed)
        for i, fd, tmp in staged:
            os.close(fd)
            if i not in done:
                tmp.unlink(missing_ok=True)
    for folder in dict.fromkeys(items[i][0].parent for i in renamed):
        _fsync_dir(folder)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (indented, sorted keys, final newline)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """Yield an empty sibling temp folder; on success it replaces ``dest``, else it is removed.

    A folder cannot be renamed over a non-empty one, so the swap is as atomic as POSIX
    allows: the old folder is renamed aside, the new one renamed in, then the old one
    deleted. ``dest`` is missing only between two renames, never half-written; if the
    second rename fails the old folder is put back.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        old: Path | None = None
        if dest.exists() or dest.is_symlink():
            old = tmp.with_name(tmp.name + ".old")  # unique: beside the unique temp folder
            os.replace(dest, old)
        try:
            os.replace(tmp, dest)
        except BaseException:
            if old is not None:
                os.replace(old, dest)
            raise
        _fsync_dir(dest.parent)
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
