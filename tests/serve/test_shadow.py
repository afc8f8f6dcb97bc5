"""A shadow in a real registry predicts a copy of each request after the answer, never returned."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.serving import Registry, Server, client, png
from tests.serve.test_canary import assign, log_rows, wait_role

# a registry, a real server under load, its SQLite log
pytestmark = pytest.mark.slow

CONCURRENCY = 8
PER_CLIENT = 40


def metric(text: str, name: str) -> float:
    """The sum of every series of ``name`` in a Prometheus exposition."""
    pattern = re.compile(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


def wait_drained(server: Server) -> dict[str, int]:
    """The shadow queue's figures once it is empty and every record is written.

    The shadow process takes only the CPU no one else wants (its own session, at the
    lowest priority): on a busy machine that can be very little, hence the long bound.
    """
    deadline = time.monotonic() + 600
    while True:
        queue = server.model()["roles"]["shadow"]["queue"]
        written = metric(server.http.get("/metrics").text, "catdetector_predlog_queued") == 0
        if queue["pending"] == 0 and written:
            return dict(queue)
        if time.monotonic() > deadline:
            raise AssertionError(f"shadow not drained: {queue}")
        time.sleep(0.05)


def load(server: Server) -> list[tuple[int, str | None, str | None, str | None]]:
    """CONCURRENCY clients, PER_CLIENT requests each: (status, body version, header, id)."""
    results: list[tuple[int, str | None, str | None, str | None]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(seed: int) -> None:
        with client(server.url) as http:
            for i in range(PER_CLIENT):
                image = png(64, 64, seed=seed * 1000 + i)
                try:
                    resp = http.post(
                        "/v1/predict", content=image, headers={"content-type": "image/png"}
                    )
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(repr(exc))
                    continue
                body = resp.json() if resp.status_code == 200 else {}
                with lock:
                    results.append(
                        (
                            resp.status_code,
                            body.get("version"),
                            resp.headers.get("x-model-version"),
                            resp.headers.get("x-request-id"),
                        )
                    )

    threads = [threading.Thread(target=one, args=(n,)) for n in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]
    return results


def test_shadow_under_load_copies_every_request_or_counts_its_shed(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    # a small queue, so that the load sheds some copies: both paths are counted below
    server = start_server("--registry", reg.url, "--log-db", str(db), "--shadow-queue", "2")
    wait_role(server, "shadow", reg.v2)

    results = load(server)
    assert len(results) == CONCURRENCY * PER_CLIENT
    assert [r for r in results if r[0] != 200] == []  # 0 failed
    assert {r[1] for r in results} == {r[2] for r in results} == {reg.v1}  # all from prod

    queue = wait_drained(server)
    shed = metric(server.http.get("/metrics").text, "catdetector_shadow_shed_total")
    rows = log_rows(db)
    primary = [r for r in rows if r["role"] == "primary"]
    shadow = [r for r in rows if r["role"] == "shadow"]
    assert len(rows) == len(primary) + len(shadow)
    assert {r["request_id"] for r in primary} == {r[3] for r in results}
    assert {r["model_version"] for r in primary} == {reg.v1}
    assert {r["model_version"] for r in shadow} == {reg.v2}
    # one shadow record per primary record, minus the counted sheds: exactly
    assert len(shadow) + shed == len(primary) == CONCURRENCY * PER_CLIENT
    assert queue["shed"] == shed and queue["done"] == len(shadow) > 0
    shadowed = [r["primary_request_id"] for r in shadow]
    assert len(set(shadowed)) == len(shadowed)  # each primary at most once
    assert set(shadowed) <= {r["request_id"] for r in primary}
    assert all(r["status"] == 200 for r in shadow)
    done = metric(server.http.get("/metrics").text, "catdetector_shadow_predictions_total")
    assert done == len(shadow)

    # cleared in the registry: the server drops the shadow, and no more copies are made
    reg.cli("unassign", "--stage", "shadow", "--push")
    wait_role(server, "shadow", None)
    resp = server.predict(png(64, 64, seed=99))
    assert resp.status_code == 200 and resp.json()["version"] == reg.v1
    assert server.model()["roles"]["shadow"]["queue"]["done"] == len(shadow)


def shadow_queue(server: Server) -> dict[str, Any]:
    """The shadow's queue and process figures of /v1/model."""
    return dict(server.model()["roles"]["shadow"]["queue"])


def wait_restarts(server: Server, count: int) -> dict[str, Any]:
    """The queue figures once the shadow process was started again ``count`` times."""
    deadline = time.monotonic() + 120
    while True:
        restarts = metric(server.http.get("/metrics").text, "catdetector_shadow_restarts_total")
        queue = shadow_queue(server)
        if restarts >= count and queue["restarts"] >= count:
            return queue
        if time.monotonic() > deadline:
            raise AssertionError(f"no restart of the shadow process: {queue}\n{server.log()}")
        time.sleep(0.05)


def test_a_killed_shadow_process_is_started_again_and_the_primary_never_notices(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--log-db", str(db))
    wait_role(server, "shadow", reg.v2)
    for seed in range(3):
        assert server.predict(png(64, 64, seed=seed)).status_code == 200
    before = wait_drained(server)
    assert before["done"] == 3 and before["restarts"] == 0
    child = before["process"]
    assert isinstance(child, int) and child != server.proc.pid

    os.kill(child, signal.SIGKILL)
    after = wait_restarts(server, 1)
    assert after["process"] not in (None, child)
    assert server.log().count("the shadow process") == 1  # one line per restart
    assert server.proc.poll() is None  # the server lives on

    results = load(server)  # the same load as above, through the new process
    assert [r for r in results if r[0] != 200] == []
    assert {r[1] for r in results} == {r[2] for r in results} == {reg.v1}
    queue = wait_drained(server)
    rows = log_rows(db)
    primary = [r for r in rows if r["role"] == "primary"]
    shadow = [r for r in rows if r["role"] == "shadow"]
    shed = metric(server.http.get("/metrics").text, "catdetector_shadow_shed_total")
    assert queue["restarts"] == 1 and queue["done"] > before["done"]
    # killed while idle: nothing lost; every copy since is made or counted as shed
    assert len(shadow) + shed == len(primary) == 3 + CONCURRENCY * PER_CLIENT
    assert queue["done"] == len(shadow) and queue["shed"] == shed
    assert {r["model_version"] for r in shadow} == {reg.v2}


def test_a_new_shadow_version_reaches_the_shadow_process(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--log-db", str(db))
    wait_role(server, "shadow", reg.v2)
    assert server.predict(png(64, 64, seed=1)).status_code == 200
    first = wait_drained(server)
    assert first["loaded"] == reg.v2

    assign(reg, reg.v1, "shadow")  # the prod version in shadow too: another bundle
    wait_role(server, "shadow", reg.v1)
    resp = server.predict(png(64, 64, seed=2))
    assert resp.status_code == 200
    second = wait_drained(server)
    assert second["loaded"] == reg.v1 and second["process"] == first["process"]
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT model_version, model_md5, primary_request_id FROM predictions "
            "WHERE role = 'shadow' ORDER BY id"
        ).fetchall()
        prod_md5 = conn.execute(
            "SELECT model_md5 FROM predictions WHERE role = 'primary' LIMIT 1"
        ).fetchone()[0]
    assert [r[0] for r in rows] == [reg.v2, reg.v1]
    assert rows[1][2] == resp.headers["x-request-id"]
    assert rows[0][1] != rows[1][1] == prod_md5  # the child predicted with v1's own model


def processes() -> dict[int, tuple[int, int, str]]:
    """Every process of this machine: pid -> (parent pid, nice, command line), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            found[int(entry.name)] = (int(fields[1]), int(fields[16]), cmdline)
    return found


def test_each_worker_has_its_own_shadow_process_at_the_lowest_priority(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--log-db", str(db), "--workers", "2")
    wait_role(server, "shadow", reg.v2)
    results = load(server)
    assert [r for r in results if r[0] != 200] == []
    assert {r[1] for r in results} == {reg.v1}

    # every worker's queue empty and its records written (the gauges sum the workers)
    deadline = time.monotonic() + 600
    while True:
        text = server.http.get("/metrics").text
        if metric(text, "catdetector_shadow_queued") == 0 == metric(
            text, "catdetector_predlog_queued"
        ):
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
    table = processes()
    workers = {pid for pid, (parent, _, _) in table.items() if parent == server.proc.pid}
    children = {
        pid: (parent, nice)
        for pid, (parent, nice, cmdline) in table.items()
        if parent in workers and "spawn_main" in cmdline and "resource_tracker" not in cmdline
    }
    assert len(workers) == 2 and sorted(p for p, _ in children.values()) == sorted(workers)
    assert {nice for _, nice in children.values()} == {19}
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if autogroup.exists() and autogroup.read_text().strip() == "1":  # a session of its own
        for pid in children:
            assert os.getsid(pid) == pid
            assert Path(f"/proc/{pid}/autogroup").read_text().split()[-1] == "19"
    rows = log_rows(db)
    primary = [r for r in rows if r["role"] == "primary"]
    shadow = [r for r in rows if r["role"] == "shadow"]
    shed = metric(text, "catdetector_shadow_shed_total")
    assert len(shadow) + shed == len(primary) == CONCURRENCY * PER_CLIENT
    assert metric(text, "catdetector_shadow_predictions_total") == len(shadow) > 0
