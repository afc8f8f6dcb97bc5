"""Two replicas following one registry both end on the version `monitor watch` decided.

Real parts only: a bare git registry, two `catdetector serve --stage prod` processes
following prod and shadow and writing one log (a SQLite file, or a private PostgreSQL),
traffic on both while the watch decides and pushes, and plain `gto show` on the origin.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from catdetector.monitor.store import database_url
from catdetector.training.synthetic import write_sample
from tests.monitor.conftest import postgres, postgres_cluster
from tests.monitor.pg import Postgres
from tests.monitor.watching import watch_once
from tests.serve.serving import Registry, Server, client
from tests.serve.test_canary import assign, wait_role
from tests.support import git, run

# a registry, two real servers, traffic, a watch that pushes
pytestmark = pytest.mark.slow
__all__ = ["postgres", "postgres_cluster"]  # the fixtures of the monitor tests

RECORDS = 80  # shadow records before the watch judges


def twin(reg: Registry) -> str:
    """A new version holding v1's very model (an empty commit on v1's), registered, pushed."""
    git("checkout", "-q", reg.c1, cwd=reg.proj)
    run(["dvc", "checkout", "-q", "--force"], reg.proj)
    git("commit", "-q", "--allow-empty", "-m", "v1's model, registered again", cwd=reg.proj)
    return str(reg.cli("register", "--push")["version"])


class Traffic:
    """Clients sending synthetic images to every replica in turn until stopped."""

    def __init__(self, servers: list[Server], images: list[bytes], clients: int = 2) -> None:
        self.servers, self.images = servers, images
        self.answers: list[tuple[str, int, str | None]] = []  # (server url, status, version)
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def _run(self, n: int) -> None:
        https = [client(s.url) for s in self.servers]
        i = n
        try:
            while not self._stop.is_set():
                http = https[i % len(https)]
                # each replica gets the images in their order (cat and other alternating):
                # ``i % len(images)`` sent every even image (all cats) to one replica
                image = self.images[(i // len(https)) % len(self.images)]
                try:
                    resp = http.post(
                        "/v1/predict", content=image, headers={"content-type": "image/png"}
                    )
                    version = resp.json().get("version") if resp.status_code == 200 else None
                    with self._lock:
                        self.answers.append((str(http.base_url), resp.status_code, version))
                except Exception as exc:  # every failure is counted, none hidden
                    with self._lock:
                        self.failures.append(repr(exc))
                i += 1
        finally:
            for http in https:
                http.close()

    @contextmanager
    def running(self) -> Iterator[Traffic]:
        for thread in self._threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(60)


def count(log: str, role: str, version: str) -> int:
    """Records of ``version`` in ``role`` in the shared log (SQLite file or PostgreSQL)."""
    engine = sa.create_engine(database_url(log))
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM predictions WHERE role = :r AND model_version = :v"
            return int(conn.execute(sa.text(query), {"r": role, "v": version}).scalar_one())
    except sa.exc.OperationalError:
        return 0  # not created yet
    finally:
        engine.dispose()


def wait_records(log: str, role: str, version: str, wanted: int) -> None:
    """Block until the shared log holds ``wanted`` records of ``version`` in ``role``."""
    deadline = time.monotonic() + 180
    while (have := count(log, role, version)) < wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"{have} {role} records of {version}, not {wanted}")
        time.sleep(0.1)


def wait_prod(server: Server, version: str) -> dict[str, Any]:
    """Block until /v1/model serves ``version`` as prod and follows no candidate."""
    deadline = time.monotonic() + 60
    while True:
        info = server.model()
        roles = info["roles"]
        candidates = [s for s in ("shadow", "canary") if (roles.get(s) or {}).get("version")]
        if info["version"] == version and not candidates:
            return info
        if time.monotonic() > deadline:
            raise AssertionError(f"not on {version} without a candidate: {info}")
        time.sleep(0.05)


def watch(reg: Registry, db: str, tmp: Path, *flags: str) -> dict[str, Any]:
    """One check of `monitor watch` on the working clone; its last JSON line."""
    # what is judged here is that both replicas follow the decision, not the drift of a
    # sample of 80 synthetic inputs (its PSI swings past 0.25 with the window's make-up);
    # the decision rules, drift alarms included, have their own tests
    _, check, err = watch_once(reg, db, tmp, *flags, min_requests=RECORDS, drift=False)
    assert check, err
    return check


def stages(reg: Registry) -> dict[str, str]:
    """What plain `gto show` on the origin says each stage holds."""
    out = run(["gto", "show", "--json", "-r", str(reg.origin)], reg.proj).stdout
    return {k: v for k, v in json.loads(out)["catdetector"]["stage"].items() if v}


def replicas(
    reg: Registry, start_server: Callable[..., Server], db: str, shadow: str
) -> list[Server]:
    """Two servers following prod and shadow of the registry, one log; both on the shadow."""
    servers = [
        start_server("--registry", reg.url, "--stage", "prod", "--log-db", db) for _ in range(2)
    ]
    for server in servers:
        wait_role(server, "shadow", shadow)
    return servers


def images(tmp: Path) -> list[bytes]:
    """Synthetic inputs of the training distribution (a seed whose sample does not drift),
    cat and other alternating, so any run of them is a fair sample."""
    return [p.read_bytes() for p in write_sample(tmp / "inputs", 160, seed=4242)]


def test_a_passing_shadow_is_promoted_and_both_replicas_serve_it(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    v3 = twin(reg)
    assign(reg, v3, "shadow")
    db = str(tmp_path / "log.sqlite")  # one file both replicas write
    a, b = replicas(reg, start_server, db, v3)
    with Traffic([a, b], images(tmp_path)).running() as traffic:
        wait_records(db, "shadow", v3, RECORDS)
        check = watch(reg, db, tmp_path, "--promote-on-pass", "--abort-on-fail")
        [decision] = check["decisions"]
        assert (decision["version"], decision["outcome"], decision["action"]) == (
            v3,
            "pass",
            "promoted",
        ), decision
        assert decision["pushed"] and decision["error"] is None
        for server in (a, b):
            wait_prod(server, v3)
        # both answer with the decided version while the traffic goes on
        seen = len(traffic.answers)
        while sum(v == v3 for _, _, v in traffic.answers[seen:]) < 10:
            assert not traffic.failures, traffic.failures[:3]
            time.sleep(0.05)
    assert not traffic.failures, traffic.failures[:3]
    statuses = Counter(status for _, status, _ in traffic.answers)
    assert set(statuses) == {200}, statuses
    assert {v for _, _, v in traffic.answers} == {reg.v1, v3}  # never the shadow's before
    assert {u for u, _, v in traffic.answers if v == v3} == {a.url, b.url}
    assert stages(reg) == {"prod": v3}


def test_a_failing_shadow_is_aborted_and_both_replicas_drop_it(
    private_registry: Registry,
    start_server: Callable[..., Server],
    postgres: Postgres,
    tmp_path: Path,
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")  # trained on shuffled labels: it disagrees with v1
    db = postgres.url  # the log of replicas past one machine
    a, b = replicas(reg, start_server, db, reg.v2)
    with Traffic([a, b], images(tmp_path)).running() as traffic:
        wait_records(db, "shadow", reg.v2, RECORDS)
        check = watch(reg, db, tmp_path, "--promote-on-pass", "--abort-on-fail")
        [decision] = check["decisions"]
        assert (decision["version"], decision["outcome"], decision["action"]) == (
            reg.v2,
            "fail",
            "aborted",
        ), decision
        assert decision["pushed"], decision
        assert any(r.startswith("agreement ") for r in decision["reasons"]), decision
        for server in (a, b):
            info = wait_prod(server, reg.v1)
            assert info["roles"]["shadow"]["version"] is None
    assert not traffic.failures, traffic.failures[:3]
    assert {status for _, status, _ in traffic.answers} == {200}
    assert {v for _, _, v in traffic.answers} == {reg.v1}
    assert stages(reg) == {"prod": reg.v1}
    for server in (a, b):
        assert "dropped: the registry cleared the stage" in server.log()
