"""Read git metadata from bytes: the index (tracked paths and sizes), tags, LFS patterns.

Nothing here runs git; the caller reads the files (bounded, no symlinks) and
hands the bytes over. Formats: git's ``index-format.txt`` (versions 2, 3, 4).
"""

from __future__ import annotations

import struct
from fnmatch import fnmatchcase

_ENTRY_FIXED = 40  # ten 32-bit stat fields
_MODE_FILE = 0o100000
_MODE_LINK = 0o120000
_MODE_MASK = 0o170000


class GitIndexError(ValueError):
    """The index could not be parsed (unknown version, truncated, corrupt)."""


def parse_index(data: bytes, *, hash_len: int = 20) -> dict[str, int]:
    """Map each tracked file (or symlink) path in a git index to its recorded size."""
    if len(data) < 12 or data[:4] != b"DIRC":
        raise GitIndexError("not a git index (no DIRC signature)")
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        raise GitIndexError(f"unsupported git index version {version}")
    pos = 12
    prev = b""
    tracked: dict[str, int] = {}
    fixed = _ENTRY_FIXED + hash_len + 2
    for _ in range(count):
        if pos + fixed > len(data):
            raise GitIndexError("git index is truncated")
        mode = struct.unpack_from(">I", data, pos + 24)[0]
        size = struct.unpack_from(">I", data, pos + 36)[0]
        flags = struct.unpack_from(">H", data, pos + _ENTRY_FIXED + hash_len)[0]
        start = pos
        pos += fixed
        if version >= 3 and flags & 0x4000:
            pos += 2
        if version == 4:
            strip, pos = _varint(data, pos)
            end = data.find(b"\0", pos)
            if end < 0 or strip > len(prev):
                raise GitIndexError("git index is corrupt")
            path = prev[: len(prev) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.find(b"\0", pos)
            if end < 0:
                raise GitIndexError("git index is truncated")
            path = data[pos:end]
            entry_len = end - start
            pos = start + ((entry_len + 8) & ~7)
        prev = path
        if mode & _MODE_MASK in (_MODE_FILE, _MODE_LINK):
            tracked[path.decode("utf-8", "replace")] = size
    return tracked


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode git's offset varint (index v4 prefix length)."""
    if pos >= len(data):
        raise GitIndexError("git index is truncated")
    c = data[pos]
    pos += 1
    value = c & 0x7F
    while c & 0x80:
        if pos >= len(data):
            raise GitIndexError("git index is truncated")
        value += 1
        c = data[pos]
        pos += 1
        value = (value << 7) + (c & 0x7F)
    return value, pos


def parse_packed_refs(text: str) -> list[str]:
    """Tag names listed in a ``packed-refs`` file."""
    tags: list[str] = []
    for line in text.splitlines():
        if not line or line[0] in "#^":
            continue
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1].startswith("refs/tags/"):
            tags.append(parts[1][len("refs/tags/") :].strip())
    return tags


def hash_len_from_config(text: str) -> int:
    """20 for SHA-1 repositories, 32 when ``extensions.objectformat = sha256``."""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower() == "objectformat" and value.strip().lower() == "sha256":
            return 32
    return 20


def lfs_patterns(gitattributes: str) -> list[str]:
    """Patterns that ``.gitattributes`` hands to git-lfs."""
    patterns: list[str] = []
    for line in gitattributes.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def matches_pattern(path: str, pattern: str) -> bool:
    """gitignore-style match of one pattern (no negation) against a relative posix path."""
    pattern = pattern.rstrip("/")
    if not pattern:
        return False
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("*")
    pattern = pattern.lstrip("/")
    parts = path.split("/")
    if anchored:
        # the pattern names a path from the root; it also covers everything below it
        return any(
            fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1)
        ) or fnmatchcase(path, pattern)
    return any(fnmatchcase(part, pattern) for part in parts)
