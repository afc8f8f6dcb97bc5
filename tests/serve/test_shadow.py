"""A shadow in a real registry predicts a copy of each request after the answer, never returned."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

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
    """The shadow queue's figures once it is empty and every record is written."""
    deadline = time.monotonic() + 120
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
