"""DVC's remote configuration (read by DVC's own loader) and its cache/remote layout.

Layout of a local cache or remote, from dvc-data's object database: DVC 3 keeps objects
in ``files/md5/ab/cdef...`` (a directory listing is ``ab/cdef....dir``); DVC 2 kept them
at the top, ``ab/cdef...``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DVC_DIR = ".dvc"
Layout = Literal[2, 3]


@dataclass(frozen=True)
class Remote:
    """The default DVC remote of a project (merged from every config level)."""

    name: str
    url: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def local_path(self) -> Path | None:
        """The folder of a local remote (None for s3://, http:// ...)."""
        return None if "://" in self.url else Path(self.url)


class RemoteConfigError(ValueError):
    """The DVC config cannot be read (its message says which file and why)."""


def default_remote(root: Path) -> Remote | None:
    """The project's default remote (``core.remote``) or None, read by DVC's ``Config``.

    Every level counts as for ``dvc`` itself (system, global, ``.dvc/config``,
    ``.dvc/config.local``); a relative local URL is resolved against its config file.
    """
    from dvc.config import Config, ConfigError

    try:
        config = Config(dvc_dir=os.fspath(root / DVC_DIR))
    except ConfigError as exc:
        raise RemoteConfigError(str(exc)) from exc
    name = config["core"].get("remote")
    if not name:
        return None
    section: dict[str, Any] = config["remote"].get(name) or {}
    if "url" not in section:
        return None
    options = {str(k): str(v) for k, v in section.items() if k != "url"}
    return Remote(str(name), str(section["url"]), options)


def local_remote(root: Path) -> Path | None:
    """The folder of the default remote when it is a local one; None otherwise."""
    try:
        remote = default_remote(root)
    except RemoteConfigError:
        return None
    return remote.local_path if remote else None


def object_path(store: Path, oid: str, layout: Layout = 3) -> Path:
    """Where a cache or remote at ``store`` keeps object ``oid`` (an md5, ``.dir`` or not)."""
    from dvc_data.hashfile.db import HashFileDB
    from dvc_objects.fs import localfs

    base = store / "files" / "md5" if layout == 3 else store
    return Path(HashFileDB(localfs, os.fspath(base)).oid_to_path(oid))


def find_object(store: Path, oid: str) -> Path | None:
    """The object ``oid`` in ``store``, DVC 3 layout first, then DVC 2's; None if absent."""
    layouts: tuple[Layout, ...] = (3, 2)
    for layout in layouts:
        path = object_path(store, oid, layout)
        if path.is_file():
            return path
    return None


def dir_listing(store: Path, oid: str) -> list[dict[str, str]] | None:
    """The entries of directory object ``oid`` (``<md5>.dir``) in ``store``; None if absent."""
    path = find_object(store, oid)
    if path is None:
        return None
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    return [e for e in entries if isinstance(e, dict) and "md5" in e and "relpath" in e]


def has_output(store: Path, md5: str) -> bool:
    """True when ``store`` holds output ``md5``: the file, or a listing and all its files."""
    if not md5.endswith(".dir"):
        return find_object(store, md5) is not None
    entries = dir_listing(store, md5)
    return entries is not None and all(find_object(store, e["md5"]) for e in entries)
