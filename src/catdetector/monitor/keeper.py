"""Keeping the inputs of logged predictions (``--log-images DIR``), off the request path.

The server puts an input's bytes on its record (:data:`IMAGE_KEY`); the writer's
thread stores them at ``DIR/<sha[:2]>/<sha>.<ext>`` (once per content), a batch's
inputs in one group commit (``fsutil.write_files``) just before the batch's records
are written, and sets each record's ``image_path``. The bytes waiting are
bounded (:attr:`ImageKeeper.budget`); past it, or when the disk refuses the file
(full, over quota, read-only), the image is not kept: counted by reason and logged,
and the record is written without it. Keeping an image never fails a prediction.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from catdetector.core.fsutil import write_files
from catdetector.features.images import sniff_format

log = logging.getLogger("catdetector.monitor")

IMAGE_KEY = "_image"  # a record's input bytes, on their way to the images folder
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "BMP": "bmp",
    "WEBP": "webp",
    "TIFF": "tif",
}
BUDGET_FULL = "queue_full"
DISK_FULL = "disk_full"
WRITE_ERROR = "error"
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def extension(data: bytes) -> str:
    """The file extension of an accepted input's format (``bin`` if unknown)."""
    return EXTENSIONS.get(sniff_format(data) or "", "bin")


class KeeperMetrics:
    """The keeper's Prometheus series."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self.kept = Counter(
            "catdetector_predlog_images_kept",
            "Inputs stored in the images folder (--log-images), new files only",
            registry=registry,
        )
        self.dropped = Counter(
            "catdetector_predlog_images_dropped",
            "Inputs not kept, by reason (queue_full, disk_full, error); their records are logged",
            ["reason"],
            registry=registry,
        )
        self.queued_bytes = Gauge(
            "catdetector_predlog_images_queued_bytes",
            "Bytes of inputs waiting to be stored",
            registry=registry,
            multiprocess_mode="livesum",
        )


class ImageKeeper:
    """Holds inputs on their records within ``budget`` bytes; stores them in ``folder``."""

    def __init__(
        self, folder: Path, *, budget: int = 256 << 20, metrics: KeeperMetrics | None = None
    ) -> None:
        self.folder = folder
        self.budget = budget
        self.metrics = metrics or KeeperMetrics()
        self.dropped = 0
        self._bytes = 0
        self._lock = threading.Lock()
        self._last_log: dict[str, float] = {}

    def attach(self, record: dict[str, Any], data: bytes) -> None:
        """Put ``data`` on ``record`` if the budget allows (else count it as not kept)."""
        with self._lock:
            fits = self._bytes + len(data) <= self.budget
            if fits:
                self._bytes += len(data)
                self.metrics.queued_bytes.set(self._bytes)
        if fits:
            record[IMAGE_KEY] = data
        else:
            self._drop(BUDGET_FULL, f"{self._bytes} bytes of inputs already wait")

    def release(self, record: dict[str, Any]) -> None:
        """Forget the bytes of a record that will never be written (dropped)."""
        data = record.pop(IMAGE_KEY, None)
        if data is not None:
            self._done(len(data))

    def store(self, record: dict[str, Any]) -> None:
        """Write the record's input (if it carries one) and set its ``image_path``."""
        self.store_all([record])

    def store_all(self, records: list[dict[str, Any]]) -> None:
        """Write the inputs the records carry, in one group commit, and set their ``image_path``.

        When this returns, every file a record names is durable (fsynced, and its folder):
        the caller commits the records after it. An input already stored (or twice in the
        batch) is written once.
        """
        carried = [(r, r.pop(IMAGE_KEY)) for r in records if IMAGE_KEY in r]
        if not carried:
            return
        try:
            new: dict[Path, bytes] = {}
            named: list[tuple[dict[str, Any], Path]] = []
            for record, data in carried:
                sha = str(record["input_sha256"])
                path = self.folder / sha[:2] / f"{sha}.{extension(data)}"
                named.append((record, path))
                if path not in new and not path.exists():
                    new[path] = data
            failed = dict(zip(new, write_files(list(new.items())), strict=True))
            for record, path in named:
                exc = failed.get(path)
                if exc is None:
                    record["image_path"] = str(path)
                else:
                    reason = DISK_FULL if exc.errno in _DISK_FULL else WRITE_ERROR
                    self._drop(reason, f"{exc.strerror or exc} in {self.folder}")
            self.metrics.kept.inc(sum(1 for exc in failed.values() if exc is None))
        finally:
            self._done(sum(len(data) for _, data in carried))

    def _done(self, size: int) -> None:
        with self._lock:
            self._bytes -= size
            self.metrics.queued_bytes.set(self._bytes)

    def _drop(self, reason: str, why: str) -> None:
        self.dropped += 1
        self.metrics.dropped.labels(reason).inc()
        now = time.monotonic()
        last = self._last_log.get(reason)
        if last is None or now - last > 5:  # once per reason every few seconds
            self._last_log[reason] = now
            log.warning(
                "prediction log: input not kept (%s: %s); %d not kept in all by this process",
                reason,
                why,
                self.dropped,
            )
