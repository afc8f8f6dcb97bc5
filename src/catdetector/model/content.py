"""What is served is what was registered: a bundle folder against the md5 in ``dvc.lock``.

DVC records a directory output as ``<md5>.dir``: the md5 of its ``.dir`` listing
(every file's relpath and md5). :func:`dir_hash` rebuilds that listing from the
files on disk with DVC's own code (``dvc_data``), so a folder matches the
registered hash only when every file, and no other, has the registered content.

:func:`dir_hash` is the one piece of DVC format knowledge here; it is meant to
move to ``catdetector.formats.dvc`` (the home of DVC formats) with
``catdetector.core.layout.model_md5`` (the ``dvc.lock`` reader).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catdetector.core.errors import IntegrityError


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
    from dvc_data.hashfile.hash import file_md5
    from dvc_data.hashfile.tree import Tree

    files: dict[str, str] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        files[path.relative_to(directory).as_posix()] = file_md5(str(path))
    tree = Tree.from_list([{"md5": md5, "relpath": rel} for rel, md5 in files.items()])
    tree.digest()
    assert tree.hash_info is not None and tree.hash_info.value is not None
    return Listing(str(tree.hash_info.value), files)


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
