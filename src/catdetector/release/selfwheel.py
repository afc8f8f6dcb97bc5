"""A wheel of the running catdetector, so that a project installs it without any index.

The wheel is packed from the imported package's own files and its installed metadata,
which works the same for an editable (development) install and for an installed wheel,
and needs no build backend on the machine. The archive is deterministic (sorted entries,
fixed timestamps and modes): the same catdetector gives the same bytes, hence the same
hash in every project's lock.

Why not ``python -m build --wheel --no-isolation`` (the ``build`` package)? It works
offline and, with ``SOURCE_DATE_EPOCH`` set, is deterministic, but it needs the source
tree (``pyproject.toml``), which an installed wheel does not have (a project's CI runner
installs catdetector from the vendored wheel and must vendor it again), and it needs
``build`` and ``setuptools`` in every user's environment; it also takes about 3 s per
``init`` against milliseconds here.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

import catdetector
from catdetector.core.errors import ProjectError
from catdetector.core.fsutil import atomic_file

DIST = "catdetector"
WHEEL_TEXT = (
    "Wheel-Version: 1.0\nGenerator: catdetector selfwheel\nRoot-Is-Purelib: true\n"
    "Tag: py3-none-any\n"
)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def running_version() -> str:
    """Version of the installed catdetector distribution."""
    return metadata.version(DIST)


def wheel_name(version: str) -> str:
    """File name of a pure-Python catdetector wheel (PEP 427)."""
    return f"{DIST}-{version}-py3-none-any.whl"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_files() -> list[tuple[str, bytes]]:
    root = Path(catdetector.__file__).resolve().parent
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files.append((f"{DIST}/{rel.as_posix()}", path.read_bytes()))
    return files


def _metadata_files(version: str) -> list[tuple[str, bytes]]:
    dist = metadata.distribution(DIST)
    info = f"{DIST}-{version}.dist-info"
    meta = dist.read_text("METADATA")
    if not meta:
        raise ProjectError("the installed catdetector has no METADATA: reinstall it")
    files = [(f"{info}/METADATA", meta.encode("utf-8"))]
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        files.append((f"{info}/entry_points.txt", entry_points.encode("utf-8")))
    files.append((f"{info}/top_level.txt", f"{DIST}\n".encode()))
    files.append((f"{info}/WHEEL", WHEEL_TEXT.encode()))
    return files


def _record(files: list[tuple[str, bytes]], record_name: str) -> bytes:
    lines = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}\n")
    lines.append(f"{record_name},,\n")
    return "".join(lines).encode()


def build(dest_dir: Path) -> Path:
    """Write ``catdetector-<version>-py3-none-any.whl`` of the running catdetector into dest."""
    version = running_version()
    files = _package_files() + _metadata_files(version)
    record_name = f"{DIST}-{version}.dist-info/RECORD"
    files.append((record_name, _record(files, record_name)))
    target = dest_dir / wheel_name(version)
    with atomic_file(target, mode=0o644) as handle, zipfile.ZipFile(
        handle, "w", zipfile.ZIP_DEFLATED
    ) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return target
