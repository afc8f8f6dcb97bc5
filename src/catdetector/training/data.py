"""Scan and validate ``data/raw/<label>/``, drop exact duplicates, split by content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catdetector.core.config import SplitParams
from catdetector.core.errors import DataError, ImageError
from catdetector.features.images import SUPPORTED_SUFFIXES, Decoded, Limits, PreprocessSpec, decode
from catdetector.training.provenance import MANIFEST

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Item:
    """One valid, unique raw image."""

    path: str  # relative to the raw folder, POSIX separators
    label: str
    sha256: str
    split: str


@dataclass(frozen=True)
class BadFile:
    """A raw file that failed validation, and why."""

    path: str
    reason: str


@dataclass
class ScanResult:
    """What prepare found in the raw folder."""

    items: list[Item] = field(default_factory=list)
    decoded: list[Decoded] = field(default_factory=list)
    bad: list[BadFile] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (dropped, kept)
    ignored: list[str] = field(default_factory=list)


def split_of(sha256: str, fractions: SplitParams) -> str:
    """Split for a content hash: stable on every machine, same bytes same split."""
    position = int(sha256[:16], 16) / 2**64
    if position < fractions.train:
        return "train"
    if position < fractions.train + fractions.val:
        return "val"
    return "test"


def _walk(raw: Path) -> Iterator[Path]:
    """Every file under ``raw`` in sorted order, without following links out of it."""
    for path in sorted(raw.rglob("*")):
        if path.is_file() or path.is_symlink():
            yield path


def scan(
    raw: Path, labels: list[str], fractions: SplitParams, spec: PreprocessSpec, limits: Limits
) -> ScanResult:
    """Validate every file under ``raw``; decoding each one fully."""
    if not raw.is_dir():
        raise DataError(
            f"{raw} does not exist",
            hint=f"put photos in {raw.name}/<label>/ there, `dvc add` it, then `dvc repro`",
        )
    result = ScanResult()
    seen: dict[str, str] = {}
    for path in _walk(raw):
        rel = path.relative_to(raw).as_posix()
        parts = path.relative_to(raw).parts
        if any(part.startswith(".") for part in parts) or rel == MANIFEST:
            result.ignored.append(rel)
            continue
        if path.is_symlink():
            result.bad.append(BadFile(rel, "symbolic link (copy the file in instead)"))
            continue
        if len(parts) != 2:
            result.bad.append(
                BadFile(
                    rel,
                    f"not directly in a label folder (expected <label>/<file>, labels {labels})",
                )
            )
            continue
        label = parts[0]
        if label not in labels:
            result.bad.append(BadFile(rel, f"unknown label folder {label!r} (labels {labels})"))
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.bad.append(BadFile(rel, f"unsupported file type {path.suffix or '(none)'!r}"))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.bad.append(BadFile(rel, f"unreadable: {exc.strerror or exc}"))
            continue
        try:
            decoded = decode(data, spec, limits)
        except ImageError as exc:
            result.bad.append(BadFile(rel, exc.message))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            result.duplicates.append((rel, seen[digest]))
            continue
        seen[digest] = rel
        result.items.append(Item(rel, label, digest, split_of(digest, fractions)))
        result.decoded.append(decoded)
    return result


def check_usable(
    result: ScanResult, labels: list[str], skip_bad: bool, raw: str = "data/raw"
) -> None:
    """Raise DataError unless the scan can be trained on."""
    if not result.items and not result.bad:
        raise DataError(
            f"{raw} has no images yet",
            hint=f"put photos in {raw}/<label>/ (labels {', '.join(labels)}) or run "
            f"`catdetector sample {raw}`, then `dvc add {raw}` and `dvc repro`",
        )
    if result.bad and not skip_bad:
        listing = "; ".join(f"{b.path}: {b.reason}" for b in result.bad)
        raise DataError(
            f"{len(result.bad)} bad file(s) in {raw}: {listing}",
            hint="fix or remove them, or set data.skip_bad_files: true in params.yaml",
        )
    for split in SPLITS:
        have = {item.label for item in result.items if item.split == split}
        missing = [label for label in labels if label not in have]
        if missing:
            raise DataError(
                f"the {split} split has no image of label(s) {missing} "
                f"({len(result.items)} valid images in all)",
                hint="add more images per label",
            )
