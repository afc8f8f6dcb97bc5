"""Shadow predictions: a copy of each request the primary answered, predicted by the shadow
version after the primary's response is sent, never returned.

The copies wait on a bounded queue of their own and one low-priority thread predicts
them, so the shadow takes only spare capacity: when the queue is full, a copy is shed
(counted in ``catdetector_shadow_shed_total``), never waited for. Each shadow
prediction, ok or failed, is one record in the prediction log with role ``shadow``
and the request id of the primary answer it copies; its latency is its own decode
and predict, not its wait in the queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from fastapi import HTTPException

from catdetector.core.config import ServeSettings
from catdetector.serve import inference
from catdetector.serve.holder import Served
from catdetector.serve.metrics import ServerMetrics
from catdetector.serve.predlog import SHADOW, PredLog, new_id
from catdetector.serve.uploads import Images

log = logging.getLogger("catdetector.serve")
QUEUE_FULL = "queue_full"
SHUTDOWN = "shutdown"
NICE = 19  # the shadow thread's scheduling priority (Linux: per thread), lowest


@dataclass(frozen=True)
class ShadowJob:
    """One primary request to copy: the shadow snapshot when it was answered, its inputs."""

    served: Served
    images: Images = field(repr=False)
    primary_ids: list[str]


class ShadowRunner:
    """The shadow's queue and thread (one per server process)."""

    def __init__(
        self, settings: ServeSettings, predlog: PredLog, metrics: ServerMetrics, decoded: int
    ) -> None:
        self.settings = settings
        self.predlog = predlog
        self.metrics = metrics
        self.decoded = decoded  # most decoded bytes of one request (the server's budget)
        self._queue: queue.Queue[ShadowJob | None] = queue.Queue(settings.shadow_queue)
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._busy = 0  # jobs queued or being predicted
        self.shed = 0  # predictions whose copy was dropped
        self.done = 0  # shadow records made

    def start(self) -> None:
        """Start the shadow thread."""
        self._thread = threading.Thread(target=self._run, name="catdetector-shadow", daemon=True)
        self._thread.start()

    async def submit(self, job: ShadowJob) -> None:
        """Queue ``job`` without waiting (a background task, after the response is sent)."""
        with self._idle:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self._shed(len(job.primary_ids), QUEUE_FULL)
                return
            self._busy += 1
        self.metrics.shadow_queued.set(self._queue.qsize())

    def _shed(self, count: int, reason: str) -> None:
        self.shed += count
        self.metrics.shadow_shed.labels(reason).inc(count)

    @property
    def pending(self) -> int:
        """Jobs queued or being predicted now."""
        return self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued job is done (False on timeout)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the job in hand, shed the queued ones (counted), stop the thread."""
        dropped = 0
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                dropped += len(job.primary_ids)
                self._finished()
        if dropped:
            self._shed(dropped, SHUTDOWN)
            log.warning("shutdown: %d shadow predictions not made (counted as shed)", dropped)
        with contextlib.suppress(queue.Full):  # a copy queued meanwhile: the thread is daemon
            self._queue.put(None, timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    def _finished(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()
        self.metrics.shadow_queued.set(self._queue.qsize())

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: nice of this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._predict(job)
            except Exception:  # never let one copy stop the shadow
                log.exception("shadow prediction failed")
            finally:
                self._finished()

    def _predict(self, job: ShadowJob) -> None:
        """Decode and predict the copy with the shadow's model; log its records."""
        started = time.perf_counter()
        served, images = job.served, job.images
        stats: list[dict[str, float]] | None = [] if self.predlog.enabled else None
        limits = inference.limits_for(self.settings, served, self.decoded)
        try:
            opened = inference.open_all(images, limits)
            preds = inference.predict(served, images, opened, stats)
        except Exception as exc:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            detail = str(exc.detail) if isinstance(exc, HTTPException) else repr(exc)
            if status == 500:
                log.error("shadow %s failed on a copy: %s", served.version, detail)
            for index, primary in enumerate(job.primary_ids):
                one = images[index : index + 1]
                self.predlog.failed(served, new_id(), one, status, detail, started, SHADOW, primary)
            self.metrics.shadow_done.labels(served.version, "error").inc(len(job.primary_ids))
            self.done += len(job.primary_ids)
            return
        if stats is not None:
            ids = [new_id() for _ in preds]
            probs = [p.probabilities for p in preds]
            self.predlog.served(served, ids, images, probs, stats, started, SHADOW, job.primary_ids)
        self.metrics.shadow_done.labels(served.version, "ok").inc(len(preds))
        self.done += len(preds)
