"""Shadow predictions: a copy of each request the primary answered, predicted by the shadow
version after the primary's response is sent, never returned.

The copies go, on a bounded queue, to a process of their own (``serve.shadowproc``, one
per server process, started with ``spawn`` at nice 19): its decode, features, predict,
drift descriptors and log records never hold the server's GIL, so the shadow takes only
spare capacity. When the queue is full a copy is shed (counted in
``catdetector_shadow_shed_total``), never waited for. Each shadow prediction, ok or
failed, is one record in the prediction log with role ``shadow`` and the request id of
the primary answer it copies, written by the child's own log writer; its latency is its
own decode and predict, not its wait in the queue.

A child that dies is started again (``catdetector_shadow_restarts_total``, one log line)
and the copies it had not reported as written are counted as shed (reason
``process_died``); at shutdown the copies still queued are counted as shed (reason
``shutdown``): none is silently lost. When the registry clears the shadow role, the
process is stopped (the copy in hand finished, the queued ones counted as shed, reason
``role_cleared``), and started again when a shadow is assigned later.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from catdetector.core.config import ServeSettings
from catdetector.serve import shadowproc
from catdetector.serve.holder import Served
from catdetector.serve.metrics import ServerMetrics
from catdetector.serve.predlog import PredLog
from catdetector.serve.uploads import Images

log = logging.getLogger("catdetector.serve")
QUEUE_FULL = "queue_full"
SHUTDOWN = "shutdown"
PROCESS_DIED = "process_died"
STARTING = "starting"  # a copy made before the shadow process was started
ROLE_CLEARED = "role_cleared"  # a copy made or queued when the registry cleared the shadow
NICE = shadowproc.NICE
MAX_BACKOFF = 30.0  # seconds between restarts of a child that keeps dying at once


@dataclass(frozen=True)
class ShadowJob:
    """One primary request to copy: the shadow snapshot when it was answered, its inputs."""

    served: Served
    images: Images = field(repr=False)
    primary_ids: list[str]


@dataclass
class _Child:
    """One shadow process and its channels (a new set for each restart)."""

    proc: BaseProcess
    jobs: Queue[shadowproc.Job | None]
    results: Connection
    stop: Event
    started: float
    ended: threading.Event = field(default_factory=threading.Event)  # no restart wanted


class ShadowRunner:
    """The shadow's queue and process (one per server process)."""

    def __init__(
        self,
        settings: ServeSettings,
        predlog: PredLog,
        metrics: ServerMetrics,
        decoded: int,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.predlog = predlog  # the server's: the child writes to the same log with its own
        self.metrics = metrics
        self.decoded = decoded  # most decoded bytes of one request (the server's budget)
        self.cache_dir = cache_dir
        self._ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding: dict[int, int] = {}  # job -> its copies, until reported
        self._seq = itertools.count()
        self._child: _Child | None = None
        self._closing = threading.Event()
        self._monitor: threading.Thread | None = None
        self._starting = threading.Lock()
        self._allowed = False  # set by start() (the server's lifespan)
        self._wanted = False  # a shadow is loaded: the process is needed
        self.shed = 0  # predictions whose copy was dropped
        self.done = 0  # shadow records made
        self.restarts = 0  # children started again after dying
        self.loaded: str | None = None  # the version the child reported loading last
        atexit.register(self._at_exit)  # runs before multiprocessing's (it waits for children)

    def start(self) -> None:
        """Allow the process to start: at once if a shadow is loaded, else with the first."""
        self._allowed = True
        if self._wanted:
            self.ensure_started()

    def ensure_started(self, _: Served | None = None) -> None:
        """Start the shadow process and the thread that reads its reports, once.

        Called when the server loads a shadow (a holder listener, off the event loop):
        a server whose registry has no shadow runs no shadow process. A process still
        stopping (its role cleared just before) starts the next one once it has ended.
        """
        self._wanted = True
        with self._starting:
            if self._child is None:  # else running, or stopping (see _ended)
                self._launch()

    def _launch(self) -> None:
        """A new child and its reader thread (the caller holds ``_starting``)."""
        if not self._allowed or self._closing.is_set():
            return
        child = self._spawn()
        with self._lock:
            self._child = child
        self._monitor = threading.Thread(
            target=self._watch, args=(child,), name="catdetector-shadow", daemon=True
        )
        self._monitor.start()

    def retire(self, _: Served | None = None) -> None:
        """The registry cleared the shadow: stop the process (a holder clear listener).

        It finishes the copy in hand and writes its records; the queued copies are counted
        as shed (``role_cleared``) once it has ended. Returns at once: the thread that
        reads its reports sees it end.
        """
        self._wanted = False
        with self._starting, self._lock:
            child = self._child
            if child is None or child.ended.is_set():
                return
            child.ended.set()
            child.stop.set()
            with contextlib.suppress(queue.Full, ValueError):
                child.jobs.put_nowait(None)  # wakes an idle child
        log.info("the shadow role was cleared: stopping the shadow process %s", child.proc.pid)

    def _spawn(self) -> _Child:
        jobs: Queue[shadowproc.Job | None] = self._ctx.Queue(self.settings.shadow_queue)
        results, child_end = self._ctx.Pipe(duplex=False)
        stop = self._ctx.Event()
        level = logging.getLevelName(log.getEffectiveLevel()).lower()
        config = shadowproc.ChildConfig(
            self.settings, self._cache_dir(), self.decoded, level, os.getpid()
        )
        proc = self._ctx.Process(
            target=shadowproc.main,
            args=(config, jobs, child_end, stop),
            name="catdetector-shadow",
            daemon=True,  # ends with the server, whatever happens to it
        )
        proc.start()
        child_end.close()  # the child holds the only writing end: EOF when it is gone
        with contextlib.suppress(OSError):  # at once: it imports at the lowest priority too
            os.setpriority(os.PRIO_PROCESS, proc.pid or 0, NICE)
        return _Child(proc, jobs, results, stop, time.monotonic())

    def _cache_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        from catdetector.serve.state import cache_dir_for

        return cache_dir_for(self.settings)

    async def submit(self, job: ShadowJob) -> None:
        """Queue ``job`` without waiting (a background task, after the response is sent)."""
        count = len(job.primary_ids)
        served = job.served
        seq = next(self._seq)
        payload = shadowproc.Job(
            seq,
            served.version,
            served.commit,
            str(served.model.path),
            list(job.images),
            list(job.primary_ids),
        )
        with self._lock:
            child = self._child
            if self._closing.is_set():
                reason: str | None = SHUTDOWN
            elif child is None or child.ended.is_set():
                reason = STARTING if child is None and self._wanted else ROLE_CLEARED
            else:
                try:
                    child.jobs.put_nowait(payload)
                    reason = None
                    self._outstanding[seq] = count
                except (queue.Full, ValueError):  # ValueError: a queue closed by a restart
                    reason = QUEUE_FULL
        if reason is not None:
            self._shed(count, reason)
        self.metrics.shadow_queued.set(len(self._outstanding))

    def _shed(self, count: int, reason: str) -> None:
        if count:
            self.shed += count
            self.metrics.shadow_shed.labels(reason).inc(count)

    @property
    def pending(self) -> int:
        """Jobs queued, being predicted, or whose records are not yet written."""
        return len(self._outstanding)

    @property
    def pid(self) -> int | None:
        """The shadow process's pid (None before start and once its role is cleared)."""
        child = self._child
        return child.proc.pid if child is not None else None

    def view(self) -> dict[str, Any]:
        """The /v1/model figures of the shadow's queue and process."""
        return {
            "pending": self.pending,
            "done": self.done,
            "shed": self.shed,
            "process": self.pid,
            "restarts": self.restarts,
            "loaded": self.loaded,
        }

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued job is predicted and written (False on timeout)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._outstanding, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the job in hand, shed the queued ones (counted), stop the process."""
        self._closing.set()
        with self._starting, self._lock:
            child = self._child
            if child is not None:
                child.ended.set()  # wakes a restart's backoff: no restart now
        if child is not None:
            child.stop.set()
            with contextlib.suppress(queue.Full, ValueError):
                child.jobs.put_nowait(None)  # wakes an idle child
            child.proc.join(timeout)  # it writes its records and reports them first
            if child.proc.is_alive():
                log.error("the shadow process did not stop in %.0f s: killed", timeout)
                child.proc.kill()
                child.proc.join(timeout)
        if self._monitor is not None:
            self._monitor.join(timeout)
        latest = self._child  # one started by a restart that close() raced
        if latest is not None and latest is not child:
            latest.stop.set()
            latest.proc.join(timeout)
            if latest.proc.is_alive():
                latest.proc.kill()
            _discard(latest)
        with self._idle:
            dropped = sum(self._outstanding.values())
            self._outstanding.clear()
            self._idle.notify_all()
        if dropped:
            self._shed(dropped, SHUTDOWN)
            log.warning("shutdown: %d shadow predictions not made (counted as shed)", dropped)
        if child is not None:
            _discard(child)
        self.metrics.shadow_queued.set(0)

    def _at_exit(self) -> None:
        """The interpreter ends without close() (a failed start): the child must not stay."""
        self._closing.set()
        child = self._child
        if child is not None and child.proc.is_alive():
            child.proc.kill()  # it ignores SIGTERM, which multiprocessing's exit would send

    def _watch(self, child: _Child) -> None:
        """Read the child's reports; start it again when it dies, unless it was ended."""
        backoff = 0.0
        while True:
            try:
                message = child.results.recv()
            except (EOFError, OSError):  # the child is gone (it holds the only writing end)
                message = None
            if message is not None:
                try:
                    self._report(message)
                except Exception:  # a bad report must not stop the counting nor the restarts
                    log.exception("unreadable report from the shadow process: %.200r", message)
                continue
            child.proc.join()
            if child.ended.is_set():
                self._ended(child)
                return
            lived = time.monotonic() - child.started
            backoff = 0.0 if lived > MAX_BACKOFF else min(max(backoff * 2, 0.5), MAX_BACKOFF)
            fresh = None
            while fresh is None and not child.ended.wait(backoff):
                try:
                    fresh = self._restart(child)
                except Exception:  # e.g. no more processes: try again later
                    log.exception("the shadow process could not be started again")
                    backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF)
            if fresh is None:  # ended (role cleared, or close) while waiting to restart
                self._ended(child)
                return
            child = fresh

    def _ended(self, child: _Child) -> None:
        """``child`` ended for good: its unreported copies counted as shed, then no ``pid``."""
        _discard(child)
        with self._idle:
            lost = sum(self._outstanding.values())
            self._outstanding.clear()
            self._idle.notify_all()
        self._shed(lost, SHUTDOWN if self._closing.is_set() else ROLE_CLEARED)
        self.metrics.shadow_queued.set(0)
        self.loaded = None
        pid = child.proc.pid
        log.info("the shadow process %s ended; %d shadow copies not made (shed)", pid, lost)
        with self._starting:
            with self._lock:
                if self._child is child:
                    self._child = None
            if self._wanted and self._child is None:  # a shadow was assigned meanwhile
                self._launch()

    def _restart(self, dead: _Child) -> _Child:
        """A new child in place of ``dead``; its unreported copies are counted as shed."""
        fresh = self._spawn()
        with self._idle:
            self._child = fresh
            lost = sum(self._outstanding.values())
            self._outstanding.clear()
            self._idle.notify_all()
            if dead.ended.is_set():  # retire() or close() raced the restart: end it too
                fresh.ended.set()
                fresh.stop.set()
        _discard(dead)
        self._shed(lost, PROCESS_DIED)
        self.restarts += 1
        self.metrics.shadow_restarts.inc()
        self.metrics.shadow_queued.set(len(self._outstanding))
        log.warning(
            "the shadow process %s ended (exit code %s): started again as %s; "
            "%d shadow copies lost (counted as shed)",
            dead.proc.pid,
            dead.proc.exitcode,
            fresh.proc.pid,
            lost,
        )
        return fresh

    def _report(self, message: tuple[Any, ...]) -> None:
        """Count what the child reports: copies predicted and written, or shed."""
        kind, body = message
        if kind == "loaded":
            self.loaded = str(body)
            return
        with self._idle:
            for item in body:
                count = self._outstanding.pop(item[0], None)
                if count is None:
                    continue
                if kind == "done":
                    _, version, outcome, count = item
                    self.metrics.shadow_done.labels(version, outcome).inc(count)
                    self.done += count
                else:
                    self._shed(count, item[1])
            self._idle.notify_all()
        self.metrics.shadow_queued.set(len(self._outstanding))


def _discard(child: _Child) -> None:
    """Release a finished child's channels (no feeder thread waits on a dead reader)."""
    with contextlib.suppress(OSError, ValueError):
        child.jobs.close()
        child.jobs.cancel_join_thread()
    with contextlib.suppress(OSError):
        child.results.close()
