"""Follow a stage of a remote registry: poll ``git ls-remote --tags``, load, verify, swap."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from catdetector.core.config import ServeSettings
from catdetector.core.errors import (
    CatDetectorError,
)
from catdetector.formats import gto
from catdetector.model.bundle import load_bundle
from catdetector.registry.state import CANARY, RegistryState, build_state
from catdetector.registry.tags import remote_tags
from catdetector.serve.fetch import BundleFetcher
from catdetector.serve.holder import CheckRecord, ModelHolder, Served, reason_of

log = logging.getLogger("catdetector.serve")
MAX_BACKOFF = 60.0  # seconds: the longest wait between polls of an unreachable registry


def load_static(bundle: Path, settings: ServeSettings, holder: ModelHolder) -> Served:
    """Serve one bundle folder (no registry); refuses it like any candidate."""
    model = load_bundle(
        bundle,
        allow_env_mismatch=settings.allow_env_mismatch,
        golden_tolerance=settings.golden_tolerance,
        threads=settings.threads_per_predict(),
    )
    version = str(model.meta.get("version") or f"unregistered-{model.model_id}")
    served = Served(model, version, None, None, time.time())
    holder.swap(served, CheckRecord(version, None, True, None, time.time(), model.checks.to_dict()))
    return served


@contextlib.contextmanager
def cache_lock(cache_dir: Path) -> Iterator[None]:
    """Exclusive use of the bundle cache across processes (``--workers N`` share one cache)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RegistryWatcher:
    """Resolves ``settings.stage`` of ``settings.registry`` and keeps the holder on it.

    ``roles`` (stage -> holder: shadow, canary) are followed from the same poll, each
    the way the primary is (fetched, verified, refused alike); a role cleared in the
    registry is dropped. A canary's share is read from its assignment tag's message.
    Between polls it prefetches, into the cache only, the bundles most likely to be
    served next (the newest registered version, the stage's rollback target), so a
    promotion or a rollback swaps within a poll instead of waiting for a download.
    """

    def __init__(
        self,
        settings: ServeSettings,
        holder: ModelHolder,
        cache_dir: Path,
        roles: dict[str, ModelHolder] | None = None,
    ) -> None:
        if not settings.registry:
            raise ValueError("RegistryWatcher needs settings.registry")
        self.fetcher = BundleFetcher(settings.registry, cache_dir, settings.remote_config_items())
        # The URL's credentials now live in the fetcher's tools (see tools.remember_credentials):
        # every view of the settings (/v1/model, the dashboard, the log) shows it without them.
        settings.registry = self.fetcher.url
        self.settings = settings
        self.holder = holder
        self.roles = {s: h for s, h in (roles or {}).items() if s != settings.stage}
        self.cache_dir = cache_dir
        self.poll_error: str | None = None
        self.poll_failures = 0  # polls failed in a row: the wait doubles with each
        self.polls = 0  # polls done since start (a client can wait for the next ones)
        self.last_poll: float | None = None
        # stage -> ((version, commit), reason) last refused; reason "remote" (unreachable) is
        # retried at each poll, any other only for a new target or a reload
        self._failed: dict[str, tuple[tuple[str, str], str | None]] = {}
        self._shares: dict[str, int | None] = {}  # assignment tag -> the share it records
        self._messages: dict[str, str] = {}  # tag -> its message (read once)
        self._state: RegistryState | None = None
        self._prefetched: set[str] = set()  # commits tried once (a failure is not retried)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> RegistryState | None:
        """The registry state the last poll read (None before the first)."""
        return self._state

    def message(self, tag: str) -> str:
        """The message of the registry's tag ``tag`` (fetched once, then remembered)."""
        if tag not in self._messages:
            with cache_lock(self.cache_dir):
                self._messages[tag] = self.fetcher.tag_message(tag)
        return self._messages[tag]

    def target(self) -> tuple[str, str] | None:
        """(version, commit) that the stage points to now, from ls-remote."""
        state = build_state(remote_tags(self.settings.registry or ""), self.settings.artifact)
        self._state = state
        version = state.stage_version(self.settings.stage)
        if version is None:
            return None
        return version, state.versions[version]

    def check_once(self, force: bool = False) -> CheckRecord | None:
        """One poll; returns the record of the primary's load attempt, or None."""
        with self._lock:
            try:
                target = self.target()
            except CatDetectorError as exc:
                if str(exc) != self.poll_error:  # logged once per change, not every poll
                    log.warning("registry poll failed (retrying with backoff): %s", exc)
                self.poll_error = str(exc)
                self.poll_failures += 1
                return None
            finally:
                self.last_poll = time.time()
                self.polls += 1
            if self.poll_failures:
                log.info("registry poll works again after %d failure(s)", self.poll_failures)
            self.poll_failures = 0
            self.poll_error = None
            record = self._follow_primary(target, force)
            for stage, holder in self.roles.items():
                self._follow_role(stage, holder, force)
            return record

    def _follow_primary(self, target: tuple[str, str] | None, force: bool) -> CheckRecord | None:
        stage = self.settings.stage
        if target is None:
            self.poll_error = f"no version is in stage {stage}"
            return None
        current = self.holder.current
        if not force and current is not None and (current.version, current.commit) == target:
            return None
        if not force and self._refused(stage, target):
            return None  # refused for what it is: only a new target or a reload tries again
        return self._load(stage, self.holder, *target, quiet=not force)

    def _follow_role(self, stage: str, holder: ModelHolder, force: bool) -> None:
        """Keep ``holder`` on what ``stage`` holds now; drop it when the stage is empty."""
        assert self._state is not None
        event = self._state.assignment(stage)
        current = holder.current
        if event is None or event.version is None:
            if current is not None:
                holder.clear()
                log.info("%s %s dropped: the registry cleared the stage", stage, current.version)
            self._failed.pop(stage, None)
            return
        version, commit = event.version, self._state.versions[event.version]
        share = self._share(event.tag) if stage == CANARY else None
        if not force and current is not None and (current.version, current.commit) == (
            version,
            commit,
        ):
            if (current.share, current.tag) != (share, event.tag):  # a new share, same model
                check = holder.last_check or CheckRecord(version, commit, True, None, time.time())
                holder.swap(replace(current, share=share, tag=event.tag), check)
                log.info("%s %s now answers %s%% of requests", stage, version, share or 0)
            return
        if not force and self._refused(stage, (version, commit)):
            return
        self._load(stage, holder, version, commit, share, event.tag, quiet=not force)

    def _refused(self, stage: str, target: tuple[str, str]) -> bool:
        """``target`` was refused for ``stage`` for what it is (not an unreachable remote)."""
        failed = self._failed.get(stage)
        return failed is not None and failed[0] == target and failed[1] != "remote"

    def _share(self, tag: str) -> int | None:
        """The canary share its assignment tag records (read once per tag)."""
        if tag not in self._shares:
            try:
                with cache_lock(self.cache_dir):
                    message = self.fetcher.tag_message(tag)
            except CatDetectorError as exc:
                log.warning("cannot read the message of %s (the share): %s", tag, exc)
                return None  # read again at the next poll
            self._shares[tag] = gto.share_of(message)
            if self._shares[tag] is None:
                log.warning("%s records no share: the canary answers no request", tag)
        return self._shares[tag]

    def _load(
        self,
        stage: str,
        holder: ModelHolder,
        version: str,
        commit: str,
        share: int | None = None,
        tag: str | None = None,
        quiet: bool = False,
    ) -> CheckRecord:
        """Fetch, verify and swap ``version`` into ``holder``; a refusal keeps its model.

        A candidate that could not be fetched (the DVC remote or the registry unreachable)
        is tried again at each poll; with ``quiet``, a refusal identical to the previous
        one (same candidate, same reason) is neither logged nor counted again.
        """
        started = time.time()
        md5 = None
        try:
            with cache_lock(self.cache_dir):
                try:
                    path, md5, from_network = self.fetcher.fetch(commit, version)
                    model = load_bundle(
                        path,
                        allow_env_mismatch=self.settings.allow_env_mismatch,
                        golden_tolerance=self.settings.golden_tolerance,
                        threads=self.settings.threads_per_predict(),
                    )
                except CatDetectorError:
                    if md5 is not None:
                        self.fetcher.evict(md5)  # never serve, nor trust later, a failed entry
                    raise
        except CatDetectorError as exc:
            reason = reason_of(exc)
            again = self._failed.get(stage) == ((version, commit), reason)
            last = holder.last_check
            if quiet and again and last is not None:
                return last  # the same outage: once per change, not once per poll
            record = CheckRecord(version, commit, False, str(exc), time.time(), reason=reason)
            holder.record_failure(record)
            self._failed[stage] = ((version, commit), reason)
            self._prefetched.add(commit)  # a refused bundle is not fetched again in the background
            log.error(
                "refused %s (%s) for %s: %s; still %s %s",
                version,
                commit[:10],
                stage,
                exc,
                "serving" if holder is self.holder else stage,
                holder.current.version if holder.current else "nothing",
            )
            return record
        checks = model.checks.to_dict()
        checks["fetched_from_network"] = from_network
        checks["content_md5"] = f"{md5}.dir"  # every file checked against the registered dvc.lock
        checks["seconds"] = round(time.time() - started, 3)
        record = CheckRecord(version, commit, True, None, time.time(), checks)
        served = Served(model, version, stage, commit, time.time(), share, tag)
        previous = holder.swap(served, record)
        self._failed.pop(stage, None)
        was = previous.version if previous else "nothing"
        if holder is self.holder:
            log.info("now serving %s (%s), was %s", version, commit[:10], was)
        else:
            log.info("now %s: %s (%s), was %s", stage, version, commit[:10], was)
        return record

    def prefetch(self) -> list[str]:
        """Fetch (not load) the bundles likely to be served next; the versions fetched."""
        with self._lock:
            state = self._state
            if state is None:
                return []
            wanted = [state.latest()]
            stack = state.rollback_stack(self.settings.stage)
            if len(stack) >= 2:
                wanted.append(stack[-2])
            current = self.holder.current
            fetched = []
            for version in dict.fromkeys(v for v in wanted if v is not None):
                commit = state.versions.get(version)
                if commit is None or commit in self._prefetched:
                    continue
                self._prefetched.add(commit)
                if current is not None and current.commit == commit:
                    continue
                try:
                    with cache_lock(self.cache_dir):
                        _, _, from_network = self.fetcher.fetch(commit, version)
                except CatDetectorError as exc:
                    log.warning(
                        "prefetch of %s failed (it is fetched when needed): %s", version, exc
                    )
                    continue
                if from_network:
                    log.info("prefetched %s (%s) into the cache", version, commit[:10])
                    fetched.append(version)
            return fetched

    def start(self) -> None:
        """Poll in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._run, name="registry-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
                if not self._stop.is_set():
                    self.prefetch()
            except Exception:  # the watcher must outlive any surprise; the log tells
                log.exception("registry watcher error")
            self._stop.wait(self.next_wait())

    def next_wait(self) -> float:
        """The poll interval, doubled for each failed poll in a row (up to a minute)."""
        interval = self.settings.poll_interval
        return min(interval * 2 ** min(self.poll_failures, 16), max(interval, MAX_BACKOFF))

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
