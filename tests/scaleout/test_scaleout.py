"""The documented scale-out, for real on one machine, under continuous load through nginx.

Three `catdetector serve` replicas (one worker each) on loopback ports behind Debian's
nginx, following one bare git registry, fetching from one S3 remote (moto), logging to
one PostgreSQL. Eight clients post without pause through nginx while v2 is promoted,
v1 rolled back to, and then one replica is killed with SIGKILL and started again.

Why nginx does not retry a POST it has already sent (no ``non_idempotent``): a
prediction is idempotent, its log record is not quite: the writer logs a re-sent request
once only when its id, input, version and status all match the record already there
(``monitor.writer``), so a request that a dying replica had refused with a logged 503,
and that nginx then passed on, would be counted twice by `monitor report`.
nginx still moves on every request it could not send (a refused connection) and, for
idempotent methods, every 502/503/timeout. What a SIGKILL costs is then exactly the
requests in flight on that replica (502, counted below) and the records still in its
writer's queue (lost, counted below; a SIGTERM loses none: tests/monitor/test_kill.py).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from catdetector.monitor import store
from catdetector.monitor.store import Prediction
from tests.browser import ARTIFACTS
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.scaleout.conftest import Cluster
from tests.scaleout.load import Load, Sent
from tests.serve.serving import Server
from tests.support import cli

pytestmark = pytest.mark.slow  # a registry, PostgreSQL, moto, nginx, 3 replicas: ~1 min

# Phases of the run; every request records the phase it was sent in.
WARM, PROMOTING, ON_V2, ROLLING_BACK, ON_V1, KILLED, RESTARTING, RESTARTED = range(8)


def wait_polls(server: Server, at_least: int, timeout: float = 60) -> None:
    """Block until the replica's registry watcher has counted ``at_least`` polls."""
    deadline = time.monotonic() + timeout
    while int(server.model()["polls"]) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"not {at_least} polls after {timeout}s: {server.model()}")
        time.sleep(0.05)


def change_and_follow(cluster: Cluster, load: Load, change: Any, version: str) -> None:
    """Make a registry change; every replica serves ``version`` by its second poll after it.

    A poll counts itself once it has read the tags and before it loads what it found:
    poll n+1 may have read the tags before the push ended, poll n+2 read them after, and
    when poll n+3 has counted itself, poll n+2's load is done. No timing is asserted.
    """
    change()
    assert cluster.reg.prod() == version  # plain `gto show` on the origin agrees
    seen = {r.port: int(r.model()["polls"]) for r in cluster.replicas}
    for replica in cluster.replicas:
        wait_polls(replica, seen[replica.port] + 3)
        assert replica.model()["version"] == version, replica.model()
    load.phase += 1
    load.wait_for(40, lambda s: s.phase == load.phase and s.answered)


def logged_rows(url: str) -> list[tuple[str, int, str]]:
    """(request id, status, model version) of every row of the shared prediction log."""
    log = store.open(url)
    try:
        with log.engine.connect() as conn:
            query = select(Prediction.request_id, Prediction.status, Prediction.model_version)
            return [(str(a), int(b), str(c)) for a, b, c in conn.execute(query)]
    finally:
        log.close()


def test_rollout_rollback_and_a_crash_behind_nginx(cluster: Cluster) -> None:
    reg = cluster.reg
    addr = {r.port: f"127.0.0.1:{r.port}" for r in cluster.replicas}
    for replica in cluster.replicas:
        assert replica.model()["version"] == reg.v1
    load = Load(cluster.nginx.url, concurrency=8)
    try:
        load.wait_for(100, lambda s: s.answered)
        assert {s.replica for s in load.sent if s.answered} == set(addr.values())

        load.phase = PROMOTING
        change_and_follow(cluster, load, lambda: reg.promote(reg.v2), reg.v2)
        assert load.phase == ON_V2
        load.phase = ROLLING_BACK
        change_and_follow(cluster, load, reg.rollback, reg.v1)
        assert load.phase == ON_V1

        victim = cluster.replicas[1]
        killed = addr[victim.port]
        load.wait_for(20, lambda s: s.phase == ON_V1 and s.replica == killed)
        os.killpg(victim.proc.pid, signal.SIGKILL)
        assert victim.proc.wait(timeout=30) == -signal.SIGKILL
        load.phase = KILLED  # sent from now on: after the replica died, never in flight on it
        victim.stop()
        load.wait_for(100, lambda s: s.phase == KILLED and s.answered)
        load.phase = RESTARTING
        reborn = cluster.start_replica(victim.port)
        cluster.replicas[1] = reborn
        assert reborn.model()["version"] == reg.v1
        load.phase = RESTARTED
        load.wait_for(30, lambda s: s.phase == RESTARTED and s.replica == killed and s.answered)
    finally:
        sent = load.stop()
    for replica in cluster.replicas:  # a clean stop writes every queued record
        stop_with_sigterm(replica)

    # Through nginx: no failure but the requests in flight on the killed replica.
    failed = [s for s in sent if not s.answered]
    in_flight = [
        s for s in failed if s.status == 502 and s.phase == ON_V1 and s.upstreams == (killed,)
    ]
    assert failed == in_flight, Counter((s.status, s.phase, s.upstreams) for s in failed)
    assert len(in_flight) <= 8  # no more than the clients
    answered = [s for s in sent if s.answered]
    assert all(s.echoed == s.request_id for s in answered)  # logged under the client's id
    # After each change was followed by every replica, only the new version answered.
    expected = {WARM: reg.v1, ON_V2: reg.v2, ON_V1: reg.v1, KILLED: reg.v1, RESTARTED: reg.v1}
    for s in answered:
        assert s.phase not in expected or s.version == expected[s.phase], s

    # The shared log: each answered prediction once, under its id, except what the
    # killed replica had queued and not yet written (lost with the process).
    rows = logged_rows(cluster.log_url)
    ids = [rid for rid, _, _ in rows]
    assert len(ids) == len(set(ids))
    sent_ids = {s.request_id for s in sent}
    assert set(ids) <= sent_ids  # no record under an id no client sent (none re-keyed)
    by_id = {s.request_id: s for s in sent}
    answered_ids = {s.request_id for s in answered}
    lost = answered_ids - set(ids)
    for rid in lost:  # answered by the killed process before it died
        assert by_id[rid].replica == killed and by_id[rid].phase <= ON_V1, by_id[rid]
    extra = set(ids) - answered_ids  # logged, but the answer died with the replica
    assert extra <= {s.request_id for s in in_flight}
    assert len(rows) == len(answered) - len(lost) + len(extra)
    for rid, status, version in rows:
        if rid in answered_ids:
            assert status == 200 and version == by_id[rid].version

    # `monitor report` counts the same, version by version.
    proc = cli(
        "monitor", "report", "--log-db", cluster.log_url, "--json", cwd=reg.proj, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: an alarm (v2 has shuffled labels)
    report = {v["version"]: v for v in json.loads(proc.stdout)}
    mine = Counter(version for _, status, version in rows if status == 200)
    assert {v: r["requests"] - r["errors"] for v, r in report.items()} == dict(mine)
    assert sum(r["requests"] for r in report.values()) == len(rows)
    assert sum(r["errors"] for r in report.values()) == sum(1 for _, st, _ in rows if st != 200)

    figures = {
        "requests": len(sent),
        "answered": len(answered),
        "failed_in_flight_on_killed": len(in_flight),
        "moved_on_by_nginx": sum(1 for s in answered if len(s.upstreams) > 1),
        "logged": len(rows),
        "lost_with_killed_queue": len(lost),
        "logged_but_answer_lost": len(extra),
        "by_phase": dict(Counter(_phase_name(s) for s in sent)),
        "report_requests": {v: r["requests"] for v, r in report.items()},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "scaleout.json").write_text(json.dumps(figures, indent=2))


PHASES = ("warm", "promoting", "on_v2", "rolling_back", "on_v1", "killed", "restarting", "up")


def _phase_name(s: Sent) -> str:
    return PHASES[s.phase]
