"""The shadow's own process: it loads the shadow bundle from the server's cache, predicts
the copies it is sent with the one inference path, and writes their records to the log.

Started by :class:`catdetector.serve.shadow.ShadowRunner` (``spawn``, at nice 19), one
per server process. It shares nothing with the server but the bundle cache and the log:
its Python work never holds the server's GIL. Each job carries the shadow version, its
commit and its bundle folder in the cache; the bundle is checked and loaded as the
watcher does (``BundleFetcher.cached``: every file against its DVC md5, then
``load_bundle``: environment and golden samples), again whenever the version changes.

Results go back over a pipe: ``("done", [(seq, version, outcome, count), ...])`` once the
records of those jobs are written, ``("shed", [(seq, reason, count), ...])`` for jobs it
could not predict, ``("loaded", version)``. This module imports only the standard library
at the top: the rest is imported in :func:`main`, once the environment is set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

    from catdetector.core.config import ServeSettings
    from catdetector.serve.holder import Served
    from catdetector.serve.predlog import PredLog

log = logging.getLogger("catdetector.serve")
NICE = 19  # the shadow process's scheduling priority: the lowest
PARENT_CHECK = 1.0  # seconds: how often an idle child checks that its server is alive
# A job is reported once its records are written: the child flushes its writer (one
# commit) for every ACK_EVERY jobs or ACK_SECONDS after the oldest unreported one, not
# for each job, so the server's reader thread wakes and the log commits seldom.
ACK_EVERY = 32
ACK_SECONDS = 0.5
UNLOADABLE = "unloadable"  # a shed reason: the shadow bundle could not be loaded here


@dataclass(frozen=True)
class ChildConfig:
    """What the shadow process needs from its server (pickled at spawn)."""

    settings: ServeSettings
    cache_dir: Path
    decoded: int  # most decoded bytes of one request (the server's budget)
    log_level: str
    parent: int  # the server's pid: the child ends when its parent is gone


@dataclass(frozen=True)
class Job:
    """One copy to predict: which shadow, its bundle folder, the inputs, the primary ids."""

    seq: int
    version: str
    commit: str | None
    bundle: str  # the bundle folder in the server's cache (its name is the DVC md5)
    images: list[tuple[str | None, bytes]]
    primary_ids: list[str]


def main(config: ChildConfig, jobs: Queue[Job | None], results: Connection, stop: Event) -> None:
    """The shadow process: predict jobs until ``stop`` (or None), then write and report all."""
    # Its server decides when it stops (``stop``, or the server's death): a SIGINT or
    # SIGTERM sent to the whole process group (Ctrl-C, systemd) must not lose its records.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Its own metrics stay private: never files in the server's multiprocess folder.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with contextlib.suppress(AttributeError, OSError):  # already set by the server, mostly
        os.setpriority(os.PRIO_PROCESS, 0, NICE)
    # Linux with autogroup scheduling (desktops, many servers) shares the CPU between
    # sessions first, nice counting only inside one: in the server's session, the
    # shadow's CPU would be charged to the server's share. Its own session, whose group
    # is at the lowest priority, takes only what no other session wants.
    with contextlib.suppress(OSError):
        os.setsid()
        Path("/proc/self/autogroup").write_text(f"{NICE}\n")
    import logging.config

    from catdetector.serve.run import log_config

    logging.config.dictConfig(log_config(config.log_level))
    Shadow(config, results).run(jobs, stop)


class Shadow:
    """The child's state: the loaded shadow, its log writer, the jobs not yet acknowledged."""

    def __init__(self, config: ChildConfig, results: Connection) -> None:
        from prometheus_client import CollectorRegistry

        from catdetector.serve.predlog import PredLog

        self.config = config
        self.results = results
        self.predlog: PredLog = PredLog(config.settings, CollectorRegistry())
        self.served: Served | None = None
        self.refused: tuple[str, str] | None = None  # (version, bundle) that failed to load
        self.unacked: list[tuple[int, str, str, int]] = []
        self.due: float | None = None  # when the oldest unreported job must be reported

    def run(self, jobs: Queue[Job | None], stop: Event) -> None:
        """The loop; at the end every record is written and every job reported."""
        self.predlog.start()
        try:
            while not stop.is_set():
                due = self.due
                wait = PARENT_CHECK if due is None else max(0.0, due - time.monotonic())
                try:
                    job = jobs.get(timeout=min(wait, PARENT_CHECK))
                except queue.Empty:
                    if self.due is not None and time.monotonic() >= self.due:
                        self.ack()
                    if os.getppid() != self.config.parent:
                        log.warning("shadow process: the server is gone; stopping")
                        return
                    continue
                if job is None or stop.is_set():
                    return
                self.handle(job)
                late = self.due is not None and time.monotonic() >= self.due
                if late or len(self.unacked) >= ACK_EVERY:
                    self.ack()
        finally:
            self.predlog.close()  # writes every queued record
            with contextlib.suppress(OSError):  # the server may be gone
                self.ack(flushed=True)
                self.results.close()

    def ack(self, flushed: bool = False) -> None:
        """Report the jobs whose records are written (after a flush of the writer)."""
        if not self.unacked:
            return
        writer = self.predlog.writer
        if not flushed and writer is not None and not writer.flush(timeout=30):
            self.due = time.monotonic() + ACK_SECONDS  # the log is slow: try again later
            return
        done, self.unacked, self.due = self.unacked, [], None
        self.results.send(("done", done))

    def handle(self, job: Job) -> None:
        """Predict one job, or report it shed when its bundle cannot be loaded here."""
        served = self.load(job)
        if served is None:
            self.results.send(("shed", [(job.seq, UNLOADABLE, len(job.primary_ids))]))
            return
        try:
            outcome = self.predict(served, job)
        except Exception:  # never let one copy stop the shadow
            log.exception("shadow prediction failed")
            outcome = "error"
        self.unacked.append((job.seq, served.version, outcome, len(job.primary_ids)))
        if self.due is None:
            self.due = time.monotonic() + ACK_SECONDS

    def load(self, job: Job) -> Served | None:
        """The shadow ``job`` names: loaded and checked as the watcher does, once per change."""
        from catdetector.core.errors import BundleError, CatDetectorError
        from catdetector.model.bundle import load_bundle
        from catdetector.registry.state import SHADOW
        from catdetector.serve.fetch import BundleFetcher
        from catdetector.serve.holder import Served
        from catdetector.serve.watcher import cache_lock

        current = self.served
        if current is not None and (current.version, str(current.model.path)) == (
            job.version,
            job.bundle,
        ):
            return current
        if self.refused == (job.version, job.bundle):
            return None
        settings = self.config.settings
        md5 = Path(job.bundle).name
        try:
            fetcher = BundleFetcher(settings.registry or "", self.config.cache_dir)
            with cache_lock(self.config.cache_dir):
                path = fetcher.cached(md5)
                if path is None or str(path) != job.bundle:
                    raise BundleError(f"the bundle of {job.version} ({md5}) is not in the cache")
                model = load_bundle(
                    path,
                    allow_env_mismatch=settings.allow_env_mismatch,
                    golden_tolerance=settings.golden_tolerance,
                    threads=settings.threads_per_predict(),
                )
        except CatDetectorError as exc:
            self.refused = (job.version, job.bundle)
            log.error("shadow process: cannot load %s (its copies are shed): %s", job.version, exc)
            return None
        self.served = Served(model, job.version, SHADOW, job.commit, time.time())
        self.refused = None
        self.results.send(("loaded", job.version))
        log.info("shadow process %d: now predicting with %s", os.getpid(), job.version)
        return self.served

    def predict(self, served: Served, job: Job) -> str:
        """Decode and predict the copy; queue its records (ok, or failed with the status)."""
        from fastapi import HTTPException

        from catdetector.serve import inference
        from catdetector.serve.predlog import SHADOW, new_id

        started = time.perf_counter()
        images, predlog = job.images, self.predlog
        stats: list[dict[str, float]] | None = [] if predlog.enabled else None
        limits = inference.limits_for(self.config.settings, served, self.config.decoded)
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
                predlog.failed(served, new_id(), one, status, detail, started, SHADOW, primary)
            return "error"
        if stats is not None:
            ids = [new_id() for _ in preds]
            probs = [p.probabilities for p in preds]
            predlog.served(served, ids, images, probs, stats, started, SHADOW, job.primary_ids)
        return "ok"
