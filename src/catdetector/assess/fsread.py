"""Bounded reads relative to an open directory, never following a symlink."""

from __future__ import annotations

import errno
import os
import stat

OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def read_at(dir_fd: int, name: str, cap: int) -> tuple[bytes, int, bool]:
    """Read at most ``cap`` bytes of a regular file ``name`` in ``dir_fd`` (no symlinks)."""
    fd = os.open(name, OPEN_FLAGS, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks: list[bytes] = []
        remaining = cap
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        return data, st.st_size, st.st_size > len(data)
    finally:
        os.close(fd)


def reason(exc: OSError) -> str:
    """A short reason for an OS error."""
    return exc.strerror or exc.__class__.__name__
