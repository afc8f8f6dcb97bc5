"""Feedback labels of served predictions, and their export as training data with provenance.

Policy: one feedback label per request id (a second one is refused, 409). A label
whose source is a model (``model`` or ``model:<name>``) is stored like any other,
but :func:`export` refuses to turn it into training data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.errors import DataError, FeedbackError, StoreError, UsageError
from catdetector.core.fsutil import write_bytes, write_json
from catdetector.monitor.store import Feedback, Prediction, Store, reason, utcnow
from catdetector.training import provenance

SOURCE = re.compile(r"[a-z][a-z0-9_.-]{0,31}(:[A-Za-z0-9_.-]{1,31})?")


def _db(action: str, exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"{action}: {reason(exc)}")


def find_prediction(
    store: Store, request_id: str, wait: Callable[[int], bool] | None = None
) -> Prediction:
    """The stored prediction of ``request_id``; ``wait(attempt)`` may delay before a retry.

    A record can still be on its way to the database (queued by a server worker),
    so the lookup is retried while ``wait`` returns True. 404 FeedbackError at the end.
    """
    attempt = 0
    while True:
        try:
            found = store.prediction(request_id)
        except SQLAlchemyError as exc:
            raise _db("cannot read the prediction log", exc) from exc
        if found is not None:
            return found
        if wait is None or not wait(attempt):
            raise FeedbackError(f"no prediction with request id {request_id!r}", status=404)
        attempt += 1


def labels_of(store: Store, prediction: Prediction, fallback: list[str] | None) -> list[str]:
    """The labels of the model that made ``prediction`` (its ``models`` row), else ``fallback``."""
    try:
        row = store.model(prediction.model_version, prediction.model_md5)
    except SQLAlchemyError as exc:
        raise _db("cannot read the prediction log", exc) from exc
    labels = (row.meta or {}).get("labels") if row is not None else None
    return list(labels or fallback or [])


def add(
    store: Store, prediction: Prediction, label: str, source: str, labels: list[str]
) -> Feedback:
    """Store the feedback label of ``prediction`` (FeedbackError 422 or 409 when refused)."""
    if prediction.status != 200 or prediction.label is None:
        raise FeedbackError(
            f"request {prediction.request_id} was refused ({prediction.status}): nothing to label",
            status=409,
        )
    if labels and label not in labels:
        raise FeedbackError(f"label {label!r} is not one of the model's labels {labels}")
    if not SOURCE.fullmatch(source):
        raise FeedbackError(
            f"source {source!r} is not a source name",
            hint="'human', 'model', 'model:<name>' or another lowercase name",
        )
    try:
        with store.session() as session, session.begin():
            existing = session.scalars(
                select(Feedback).where(Feedback.request_id == prediction.request_id)
            ).first()
            if existing is not None:
                raise FeedbackError(
                    f"request {prediction.request_id} already has the label "
                    f"{existing.label!r} from {existing.source} "
                    f"(at {existing.created_at.isoformat()}); one label per request",
                    status=409,
                )
            row = Feedback(
                request_id=prediction.request_id, label=label, source=source, created_at=utcnow()
            )
            session.add(row)
    except SQLAlchemyError as exc:
        raise _db("cannot write the feedback", exc) from exc
    return row


# ---------------------------------------------------------------- export


@dataclass
class ExportSummary:
    """What :func:`export` wrote."""

    dest: Path
    written: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped_model: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {
            "dest": str(self.dest),
            "written": self.written,
            "already_there": self.already,
            "skipped_model_labels": self.skipped_model,
            "manifest": str(self.dest / provenance.MANIFEST),
        }


def _labelled(store: Store) -> list[tuple[Feedback, Prediction]]:
    query = (
        select(Feedback, Prediction)
        .join(Prediction, Prediction.request_id == Feedback.request_id)
        .order_by(Feedback.created_at, Feedback.id)
    )
    try:
        with store.session() as session:
            return [(fb, pred) for fb, pred in session.execute(query).tuples()]
    except SQLAlchemyError as exc:
        raise _db("cannot read the prediction log", exc) from exc


def _names(items: list[str]) -> str:
    return ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _source_file(pred: Prediction, images: Path | None) -> Path | None:
    if not pred.image_path:
        return None
    path = Path(pred.image_path)
    if images is not None:  # the images folder moved: same content address under DIR
        path = images / path.parent.name / path.name
    return path if path.is_file() else None


def _safe_label(label: str) -> str:
    if label in ("", ".", "..") or "/" in label or "\\" in label or label.startswith("."):
        raise DataError(f"label {label!r} cannot be a folder name")
    return label


def export(
    store: Store, dest: Path, *, images: Path | None = None, skip_model_labels: bool = False
) -> ExportSummary:
    """Write the feedback-labelled inputs into ``dest/<label>/<sha256>.<ext>``.

    ``dest/provenance.json`` (merged with one already there) records, per file, its
    sha256, label, source, request id, model version and time. Labels from a model
    are refused (DataError naming them) unless ``skip_model_labels``; then they are
    left out. Nothing is written when anything is refused.
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
    plan: dict[str, tuple[Path, dict[str, Any]]] = {}
    label_of: dict[str, str] = {}  # sha256 -> the label it is exported under
    missing, conflicts = [], []
    for fb, pred in pairs:
        if provenance.is_model_source(fb.source):
            continue
        src = _source_file(pred, images)
        if src is None or pred.input_sha256 is None:
            missing.append(fb.request_id)
            continue
        rel = f"{_safe_label(fb.label)}/{pred.input_sha256}{src.suffix}"
        first = label_of.setdefault(pred.input_sha256, fb.label)
        if first != fb.label:
            conflicts.append(f"{pred.input_sha256[:12]} ({first} vs {fb.label})")
            continue
        plan.setdefault(
            rel,
            (
                src,
                {
                    "sha256": pred.input_sha256,
                    "label": fb.label,
                    "source": fb.source,
                    "request_id": fb.request_id,
                    "model_version": pred.model_version,
                    "predicted": pred.label,
                    "time": fb.created_at.isoformat(),
                },
            ),
        )
    if missing:
        raise DataError(
            f"no stored input image for {len(missing)} labelled request(s): {_names(missing)}",
            hint="run the server with --log-images DIR, or pass --images DIR where they are",
        )
    if conflicts:
        raise DataError(f"the same image got different labels: {_names(conflicts)}")
    manifest = provenance.read(dest)
    summary = ExportSummary(dest, skipped_model=from_model)
    for rel, (src, entry) in plan.items():
        target = dest / rel
        if target.exists() and rel in manifest:
            summary.already.append(rel)
        else:
            write_bytes(target, src.read_bytes())
            summary.written.append(rel)
        manifest[rel] = entry
    write_json(dest / provenance.MANIFEST, {"format": provenance.FORMAT, "files": manifest})
    return summary


def export_log(
    url: str | Path, dest: Path, *, images: Path | None = None, skip_model_labels: bool = False
) -> ExportSummary:
    """:func:`export` from the prediction log at ``url`` (opened, migrated, closed)."""
    from catdetector.monitor import store as store_mod

    target = store_mod.open(url)
    try:
        return export(target, dest, images=images, skip_model_labels=skip_model_labels)
    finally:
        target.close()
