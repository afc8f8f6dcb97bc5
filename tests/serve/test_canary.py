"""A canary in a real registry answers its share of requests on real servers, split alike."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from catdetector.serve.routing import bucket
from tests.serve.serving import Registry, Server, tiny_png

# a registry and two real servers following it
pytestmark = pytest.mark.slow

SHARE = 20
REQUESTS = 500


def assign(reg: Registry, version: str, stage: str, *extra: str) -> None:
    """promote --force (v2 fails the gate on purpose) --push."""
    args = ["promote", version, "--stage", stage, "--force", "--reason", "roles test"]
    reg.cli(*args, *extra, "--push")


def wait_role(server: Server, stage: str, version: str | None, share: int | None = None) -> None:
    """Block until /v1/model shows ``stage`` on ``version`` (and ``share``)."""
    deadline = time.monotonic() + 60
    while True:
        role = server.model()["roles"].get(stage) or {}
        if role.get("version") == version and (share is None or role.get("share") == share):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{stage} not on {version} ({share}): {server.model()}")
        time.sleep(0.05)


def versions(server: Server, keys: Sequence[str | None]) -> list[str]:
    """The version that answered one request per key (None: no X-Client-Id)."""
    image = tiny_png()
    out = []
    for key in keys:
        headers = {"content-type": "image/png"}
        if key is not None:
            headers["x-client-id"] = key
        resp = server.http.post("/v1/predict", content=image, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["version"] == resp.headers["x-model-version"]
        out.append(str(resp.json()["version"]))
    return out


def within_binomial(hits: int, n: int, share: int) -> bool:
    """``hits`` of ``n`` is within 4 standard deviations of a ``share`` percent binomial."""
    p = share / 100
    return abs(hits - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def log_rows(db: Path) -> list[dict[str, Any]]:
    """Every prediction record of a SQLite log."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        cur = conn.execute(
            "SELECT request_id, model_version, role, primary_request_id, status FROM predictions"
        )
        return [dict(r) for r in cur.fetchall()]


def wait_logged(server: Server, db: Path, count: int) -> list[dict[str, Any]]:
    """The log's records once it holds ``count`` of them (the writer flushes every 0.2 s)."""
    deadline = time.monotonic() + 60
    while True:
        rows = log_rows(db) if db.exists() else []
        if len(rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(rows)} records, not {count}:\n{server.log()[-3000:]}")
        time.sleep(0.05)


def test_canary_share_is_binomial_sticky_per_key_and_the_same_on_two_replicas(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "canary", "--share", str(SHARE))
    db_a, db_b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    a = start_server("--registry", reg.url, "--log-db", str(db_a))
    b = start_server("--registry", reg.url, "--log-db", str(db_b))
    off = start_server("--registry", reg.url, "--no-canary", "--log-db", str(tmp_path / "c.db"))
    for server in (a, b):
        wait_role(server, "canary", reg.v2, SHARE)
    roles = a.model()["roles"]
    assert roles["prod"] == {"role": "primary", "version": reg.v1, "commit": reg.c1, "share": 80}
    assert roles["canary"]["commit"] == reg.c2 and roles["canary"]["last_check"]["ok"]
    assert "canary" not in off.model()["roles"]

    # random split (no key): the share of v2 is 20 % within a binomial bound
    random_split = versions(a, [None] * REQUESTS)
    assert set(random_split) <= {reg.v1, reg.v2}
    assert within_binomial(random_split.count(reg.v2), REQUESTS, SHARE), random_split.count(reg.v2)

    # by client key: each key's bucket decides; two replicas make the same split
    keys = [f"client-{i}" for i in range(REQUESTS)]
    on_a, on_b = versions(a, list(keys)), versions(b, list(keys))
    assert on_a == on_b
    expected = [reg.v2 if bucket(k) < SHARE else reg.v1 for k in keys]
    assert on_a == expected
    assert within_binomial(on_a.count(reg.v2), REQUESTS, SHARE), on_a.count(reg.v2)
    sticky = keys[:10]
    for _ in range(3):  # the same key always gets the same version
        assert versions(a, list(sticky)) == expected[:10]
    assert set(versions(off, keys[:50])) == {reg.v1}  # --no-canary: prod answers all

    # the log: every canary answer is a canary record of v2, the rest primary of v1
    answered = len(random_split) + len(on_a) + 30
    rows = wait_logged(a, db_a, answered)
    assert len(rows) == answered
    by_role = {r: [x for x in rows if x["role"] == r] for r in ("primary", "canary", "shadow")}
    v2_answers = random_split.count(reg.v2) + on_a.count(reg.v2) + expected[:10].count(reg.v2) * 3
    assert len(by_role["canary"]) == v2_answers and not by_role["shadow"]
    assert {r["model_version"] for r in by_role["canary"]} == {reg.v2}
    assert {r["model_version"] for r in by_role["primary"]} == {reg.v1}
    assert all(r["primary_request_id"] is None for r in rows)

    # a new share is followed without a reload; a cleared canary is dropped
    assign(reg, reg.v2, "canary", "--share", "50")
    wait_role(a, "canary", reg.v2, 50)
    assert versions(a, list(keys[:100])) == [
        reg.v2 if bucket(k) < 50 else reg.v1 for k in keys[:100]
    ]
    reg.cli("unassign", "--stage", "canary", "--reason", "done", "--push")
    wait_role(a, "canary", None)
    assert set(versions(a, list(keys[:50]))) == {reg.v1}
    assert "canary v0" in a.log() and "dropped: the registry cleared the stage" in a.log()
    metrics = a.http.get("/metrics").text
    assert 'catdetector_routed_requests_total{role="canary"}' in metrics
