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
    """The sum of every series of ``name`` (or of one series: ``name{label="..."}``)."""
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


def shed_total(server: Server, reason: str | None = None) -> float:
    """The server's shadow copies counted as shed (all, or for one ``reason``)."""
    name = "catdetector_shadow_shed_total" + (f'{{reason="{reason}"}}' if reason else "")
    return metric(server.http.get("/metrics").text, name)


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


Result = tuple[int, str | None, str | None, str | None]  # status, body version, header, id


def shadow_server(
    reg: Registry, start_server: Callable[..., Server], tmp_path: Path, *args: str
) -> tuple[Server, Path]:
    """v2 assigned to shadow (v1 is prod), a server following both and logging to SQLite."""
    assign(reg, reg.v2, "shadow")
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--log-db", str(db), *args)
    wait_role(server, "shadow", reg.v2)
    return server, db


def load(server: Server, version: str) -> list[Result]:
    """CONCURRENCY clients, PER_CLIENT requests each, every one answered 200 by ``version``."""
    results: list[Result] = []
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
    assert len(results) == CONCURRENCY * PER_CLIENT
    assert [r for r in results if r[0] != 200] == []  # 0 failed
    assert {r[1] for r in results} == {r[2] for r in results} == {version}
    return results


def ids(results: list[Result]) -> list[str]:
    """The request ids the server returned."""
    return [str(r[3]) for r in results]


def shadow_accounting(
    rows: list[dict[str, Any]], copied: list[str], shed: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The log's (primary, shadow) records, checked: each primary request in ``copied`` (its
    answer's id) has exactly one shadow record or was counted as shed, and no other has one."""
    primary = [r for r in rows if r["role"] == "primary"]
    shadow = [r for r in rows if r["role"] == "shadow"]
    assert len(rows) == len(primary) + len(shadow)
    assert set(copied) <= {r["request_id"] for r in primary}
    shadowed = [r["primary_request_id"] for r in shadow]
    assert len(set(shadowed)) == len(shadowed)  # each primary at most once
    assert set(shadowed) <= set(copied)
    assert len(shadow) + shed == len(copied)  # exactly
    assert all(r["status"] == 200 for r in shadow)
    return primary, shadow


def test_shadow_under_load_copies_every_request_or_counts_its_shed(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    # a small queue, so that the load sheds some copies: both paths are counted below
    server, db = shadow_server(reg, start_server, tmp_path, "--shadow-queue", "2")
    results = load(server, reg.v1)  # all from prod

    queue = wait_drained(server)
    shed = shed_total(server)
    primary, shadow = shadow_accounting(log_rows(db), ids(results), shed)
    assert len(primary) == CONCURRENCY * PER_CLIENT
    assert {r["model_version"] for r in primary} == {reg.v1}
    assert {r["model_version"] for r in shadow} == {reg.v2}
    assert queue["shed"] == shed and queue["done"] == len(shadow) > 0
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


def predict_some(server: Server, count: int, first_seed: int = 0) -> list[str]:
    """``count`` predictions answered 200: their request ids."""
    out = []
    for seed in range(first_seed, first_seed + count):
        resp = server.predict(png(64, 64, seed=seed))
        assert resp.status_code == 200, resp.text
        out.append(resp.headers["x-request-id"])
    return out


def test_a_killed_shadow_process_is_started_again_and_the_primary_never_notices(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    server, db = shadow_server(reg, start_server, tmp_path)
    copied = predict_some(server, 3)
    before = wait_drained(server)
    assert before["done"] == 3 and before["restarts"] == 0
    child = before["process"]
    assert isinstance(child, int) and child != server.proc.pid

    os.kill(child, signal.SIGKILL)
    after = wait_restarts(server, 1)
    assert after["process"] not in (None, child)
    assert server.log().count("the shadow process") == 1  # one line per restart
    assert server.proc.poll() is None  # the server lives on

    copied += ids(load(server, reg.v1))  # the same load as above, through the new process
    queue = wait_drained(server)
    shed = shed_total(server)
    # killed while idle: nothing lost; every copy since is made or counted as shed
    primary, shadow = shadow_accounting(log_rows(db), copied, shed)
    assert len(primary) == 3 + CONCURRENCY * PER_CLIENT
    assert queue["restarts"] == 1 and queue["done"] > before["done"]
    assert queue["done"] == len(shadow) and queue["shed"] == shed
    assert {r["model_version"] for r in shadow} == {reg.v2}


def pid_exists(pid: int) -> bool:
    """A process (not yet reaped) has this pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_process(server: Server, running: bool) -> dict[str, Any]:
    """The queue figures once /v1/model shows a live shadow process (or none)."""
    deadline = time.monotonic() + 120
    while True:
        queue = shadow_queue(server)
        pid = queue["process"]
        if (isinstance(pid, int) and pid_exists(pid)) == running:
            return queue
        if time.monotonic() > deadline:
            raise AssertionError(f"shadow process running is not {running}: {queue}")
        time.sleep(0.05)


def wait_figures(server: Server, pending: int, shed: float) -> None:
    """Block until the shadow queue holds ``pending`` jobs and ``shed`` copies were shed."""
    deadline = time.monotonic() + 60
    while (shadow_queue(server)["pending"], shed_total(server)) != (pending, shed):
        if time.monotonic() > deadline:
            raise AssertionError(f"not {pending} pending, {shed} shed: {shadow_queue(server)}")
        time.sleep(0.05)


def test_the_shadow_process_stops_when_its_role_is_cleared_and_starts_for_the_next(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    server, db = shadow_server(reg, start_server, tmp_path, "--shadow-queue", "2")
    pid = wait_process(server, running=True)["process"]
    copied = predict_some(server, 1)  # one at a time: the process may still be starting
    assert wait_drained(server)["done"] == 1

    # the child stopped (SIGSTOP) while idle: 2 copies wait in its queue, 3 are shed
    os.kill(pid, signal.SIGSTOP)
    try:
        copied += predict_some(server, 5, first_seed=10)
        wait_figures(server, pending=2, shed=3)
        reg.cli("unassign", "--stage", "shadow", "--push")
        wait_role(server, "shadow", None)
    finally:
        os.kill(pid, signal.SIGCONT)
    gone = wait_process(server, running=False)
    assert gone["process"] is None and not pid_exists(pid)  # ended and reaped
    assert gone["pending"] == 0 and gone["restarts"] == 0 and gone["loaded"] is None
    assert shed_total(server, "role_cleared") == 2 == gone["shed"] - 3  # dropped, counted
    assert "stopping the shadow process" in server.log()
    uncopied = predict_some(server, 2, first_seed=20)  # no shadow: no copy, nothing shed

    assign(reg, reg.v2, "shadow")  # a shadow again: a new process
    wait_role(server, "shadow", reg.v2)
    again = wait_process(server, running=True)
    assert again["process"] != pid
    copied += predict_some(server, 1, first_seed=30)
    queue = wait_drained(server)
    assert queue["done"] == 2 and queue["loaded"] == reg.v2 and queue["restarts"] == 0
    primary, shadow = shadow_accounting(log_rows(db), copied, shed_total(server))
    assert len(primary) == len(copied) + len(uncopied) == 9
    assert {r["primary_request_id"] for r in shadow}.isdisjoint(uncopied)
    assert len(shadow) == 2 and {r["model_version"] for r in shadow} == {reg.v2}


def test_a_new_shadow_version_reaches_the_shadow_process(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    server, db = shadow_server(reg, start_server, tmp_path)
    predict_some(server, 1)
    first = wait_drained(server)
    assert first["loaded"] == reg.v2

    assign(reg, reg.v1, "shadow")  # the prod version in shadow too: another bundle
    wait_role(server, "shadow", reg.v1)
    (second_id,) = predict_some(server, 1, first_seed=2)
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
    assert rows[1][2] == second_id
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
    server, db = shadow_server(reg, start_server, tmp_path, "--workers", "2")
    results = load(server, reg.v1)

    # every worker's queue empty and its records written (the gauges sum the workers)
    deadline = time.monotonic() + 600
    while True:
        text = server.http.get("/metrics").text
        if (
            metric(text, "catdetector_shadow_queued")
            == 0
            == metric(text, "catdetector_predlog_queued")
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
    shed = metric(text, "catdetector_shadow_shed_total")
    primary, shadow = shadow_accounting(log_rows(db), ids(results), shed)
    assert len(primary) == CONCURRENCY * PER_CLIENT
    assert metric(text, "catdetector_shadow_predictions_total") == len(shadow) > 0
