"""``feedback export``: feedback-labelled inputs as a data folder, with provenance.

The export trusts nothing it reads from the log. A row is exported only when its
``input_sha256`` is 64 hex digits, its ``image_path`` is ``<sha[:2]>/<sha>.<ext>``
with a known image extension inside the images folder (symlinks resolved), the
file's content hashes to that sha, and the target resolves inside DEST. Rows that
break a rule are skipped and reported (:attr:`ExportSummary.refused`), never read
or written. Labels from a model are refused unless ``skip_model_labels``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.errors import DataError, StoreError, UsageError
from catdetector.core.fsutil import write_bytes, write_json
from catdetector.features.images import SUPPORTED_SUFFIXES
from catdetector.monitor.store import SERVED, Feedback, Prediction, Store, reason
from catdetector.training import provenance

SHA256 = re.compile(r"[0-9a-f]{64}")
BAD_LABEL = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|^$")


@dataclass
class ExportSummary:
    """What :func:`export` wrote, and the rows it refused (request id, why)."""

    dest: Path
    written: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped_model: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {
            "dest": str(self.dest),
            "written": self.written,
            "already_there": self.already,
            "skipped_model_labels": self.skipped_model,
            "refused_rows": [{"request_id": r, "reason": why} for r, why in self.refused],
            "manifest": str(self.dest / provenance.MANIFEST),
        }


class _Refused(Exception):
    """A row that breaks a rule of the export (the message says which)."""


def _labelled(store: Store) -> list[tuple[Feedback, Prediction]]:
    query = (
        select(Feedback, Prediction)
        .join(Prediction, Prediction.request_id == Feedback.request_id)
        .where(Prediction.role.in_(SERVED))  # what a client was answered, never a shadow's
        .order_by(Feedback.created_at, Feedback.id)
    )
    try:
        with store.session() as session:
            return [(fb, pred) for fb, pred in session.execute(query).tuples()]
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the prediction log: {reason(exc)}") from exc


def _names(items: list[str]) -> str:
    return ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def images_folder(pairs: list[tuple[Feedback, Prediction]]) -> Path | None:
    """The folder the server kept inputs in: the one holding most logged image paths."""
    roots = Counter(
        Path(pred.image_path).parent.parent for _, pred in pairs if pred.image_path
    )
    return roots.most_common(1)[0][0] if roots else None


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def checked_source(pred: Prediction, images: Path, moved: bool) -> Path | None:
    """The input file of ``pred`` inside ``images`` (None when not kept; _Refused if unsafe)."""
    sha = pred.input_sha256
    if not pred.image_path:
        return None
    if not isinstance(sha, str) or not SHA256.fullmatch(sha):
        raise _Refused(f"input_sha256 {_short(sha)} is not a sha256 (64 hex digits)")
    logged = Path(pred.image_path)
    suffix = logged.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES or logged.name != f"{sha}{logged.suffix}":
        raise _Refused(f"image_path {_short(pred.image_path)} is not <sha256>.<image extension>")
    if not moved and logged.parent != images / sha[:2]:
        raise _Refused(f"image_path {_short(pred.image_path)} is outside the images folder")
    path = images / sha[:2] / logged.name
    if not _inside(path, images):
        raise _Refused(f"{path} resolves outside the images folder {images}")
    if not path.is_file():
        return None
    return path


def _read(path: Path, sha: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise _Refused(f"the content of {path} does not hash to its sha256")
    return data


def _target(dest: Path, label: str, name: str) -> str:
    if BAD_LABEL.search(label):
        raise _Refused(f"label {_short(label)} cannot be a folder name")
    rel = f"{label}/{name}"
    if not _inside(dest / rel, dest):
        raise _Refused(f"{dest / rel} resolves outside {dest}")
    return rel


def export(
    store: Store, dest: Path, *, images: Path | None = None, skip_model_labels: bool = False
) -> ExportSummary:
    """Write the feedback-labelled inputs into ``dest/<label>/<sha256>.<ext>``.

    ``dest/provenance.json`` (merged with one already there) records, per file, its
    sha256, label, source, request id, model version and time. Labels from a model
    are refused (DataError naming them) unless ``skip_model_labels``; then they are
    left out. Rows breaking the export's rules are skipped and listed in ``refused``.
    Nothing is written when the export is refused as a whole.
    """
    pairs = _labelled(store)
    if not pairs:
        raise UsageError(f"no feedback labels in {store.url}", hint="POST /v1/feedback first")
    from_model = [fb.request_id for fb, _ in pairs if provenance.is_model_source(fb.source)]
    if from_model and not skip_model_labels:
        raise DataError(
            f"{len(from_model)} feedback label(s) came from a model and are not exported "
            f"(a model trained on its own predictions is a hidden feedback loop): "
            f"requests {_names(from_model)}",
            hint="pass --skip-model-labels to export only the others",
        )
    human = [(fb, pred) for fb, pred in pairs if not provenance.is_model_source(fb.source)]
    folder = images or images_folder(human)
    summary = ExportSummary(dest, skipped_model=from_model)
    plan: dict[str, tuple[Path, dict[str, Any]]] = {}
    label_of: dict[str, str] = {}  # sha256 -> the label it is exported under
    sha_of: dict[str, str] = {}  # rel -> sha256
    missing, conflicts = [], []
    for fb, pred in human:
        try:
            src = checked_source(pred, folder, images is not None) if folder else None
            if src is None:
                missing.append(fb.request_id)
                continue
            rel = _target(dest, fb.label, src.name)
        except _Refused as why:
            summary.refused.append((fb.request_id, str(why)))
            continue
        sha = str(pred.input_sha256)
        first = label_of.setdefault(sha, fb.label)
        if first != fb.label:
            conflicts.append(f"{sha[:12]} ({first} vs {fb.label})")
            continue
        entry: dict[str, Any] = {
            "sha256": sha,
            "label": fb.label,
            "source": fb.source,
            "request_id": fb.request_id,
            "model_version": pred.model_version,
            "predicted": pred.label,
            "time": fb.created_at.isoformat(),
        }
        plan.setdefault(rel, (src, entry))
        sha_of.setdefault(rel, sha)
    if missing:
        raise DataError(
            f"no stored input image for {len(missing)} labelled request(s): {_names(missing)}",
            hint="run the server with --log-images DIR, or pass --images DIR where they are",
        )
    if conflicts:
        raise DataError(f"the same image got different labels: {_names(conflicts)}")
    manifest = provenance.read(dest)
    for rel, (src, entry) in plan.items():
        target = dest / rel
        if target.exists() and rel in manifest:
            summary.already.append(rel)
        else:
            try:
                data = _read(src, sha_of[rel])
            except _Refused as why:
                summary.refused.append((str(entry["request_id"]), str(why)))
                continue
            write_bytes(target, data)
            summary.written.append(rel)
        manifest[rel] = entry
    write_json(dest / provenance.MANIFEST, {"format": provenance.FORMAT, "files": manifest})
    return summary


def export_log(
    url: str | Path, dest: Path, *, images: Path | None = None, skip_model_labels: bool = False
) -> ExportSummary:
    """:func:`export` from the prediction log at ``url``, opened read-only."""
    from catdetector.monitor.schema import open_read

    target = open_read(url)
    try:
        return export(target, dest, images=images, skip_model_labels=skip_model_labels)
    finally:
        target.close()
