"""Reading the prediction log for the monitoring outputs: rows, true labels, loaded models.

:func:`read_rows` returns by default what was served to clients (the primary's and
a canary's answers); a shadow's records come only when asked for by ``roles``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from catdetector.monitor.store import (
    PRIMARY,
    SERVED,
    Feedback,
    Prediction,
    ServedModel,
    Store,
)
from catdetector.training.provenance import is_model_source


@dataclass
class Row:
    """The columns of one logged prediction that the report reads."""

    request_id: str
    created_at: datetime
    version: str
    model_md5: str
    status: int
    latency_ms: float
    stats: dict[str, float] | None
    label: str | None
    probability: float | None
    confidence: float | None
    role: str = PRIMARY
    primary_request_id: str | None = None
    input_sha256: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What the report knows of a model version: the meta its servers recorded on load."""

    meta: dict[str, Any] | None
    md5s: tuple[str, ...] = ()
    loaded_at: datetime | None = None

    @classmethod
    def from_rows(cls, rows: Sequence[ServedModel]) -> ModelInfo:
        """From the ``models`` rows of one version (latest load last)."""
        if not rows:
            return cls(None)
        return cls(dict(rows[-1].meta), tuple(r.model_md5 for r in rows), rows[-1].loaded_at)


COLUMNS = (
    Prediction.request_id,
    Prediction.created_at,
    Prediction.model_version,
    Prediction.model_md5,
    Prediction.status,
    Prediction.latency_ms,
    Prediction.stats,
    Prediction.label,
    Prediction.probability,
    Prediction.confidence,
    Prediction.role,
    Prediction.primary_request_id,
    Prediction.input_sha256,
)  # the fields of :class:`Row`, in order
CHUNK = 500  # request ids per IN list


def read_rows(
    store: Store,
    since: datetime | None = None,
    versions: Sequence[str] | None = None,
    last: int | None = None,
    roles: Sequence[str] | None = SERVED,
) -> list[Row]:
    """The logged predictions, oldest first (from ``since``; of ``versions``; the ``last`` N).

    By default the answers served to clients (primary and canary), not the shadows'
    (``monitor compare`` reads those); ``roles=None`` reads every record.
    """
    query = select(*COLUMNS).order_by(Prediction.id.desc())
    if roles is not None:
        query = query.where(Prediction.role.in_(list(roles)))
    if since is not None:
        query = query.where(Prediction.created_at >= since)
    if versions is not None:
        query = query.where(Prediction.model_version.in_(list(versions)))
    if last is not None:
        query = query.limit(last)
    with store.session() as session:
        return [Row(*tuple(r)) for r in session.execute(query)][::-1]


def read_by_ids(
    store: Store, request_ids: Sequence[str], roles: Sequence[str] | None = None
) -> list[Row]:
    """The records of ``request_ids`` (of ``roles``, or any), in log order."""
    found: list[tuple[int, Row]] = []
    unique = sorted(set(request_ids))
    with store.session() as session:
        for at in range(0, len(unique), CHUNK):
            query = select(Prediction.id, *COLUMNS).where(
                Prediction.request_id.in_(unique[at : at + CHUNK])
            )
            if roles is not None:
                query = query.where(Prediction.role.in_(list(roles)))
            found += [(r[0], Row(*tuple(r)[1:])) for r in session.execute(query)]
    return [row for _, row in sorted(found, key=lambda item: item[0])]


def read_true_labels(store: Store, request_ids: Iterable[str]) -> dict[str, str]:
    """The latest label per request id from any source but a model (no feedback loop)."""
    wanted = set(request_ids)
    labels: dict[str, str] = {}
    query = select(Feedback.request_id, Feedback.label, Feedback.source).order_by(
        Feedback.created_at, Feedback.id
    )
    with store.session() as session:
        for request_id, label, source in session.execute(query):
            if request_id in wanted and not is_model_source(source):
                labels[request_id] = label
    return labels


def read_models(store: Store) -> dict[str, list[ServedModel]]:
    """The ``models`` rows by version, the latest load last."""
    by_version: dict[str, list[ServedModel]] = {}
    with store.session() as session:
        query = select(ServedModel).order_by(ServedModel.loaded_at, ServedModel.id)
        for row in session.scalars(query):
            by_version.setdefault(row.version, []).append(row)
    return by_version
