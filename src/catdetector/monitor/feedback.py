"""Feedback labels of served predictions: one per request, from a named source.

Policy: one feedback label per request id, held by a unique index of the schema
(a second one is refused, 409, however close the two arrive). A label
whose source is a model (``model`` or ``model:<name>``) is stored like any other,
but :mod:`catdetector.monitor.export` refuses to turn it into training data.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from catdetector.core.errors import FeedbackError, StoreError
from catdetector.monitor.store import SHADOW, Feedback, Prediction, Store, reason, utcnow

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
    if prediction.role == SHADOW:
        raise FeedbackError(
            f"request {prediction.request_id} is a shadow prediction, never served: label "
            f"the request it shadows, {prediction.primary_request_id}",
            status=409,
        )
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
        existing = _label_of(store, prediction.request_id)
        if existing is None:
            row = Feedback(
                request_id=prediction.request_id, label=label, source=source, created_at=utcnow()
            )
            with store.session() as session, session.begin():
                session.add(row)
            return row
    except IntegrityError:  # another label won the race: the unique index refused this one
        existing = _label_of(store, prediction.request_id)
    except SQLAlchemyError as exc:
        raise _db("cannot write the feedback", exc) from exc
    if existing is None:  # pragma: no cover - refused by the index, then gone
        raise FeedbackError(f"request {prediction.request_id} has a label already", status=409)
    raise FeedbackError(
        f"request {prediction.request_id} already has the label "
        f"{existing.label!r} from {existing.source} "
        f"(at {existing.created_at.isoformat()}); one label per request",
        status=409,
    )


def _label_of(store: Store, request_id: str) -> Feedback | None:
    try:
        with store.session() as session:
            query = select(Feedback).where(Feedback.request_id == request_id)
            return session.scalars(query).first()
    except SQLAlchemyError as exc:
        raise _db("cannot read the prediction log", exc) from exc
