"""What is served is what was registered: a bundle folder against the md5 in ``dvc.lock``.

DVC records a directory output as ``<md5>.dir``: the md5 of its ``.dir`` listing
(every file's relpath and md5). :func:`dir_hash` rebuilds that listing from the
files on disk with DVC's own code (``dvc_data``), so a folder matches the
registered hash only when every file, and no other, has the registered content.

The hash itself comes from ``catdetector.formats.dvc`` (the home of DVC formats).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catdetector.core.errors import IntegrityError
from catdetector.formats import dvc


@dataclass(frozen=True)
class Listing:
    """A folder's DVC hash (``<md5>.dir``) and each file's md5 by relpath."""

    md5: str
    files: dict[str, str]


def dir_hash(directory: Path) -> Listing:
    """DVC's ``.dir`` hash of ``directory`` and its listing, computed by ``dvc_data``.

    Files are hashed as DVC 3 does (``md5`` of the bytes, not the legacy
    ``md5-dos2unix``); symlinks are followed, as DVC does for a workspace.
    """
    md5, entries = dvc.dir_md5_and_entries(directory)
    return Listing(md5, {e["relpath"]: e["md5"] for e in entries})


def verify(directory: Path, expected: str, *, what: str) -> Listing:
    """Refuse (IntegrityError) ``directory`` unless its DVC hash is ``expected``.

    ``expected`` is dvc.lock's ``md5`` of the output, with or without ``.dir``;
    ``what`` names the bundle in the message (e.g. "the fetched bundle of v1.2.0").
    """
    want = expected if expected.endswith(".dir") else f"{expected}.dir"
    try:
        listing = dir_hash(directory)
    except OSError as exc:
        raise IntegrityError(f"{what} could not be read to check its content: {exc}") from exc
    if listing.md5 != want:
        raise IntegrityError(
            f"{what} is not what was registered: its content hash is {listing.md5}, "
            f"the registered dvc.lock records {want} (files: {', '.join(listing.files)})",
            hint="the DVC remote or the cache holds other files than were registered; "
            "push the registered bundle again (`dvc push` from the registered commit)",
        )
    return listing
