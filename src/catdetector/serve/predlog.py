"""The server's side of the prediction log: request ids, records, feedback, the writer's life."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry

from catdetector.core.config import ServeSettings, log_db_url
from catdetector.core.errors import FeedbackError, StoreError
from catdetector.model.bundle import LoadedModel
from catdetector.monitor import feedback
from catdetector.monitor import store as store_mod
from catdetector.monitor.keeper import ImageKeeper, KeeperMetrics
from catdetector.monitor.store import CANARY, PRIMARY, SHADOW, utcnow
from catdetector.monitor.writer import LogWriter, ModelRecord, WriterMetrics
from catdetector.serve.holder import Served

log = logging.getLogger("catdetector.serve")
__all__ = ["CANARY", "PRIMARY", "SHADOW", "PredLog", "new_id", "request_id"]

SANE_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
MODEL_META_KEYS = ("labels", "positive_label", "metrics", "reference", "chosen_rung", "atc")


def new_id() -> str:
    """A fresh request id (uuid4, hex)."""
    return uuid.uuid4().hex


def request_id(header: str | None) -> str:
    """The client's ``X-Request-ID`` when it is a sane token (8-32 of [A-Za-z0-9_-]), else new."""
    if header and SANE_ID.fullmatch(header):
        return header
    return new_id()


def model_md5(model: LoadedModel) -> str:
    """md5 of the bundle's ``model.skops``: which model, whatever its version is called."""
    return hashlib.md5(
        (model.path / model.main_file).read_bytes(), usedforsecurity=False
    ).hexdigest()


class PredLog:
    """Records every prediction through a :class:`LogWriter`; off when ``log_enabled`` is."""

    def __init__(self, settings: ServeSettings, registry: CollectorRegistry) -> None:
        self.enabled = settings.log_enabled
        self.images = settings.log_images
        self.writer: LogWriter | None = None
        self._md5: dict[int, str] = {}  # id(LoadedModel) -> md5, one entry per model loaded
        if self.enabled:
            url = log_db_url(settings.log_db)
            store_mod.create(url).dispose()  # a bad URL fails at start, not in the thread
            keeper = (
                ImageKeeper(self.images, metrics=KeeperMetrics(registry))
                if self.images is not None
                else None
            )
            self.writer = LogWriter(
                url,
                capacity=settings.log_queue,
                batch_size=settings.log_batch,
                interval=settings.log_interval,
                metrics=WriterMetrics(registry),
                keeper=keeper,
            )

    def start(self) -> None:
        """Start writing (connecting and migrating happen in the writer's thread)."""
        if self.writer is not None:
            self.writer.start()

    def close(self) -> None:
        """Write everything queued (clean shutdown), then stop."""
        if self.writer is not None:
            self.writer.close()

    def model_loaded(self, served: Served) -> None:
        """Holder listener: upsert the ``models`` row of a model swapped in."""
        if self.writer is None:
            return
        meta = served.model.meta
        kept = {k: meta[k] for k in MODEL_META_KEYS if k in meta}
        kept.setdefault("positive_label", served.model.labels[0])
        self.writer.submit_model(
            ModelRecord(served.version, self._md5_of(served.model), kept, utcnow())
        )

    def _md5_of(self, model: LoadedModel) -> str:
        key = id(model)
        if key not in self._md5:
            self._md5 = {key: model_md5(model), **dict(list(self._md5.items())[-3:])}
        return self._md5[key]

    def served(
        self,
        served: Served,
        ids: list[str],
        images: list[tuple[str | None, bytes]],
        probabilities: list[dict[str, float]],
        stats: list[dict[str, float]],
        started: float,
        role: str = PRIMARY,
        primary_ids: list[str] | None = None,
    ) -> None:
        """Queue one record per image of a successful request (its input goes with it).

        ``role`` is whose answers they are; a shadow's records name the primary
        request id of each image in ``primary_ids``.
        """
        if self.writer is None:
            return
        shadowed: list[str | None] = list(primary_ids) if primary_ids else [None] * len(ids)
        keeper = self.writer.keeper
        latency = (time.perf_counter() - started) * 1000
        positive = served.model.labels[0]
        md5 = self._md5_of(served.model)
        now = utcnow()
        rows = zip(ids, images, probabilities, stats, shadowed, strict=True)
        for rid, (_, data), probs, desc, primary in rows:
            sha = hashlib.sha256(data).hexdigest()
            label = max(probs, key=probs.__getitem__)
            record: dict[str, Any] = {
                "request_id": rid,
                "created_at": now,
                "model_version": served.version,
                "model_md5": md5,
                "status": 200,
                "error": None,
                "input_sha256": sha,
                "width": int(desc["width"]),
                "height": int(desc["height"]),
                "stats": desc,
                "label": label,
                "probability": probs[positive],
                "confidence": probs[label],
                "latency_ms": latency,
                "image_path": None,  # set by the writer's thread when it keeps the input
            }
            if keeper is not None and role != SHADOW:  # a copy's input is its primary's
                keeper.attach(record, data)
            self.writer.submit(record, role=role, primary_request_id=primary)

    def failed(
        self,
        served: Served,
        rid: str,
        images: list[tuple[str | None, bytes]],
        status: int,
        error: str,
        started: float,
        role: str = PRIMARY,
        primary_id: str | None = None,
    ) -> None:
        """Queue the record of a refused request (one, with the first input's hash if any)."""
        if self.writer is None:
            return
        data = images[0][1] if images else None
        self.writer.submit(
            {
                "request_id": rid,
                "created_at": utcnow(),
                "model_version": served.version,
                "model_md5": self._md5_of(served.model),
                "status": status,
                "error": error[:1000],
                "input_sha256": hashlib.sha256(data).hexdigest() if data else None,
                "width": None,
                "height": None,
                "stats": None,
                "label": None,
                "probability": None,
                "confidence": None,
                "latency_ms": (time.perf_counter() - started) * 1000,
                "image_path": None,
            },
            role=role,
            primary_request_id=primary_id,
        )

    def feedback(
        self, rid: str, label: str, source: str, current: Served | None
    ) -> dict[str, Any]:
        """Store a feedback label for a served prediction (FeedbackError with a status)."""
        if self.writer is None:
            raise FeedbackError(
                "this server keeps no prediction log (started with --no-log)", status=404
            )
        if self.writer.store is None:
            self.writer.flush(timeout=2.0)  # still connecting: give it a moment
        target = self.writer.store
        if target is None:
            raise FeedbackError(
                f"the prediction log is not connected yet: {self.writer.unavailable or 'starting'}",
                status=503,
            )
        try:
            found = feedback.find_prediction(target, rid, wait=self._wait_for(rid))
            labels = feedback.labels_of(target, found, current.model.labels if current else None)
            row = feedback.add(target, found, label, source, labels)
        except StoreError as exc:
            raise FeedbackError(f"the prediction log is unavailable: {exc}", status=503) from exc
        return {
            "request_id": row.request_id,
            "label": row.label,
            "source": row.source,
            "created_at": row.created_at.isoformat(),
            "predicted": found.label,
            "model_version": found.model_version,
        }

    def _wait_for(self, rid: str) -> Any:
        """How to wait for a record still on its way: flush ours, then poll (another worker's)."""
        writer = self.writer

        def wait(attempt: int) -> bool:
            if writer is None or attempt >= 6:
                return False
            if attempt == 0:
                writer.flush(timeout=2.0)
            else:
                time.sleep(writer.interval)
            return True

        return wait
