"""Registry and S3 outages while 8 clients predict the whole time (issue 21, the outage rows).

A real server follows a real bare-git registry whose DVC remote is moto's S3 server on
127.0.0.1. Eight clients post images without pause from start to end. Meanwhile:

1. the registry becomes unreachable (its repository moved aside) and a promotion of v2
   waits there; then the registry is back;
2. the S3 endpoint stops, and v3 (its objects already in S3) is registered and promoted;
   then S3 is back with its objects.

Every answer is 200; every answer comes from the old version until the new one has
been fetched and verified; after each recovery the server is on the new version within
a bounded number of polls; each outage shows in /v1/model or /readyz and in the log
once, not at every poll. The counts go to test-artifacts/outage_load.json.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS
from tests.s3 import MotoServer, moto_s3
from tests.serve.remotes import upload_tree
from tests.serve.serving import Registry, Server, client, edit_meta, tiny_png
from tests.serve.test_integrity import refusals
from tests.support import git, run

BUCKET, PREFIX = "models", "store"
CLIENTS = 8
PER_PHASE = 40  # answers each phase must see at least (the load runs the whole time)


@dataclass(frozen=True)
class Answer:
    """One request: the phase when it was sent and when it was answered, and the answer."""

    client: int
    sent: str
    answered: str
    status: int
    version: str | None


class Load:
    """``CLIENTS`` threads posting one image each, back to back, until stopped."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.phase = "start"
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, n: int) -> None:
        image = tiny_png()
        with client(self.server.url, timeout=60) as http:
            while not self._stop.is_set():
                sent = self.phase
                try:
                    resp = http.post(
                        "/v1/predict", content=image, headers={"content-type": "image/png"}
                    )
                except httpx.HTTPError as exc:
                    with self._done:
                        self.errors.append(f"{sent}: {exc!r}")
                        self._done.notify_all()
                    continue
                version = resp.json().get("version") if resp.status_code == 200 else None
                with self._done:
                    self.answers.append(Answer(n, sent, self.phase, resp.status_code, version))
                    self._done.notify_all()

    def enter(self, phase: str) -> None:
        """From now on requests are sent (and answered) in ``phase``."""
        with self._done:
            self.phase = phase

    def wait_more(self, count: int = PER_PHASE, timeout: float = 300) -> None:
        """Block until ``count`` more requests have ended (no sleep: a condition)."""
        with self._done:
            target = len(self.answers) + len(self.errors) + count
            ended = self._done.wait_for(
                lambda: len(self.answers) + len(self.errors) >= target, timeout
            )
        assert ended, f"the load stalled: {len(self.answers)} answers, {self.errors[:3]}"

    def stop(self) -> None:
        """Stop every client (each finishes its request in flight)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)


@pytest.fixture
def moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A fresh S3 endpoint on 127.0.0.1 with the bucket; test keys in the environment."""
    with moto_s3(tmp_path / "moto.log", monkeypatch, BUCKET) as server:
        yield server


def wait_until(
    server: Server, what: str, ok: Callable[[dict[str, Any]], bool], polls: int = 200
) -> dict[str, Any]:
    """The /v1/model view once ``ok`` holds, waiting at most ``polls`` polls of the watcher."""
    start = int(server.model()["polls"])
    while True:
        info = server.model()
        if ok(info):
            return info
        assert int(info["polls"]) - start <= polls, f"{what}: not after {polls} polls: {info}"
        server.wait_polls(1)


def commit_candidate(reg: Registry, note: str) -> None:
    """A new model commit (v1's weights, a note in model.json), its objects pushed to DVC."""
    git("checkout", "-q", reg.c1, cwd=reg.proj)
    run(["dvc", "checkout", "-q", "--force"], reg.proj)
    edit_meta(reg.proj / "models/catdetector", lambda meta: meta.update(note=note))
    run(["dvc", "commit", "-f", "-q"], reg.proj)
    git("add", "dvc.lock", cwd=reg.proj)
    git("commit", "-qm", note, cwd=reg.proj)
    run(["dvc", "push", "-q"], reg.proj)


@pytest.mark.slow  # a registry, S3, a server, 8 clients through two outages: minutes on 2 cores
def test_registry_and_s3_outages_under_load(
    private_registry: Registry, moto: MotoServer, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    # v3's commit and objects exist from the start (in git and in S3); the server cannot
    # know of it until it is registered, which happens during the S3 outage
    commit_candidate(reg, "v3: v1's weights, promoted while S3 is down")
    upload_tree(moto.client(), BUCKET, PREFIX, reg.storage)
    server = start_server(
        "--registry", reg.url, "--stage", "prod",
        "--remote-config", f"url=s3://{BUCKET}/{PREFIX}",
        "--remote-config", f"endpointurl={moto.url}",
    )  # fmt: skip
    server.wait_log(f"prefetched {reg.v2}")
    load = Load(server)
    try:
        load.wait_more()

        # 1. the registry is unreachable, and a promotion of v2 waits on it
        away = reg.origin.with_name("away.git")
        reg.origin.rename(away)
        load.enter("registry down")
        git("remote", "set-url", "origin", str(away), cwd=reg.proj)
        reg.promote(reg.v2, "promoted while the server cannot reach the registry")
        wait_until(server, "two failed polls", lambda i: i["poll_failures"] >= 2)
        load.wait_more()
        info = server.model()
        assert info["version"] == reg.v1 and "ls-remote" in (info["poll_error"] or ""), info
        away.rename(reg.origin)
        git("remote", "set-url", "origin", str(reg.origin), cwd=reg.proj)
        load.enter("registry back")
        # the poll in flight may still fail; the next one swaps (v2 is cached), then one more
        server.wait_polls(3, timeout=600)
        info = server.model()
        assert info["version"] == reg.v2 and info["poll_error"] is None, info
        load.enter("v2 seen")
        load.wait_more()

        # 2. S3 stops; v3 (its objects in S3 before the outage) is registered and promoted
        moto.stop()
        load.enter("s3 down")
        v3 = str(reg.cli("register", "--push")["version"])
        reg.promote(v3, "promoted while S3 is down")
        info = server.wait_check(v3, timeout=300)
        assert info["version"] == reg.v2 and info["last_check"]["ok"] is False, info
        ready = server.http.get("/readyz").json()
        assert ready["version"] == reg.v2 and ready["last_candidate_refused"]["version"] == v3
        # two more polls: the first tries v3 again (quietly), the second starts after it
        server.wait_polls(2, timeout=600)  # a `dvc get` of a stopped S3 takes 10-30 s to fail
        load.wait_more()
        assert server.model()["version"] == reg.v2
        moto.start()  # moto keeps nothing on disk: S3 comes back with its objects
        moto.client().create_bucket(Bucket=BUCKET)
        upload_tree(moto.client(), BUCKET, PREFIX, reg.storage)
        load.enter("s3 back")
        # the fetch in flight may still fail; the next poll fetches, verifies and swaps
        server.wait_polls(2, timeout=600)
        info = server.model()
        assert info["version"] == v3 and info["last_check"]["ok"] is True, info
        load.enter("v3 seen")
        load.wait_more()
    finally:
        load.stop()

    answers, errors = load.answers, load.errors
    assert not errors, errors[:5]
    statuses = Counter(a.status for a in answers)
    assert statuses == {200: len(answers)}, statuses
    # every answer came from the version that was verified and served at that moment
    order = {reg.v1: 0, reg.v2: 1, v3: 2}
    for n in range(CLIENTS):
        seen = [order[str(a.version)] for a in answers if a.client == n]
        assert seen == sorted(seen), f"client {n} went back to an older version"
    by_phase: dict[str, Counter[str]] = {}
    for a in answers:
        by_phase.setdefault(a.answered, Counter())[str(a.version)] += 1
    assert set(by_phase["registry down"]) == {reg.v1}
    assert set(by_phase["s3 down"]) == {reg.v2}
    assert {str(a.version) for a in answers if a.sent == "v2 seen"} == {reg.v2}
    assert {str(a.version) for a in answers if a.sent == "v3 seen"} == {v3}
    for phase in ("start", "registry down", "v2 seen", "s3 down", "v3 seen"):
        assert sum(by_phase[phase].values()) >= PER_PHASE, by_phase

    # each outage logged once, not at each poll; each recovery once
    log = server.log()
    assert log.count("registry poll failed") == 1
    assert log.count("registry poll works again") == 1
    assert log.count(f"refused {v3}") == 1 and refusals(server, "remote") == 1
    assert [line.split("now serving ")[1].split()[0] for line in log.splitlines()
            if "now serving " in line] == [reg.v1, reg.v2, v3]  # fmt: skip

    figures = {
        "clients": CLIENTS,
        "answers": len(answers),
        "failed": len(errors) + sum(n for s, n in statuses.items() if s != 200),
        "by_phase": {phase: dict(c) for phase, c in by_phase.items()},
        "polls_to_recover_at_most": {"registry": 3, "s3": 2},
        "versions": {"v1": reg.v1, "v2": reg.v2, "v3": v3},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "outage_load.json").write_text(json.dumps(figures, indent=2))
