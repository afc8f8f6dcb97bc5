"""The served model and the record of the last load attempt, swapped atomically."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catdetector.core.errors import BundleError, IntegrityError, RemoteError, SkewError
from catdetector.model.bundle import LoadedModel

log = logging.getLogger("catdetector.serve")


@dataclass(frozen=True)
class Served:
    """An immutable snapshot: one verified model and where it came from."""

    model: LoadedModel
    version: str
    stage: str | None
    commit: str | None
    loaded_at: float
    share: int | None = None  # a canary's percent of requests (from its registry tag)
    tag: str | None = None  # the registry tag that put this version in its stage

    def describe(self) -> dict[str, Any]:
        """The /v1/model view."""
        meta = self.model.meta
        return {
            "version": self.version,
            "stage": self.stage,
            "share": self.share,
            "commit": self.commit,
            "model_id": self.model.model_id,
            "chosen_rung": meta.get("chosen_rung"),
            "labels": self.model.labels,
            "metrics": meta.get("metrics", {}),
            "loaded_at": _iso(self.loaded_at),
            "env_mismatch_allowed": self.model.checks.env_mismatch_allowed,
            "environment_differences": [d.__dict__ for d in self.model.checks.env_differences],
        }


@dataclass(frozen=True)
class CheckRecord:
    """The outcome of the latest attempt to load a candidate."""

    version: str | None
    commit: str | None
    ok: bool
    error: str | None
    at: float
    checks: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it was refused: a short word (see :func:`reason_of`)

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {
            "version": self.version,
            "commit": self.commit,
            "ok": self.ok,
            "error": self.error,
            "at": _iso(self.at),
            "checks": self.checks,
        }


def reason_of(exc: BaseException) -> str:
    """A refusal's reason, a bounded label for metrics: integrity, skew, bundle, remote, other."""
    for cls, reason in (
        (IntegrityError, "integrity"),
        (SkewError, "skew"),
        (BundleError, "bundle"),
        (RemoteError, "remote"),
    ):
        if isinstance(exc, cls):
            return reason
    return "other"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class ModelHolder:
    """Holds the current :class:`Served`; readers take one snapshot per request."""

    def __init__(self) -> None:
        self._current: Served | None = None
        self._last_check: CheckRecord | None = None
        self._lock = threading.Lock()
        self.listeners: list[Callable[[Served], None]] = []  # called after each swap
        self.refusal_listeners: list[Callable[[CheckRecord], None]] = []  # after each refusal
        self.clear_listeners: list[Callable[[Served], None]] = []  # the one cleared, after

    @property
    def current(self) -> Served | None:
        """The model serving now (one attribute read: atomic)."""
        return self._current

    @property
    def last_check(self) -> CheckRecord | None:
        """The latest load attempt."""
        return self._last_check

    def swap(self, served: Served, check: CheckRecord) -> Served | None:
        """Put ``served`` in; in-flight requests keep the snapshot they took."""
        with self._lock:
            previous, self._current = self._current, served
            self._last_check = check
        for listener in self.listeners:
            try:
                listener(served)
            except Exception:  # a listener (the prediction log) never blocks a swap
                log.exception("swap listener failed")
        return previous

    def clear(self) -> Served | None:
        """Serve nothing from now on (the registry cleared this role); the previous one."""
        with self._lock:
            previous, self._current = self._current, None
        if previous is not None:
            for listener in self.clear_listeners:
                try:
                    listener(previous)
                except Exception:  # a listener never blocks the clear
                    log.exception("clear listener failed")
        return previous

    def record_failure(self, check: CheckRecord) -> None:
        """Keep the current model, remember why the candidate was refused."""
        with self._lock:
            self._last_check = check
        for listener in self.refusal_listeners:
            try:
                listener(check)
            except Exception:  # a listener never blocks the refusal
                log.exception("refusal listener failed")
