"""Batched writes of the prediction log, off the request path, through a bounded queue.

One background thread drains the queue and inserts in batches. While the database
is unreachable the thread keeps its current batch and retries; new records wait in
the queue up to its bound, and past that they are dropped: counted (Prometheus
counter, by reason) and logged, never silently. :meth:`LogWriter.close` writes
everything still queued (a clean shutdown loses nothing while the database is up).
The ``catdetector_predlog_queued`` gauge follows the queue on every change, also
while the database is down. Inputs kept with ``--log-images`` travel on their
records and are stored by this thread (:mod:`catdetector.monitor.keeper`). A
record whose request id is already logged with the same input, version and status is a retry of
that request (a client or a proxy re-sent it): it is logged once and counted; any other
reuse of an id is written under a fresh id, counted and logged, never dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from catdetector.core.errors import StoreError
from catdetector.monitor import store as store_mod
from catdetector.monitor.keeper import ImageKeeper

log = logging.getLogger("catdetector.monitor")

QUEUE_FULL = "queue_full"
DB_UNAVAILABLE = "db_unavailable"
SHUTDOWN = "shutdown"
WRITE_ERROR = "error"


@dataclass
class ModelRecord:
    """A ``models`` row to upsert (a model was loaded)."""

    version: str
    model_md5: str
    meta: dict[str, Any]
    loaded_at: datetime


class WriterMetrics:
    """The writer's Prometheus series (multi-process aware like the server's)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self.written = Counter(
            "catdetector_predlog_written",
            "Prediction records stored in the prediction log",
            registry=registry,
        )
        self.dropped = Counter(
            "catdetector_predlog_dropped",
            "Prediction records dropped, by reason (queue_full, db_unavailable, shutdown, error)",
            ["reason"],
            registry=registry,
        )
        self.failures = Counter(
            "catdetector_predlog_write_failures",
            "Failed attempts to write a batch (the database was unreachable)",
            registry=registry,
        )
        self.rekeyed = Counter(
            "catdetector_predlog_rekeyed",
            "Records whose request id was already logged, written under a fresh id",
            registry=registry,
        )
        self.retried = Counter(
            "catdetector_predlog_retried",
            "Records of a request already logged (same id, input and version): not written again",
            registry=registry,
        )
        self.queued = Gauge(
            "catdetector_predlog_queued",
            "Prediction records waiting to be written",
            registry=registry,
            multiprocess_mode="livesum",
        )


@dataclass
class _Flush:
    """A request to write everything submitted before it."""

    done: threading.Event = field(default_factory=threading.Event)


class LogWriter:
    """Owns one :class:`~catdetector.monitor.store.Store` and the thread that writes to it."""

    def __init__(
        self,
        url: str | Path,
        *,
        capacity: int = 10_000,
        batch_size: int = 500,
        interval: float = 0.2,
        retry: float = 1.0,
        metrics: WriterMetrics | None = None,
        opener: Callable[[str | Path], store_mod.Store] = store_mod.open,
        keeper: ImageKeeper | None = None,
    ) -> None:
        self.url = url
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.retry = retry
        self.metrics = metrics or WriterMetrics()
        self._open = opener
        self.keeper = keeper
        self._queue: queue.Queue[dict[str, Any] | ModelRecord | _Flush] = queue.Queue()
        self._size = 0  # predictions queued (ModelRecords and flushes are not bounded)
        self._size_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # ends the writer's wait for a fuller batch
        self._deadline = float("inf")  # at shutdown: when to stop retrying an unreachable DB
        self._thread: threading.Thread | None = None
        self.store: store_mod.Store | None = None
        self.unavailable: str | None = None  # why the last attempt to write failed
        self.dropped = 0
        self._last_drop_log: dict[str, float] = {}  # reason -> when last logged
        # Enough queued to write now rather than wait for more (a small bound must not
        # fill while the writer lingers).
        self._enough = max(1, min(batch_size, capacity // 2))

    # ------------------------------------------------------------ producer side

    def start(self) -> None:
        """Start the writer thread (it connects, and migrates, in the background)."""
        self._thread = threading.Thread(target=self._run, name="predlog-writer", daemon=True)
        self._thread.start()

    def submit(
        self,
        record: dict[str, Any],
        *,
        role: str = store_mod.PRIMARY,
        primary_request_id: str | None = None,
    ) -> bool:
        """Queue one prediction record without blocking; False (counted) when dropped.

        ``role`` is whose answer it is (primary, canary, shadow); a shadow record
        names the request id of the primary answer it shadows (ValueError otherwise).
        """
        store_mod.with_role(record, role, primary_request_id)
        with self._size_lock:
            full = self._size >= self.capacity or self._stop.is_set()
            if not full:
                self._size += 1
                self.metrics.queued.set(self._size)
        if full:
            if self.keeper is not None:
                self.keeper.release(record)
            self._drop(1, SHUTDOWN if self._stop.is_set() else self._full_reason())
            return False
        self._queue.put_nowait(record)
        if self._size >= self._enough:
            self._wake.set()  # a full batch is waiting: write it now
        return True

    def submit_model(self, record: ModelRecord) -> None:
        """Queue a ``models`` upsert (never dropped: one per load)."""
        self._queue.put_nowait(record)

    def flush(self, timeout: float = 5.0) -> bool:
        """Block until everything submitted so far is written; False on timeout."""
        if self._thread is None or not self._thread.is_alive():
            return False
        marker = _Flush()
        self._queue.put_nowait(marker)
        self._wake.set()
        return marker.done.wait(timeout)

    @property
    def queued(self) -> int:
        """Prediction records not yet written."""
        return self._size

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, then stop; what cannot be written in ``timeout`` is dropped.

        Records can only be lost here when the database stays unreachable for the
        whole ``timeout``; they are then counted as dropped (reason ``shutdown``).
        """
        self._deadline = time.monotonic() + max(0.0, timeout - 1.0)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error(
                    "prediction log: still writing after %.0fs at shutdown; %d records lost",
                    timeout,
                    self._size,
                )
        if self.store is not None:
            self.store.close()

    # ------------------------------------------------------------ the thread

    def _full_reason(self) -> str:
        return DB_UNAVAILABLE if self.unavailable else QUEUE_FULL

    def _drop(self, count: int, reason: str) -> None:
        self.dropped += count
        self.metrics.dropped.labels(reason).inc(count)
        now = time.monotonic()
        last = self._last_drop_log.get(reason)
        if reason == SHUTDOWN or last is None or now - last > 5:
            self._last_drop_log[reason] = now
            log.warning(
                "prediction log: dropped %d record(s) (%s); %d dropped in all by this process%s",
                count,
                reason,
                self.dropped,
                f"; database: {self.unavailable}" if self.unavailable else "",
            )

    def _take(self, wait: float) -> tuple[list[dict[str, Any]], list[ModelRecord], list[_Flush]]:
        """Up to ``batch_size`` records, waiting at most ``wait`` for the first one.

        Then it lingers up to ``wait`` for more (unless a flush or the shutdown wakes
        it, or the queue holds a full batch): one transaction per batch, not per record,
        is what keeps the log cheap under load.
        """
        rows: list[dict[str, Any]] = []
        models: list[ModelRecord] = []
        flushes: list[_Flush] = []
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return rows, models, flushes
        if wait > 0 and self._size < self._enough and not isinstance(item, _Flush):
            self._wake.wait(wait)
        self._wake.clear()
        while True:
            if isinstance(item, _Flush):
                flushes.append(item)
                break  # write what came before it now
            if isinstance(item, ModelRecord):
                models.append(item)
            else:
                rows.append(item)
                if len(rows) >= self.batch_size:
                    break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return rows, models, flushes

    def _connect(self) -> store_mod.Store:
        if self.store is None:
            self.store = self._open(self.url)
            log.info("prediction log: writing to %s", self.store.url)
        return self.store

    def _write(self, rows: list[dict[str, Any]], models: list[ModelRecord]) -> None:
        """One attempt; raises StoreError (kept for the retry) when the database fails."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            target = self._connect()
            if self.keeper is not None:
                # One group commit of the batch's inputs, durable before the records that
                # name them are committed (sets image_path, or counts the image not kept).
                self.keeper.store_all(rows)
            for model in models:
                target.upsert_model(model.version, model.model_md5, model.meta, model.loaded_at)
            duplicates = target.insert_predictions(rows)
            written = len(rows)
            while duplicates:
                again = self._rekeyed(target, rows, set(duplicates))
                written -= len(duplicates) - len(again)  # the retries, not written again
                duplicates = target.insert_predictions(again)
        except SQLAlchemyError as exc:
            raise StoreError(store_mod.reason(exc)) from exc
        self.metrics.written.inc(written)
        self._dequeued(len(rows))

    def _rekeyed(
        self, target: store_mod.Store, rows: list[dict[str, Any]], taken: set[str]
    ) -> list[dict[str, Any]]:
        """The rows whose id is ``taken`` to write again, each under a fresh id; a row
        logged already with the same input, version and status is a retry: counted, not
        written (a 503 then a 200 on another replica are two answers, both logged)."""
        fresh = []
        for row in rows:
            if row["request_id"] not in taken:
                continue
            stored = target.prediction(row["request_id"])
            if (
                stored is not None
                and row.get("input_sha256")
                and stored.input_sha256 == row["input_sha256"]
                and stored.model_version == row.get("model_version")
                and stored.status == row.get("status")
            ):
                self.metrics.retried.inc()
                continue
            old, row["request_id"] = row["request_id"], uuid.uuid4().hex
            self.metrics.rekeyed.inc()
            log.warning(
                "prediction log: request id %s was already logged; recorded as %s",
                old,
                row["request_id"],
            )
            fresh.append(row)
        return fresh

    def _dequeued(self, count: int) -> None:
        with self._size_lock:
            self._size -= count
            self.metrics.queued.set(self._size)

    def _run(self) -> None:
        rows: list[dict[str, Any]] = []
        models: list[ModelRecord] = []
        flushes: list[_Flush] = []
        down_since: float | None = None
        while True:
            stopping = self._stop.is_set()
            if not rows and not models:
                rows, models, more = self._take(0 if stopping else self.interval)
                flushes += more
                # Idle; but connect (and migrate) as soon as the thread starts.
                if not rows and not models and (self.store is not None or stopping):
                    for marker in flushes:
                        marker.done.set()
                    flushes.clear()
                    if stopping and self._queue.empty():
                        return
                    continue
            try:
                self._write(rows, models)
            except StoreError as exc:
                self.metrics.failures.inc()
                if self.unavailable is None:
                    log.error("prediction log: cannot write (%s); retrying, queueing", exc)
                self.unavailable = str(exc)
                down_since = down_since or time.monotonic()
                if stopping and time.monotonic() >= self._deadline:
                    self._give_up(rows)
                    return
                if stopping:
                    time.sleep(min(self.retry, max(0.0, self._deadline - time.monotonic())))
                else:
                    self._stop.wait(self.retry)
                continue
            except Exception:  # a bug must not kill the thread and silently fill the queue
                log.exception("prediction log: unexpected error; %d records dropped", len(rows))
                self._release(rows)
                self._dequeued(len(rows))
                self._drop(len(rows), WRITE_ERROR)
            if self.unavailable is not None:
                log.warning(
                    "prediction log: the database is back after %.1fs; catching up (%d queued)",
                    time.monotonic() - (down_since or time.monotonic()),
                    self._size,
                )
            self.unavailable, down_since = None, None
            rows, models = [], []
            for marker in flushes:
                marker.done.set()
            flushes.clear()

    def _give_up(self, rows: list[dict[str, Any]]) -> None:
        """At shutdown with the database down: count everything left as dropped."""
        left = list(rows)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, dict):
                left.append(item)
            elif isinstance(item, _Flush):
                item.done.set()
        self._release(left)
        with self._size_lock:
            self._size = 0
            self.metrics.queued.set(0)
        if left:
            self._drop(len(left), SHUTDOWN)

    def _release(self, rows: list[dict[str, Any]]) -> None:
        if self.keeper is not None:
            for row in rows:
                self.keeper.release(row)
