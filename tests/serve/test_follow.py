"""A real server follows a real GTO registry: promote, rollback, swaps under load, cache."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from catdetector.model.bundle import load_bundle
from tests.serve.serving import Registry, Server, client, tiny_png

# a registry and real servers following it: 10-21 s of CPU each
pytestmark = pytest.mark.slow


def test_promote_and_rollback_are_followed_without_restart(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod")
    pid = server.proc.pid

    assert reg.prod() == reg.v1
    resp = server.predict(tiny_png())
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["version"] == reg.v1 == resp.headers["x-model-version"]
    assert body["label"] in ("cat", "other") and 0.5 <= body["probability"] <= 1
    info = server.model()
    assert info["version"] == reg.v1 and info["stage"] == "prod" and info["commit"] == reg.c1
    assert info["metrics"]["test"]["accuracy"] > 0.5 and info["loaded_at"]
    assert info["last_check"]["ok"] is True and info["last_check"]["checks"]["golden_ok"]
    assert info["last_check"]["checks"]["hash_ok"]

    server.wait_log(f"prefetched {reg.v2}")  # the newest version is fetched ahead
    reg.promote(reg.v2)
    assert reg.prod() == reg.v2
    server.wait_version(reg.v2)
    info = server.model()
    assert info["version"] == reg.v2 and info["commit"] == reg.c2
    # the swap used the prefetched bundle: no download between the poll and the swap
    assert info["last_check"]["checks"]["fetched_from_network"] is False

    reg.rollback()
    assert reg.prod() == reg.v1
    server.wait_version(reg.v1)
    info = server.model()
    assert info["version"] == reg.v1 and info["commit"] == reg.c1
    assert info["last_check"]["checks"]["fetched_from_network"] is False  # v1 was cached

    assert server.proc.poll() is None and server.proc.pid == pid  # no restart
    assert "now serving " + reg.v2 in server.log() and "now serving " + reg.v1 in server.log()
    # admin endpoints are off without CATDETECTOR_ADMIN_TOKEN
    assert server.http.post("/v1/admin/reload").status_code == 404


def test_ten_swaps_under_load_fail_no_request(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod")
    image = tiny_png()
    results: list[tuple[int, str | None, str | None, float | None]] = []
    errors: list[str] = []
    stop = threading.Event()
    answered = threading.Condition()

    def hammer() -> None:
        with client(server.url) as http:
            while not stop.is_set():
                try:
                    resp = http.post(
                        "/v1/predict", content=image, headers={"content-type": "image/png"}
                    )
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    continue
                body = resp.json() if resp.status_code == 200 else {}
                with answered:
                    results.append(
                        (
                            resp.status_code,
                            body.get("version"),
                            resp.headers.get("x-model-version"),
                            body.get("probability"),
                        )
                    )
                    answered.notify_all()

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    try:
        expected = reg.v1
        for i in range(10):
            if i % 2 == 0:
                reg.promote(reg.v2, f"swap {i}")
                expected = reg.v2
            else:
                reg.rollback()
                expected = reg.v1
            server.wait_version(expected)
        with answered:  # 50 more answers after the last swap (no sleep: a count)
            target = len(results) + 50
            assert answered.wait_for(lambda: len(results) >= target, 120), len(results)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert reg.prod() == reg.v1

    assert not errors, errors[:5]
    failed = [r for r in results if r[0] != 200]
    assert not failed, failed[:5]
    assert len(results) > 100
    assert all(r[1] == r[2] for r in results), "body and header name different versions"
    seen = {r[1] for r in results}
    assert seen == {reg.v1, reg.v2}
    # the named version really produced the answer: its probability is that model's
    expected_p = {
        version: load_bundle(server.cache_dir / "bundles" / reg.bundle_md5(commit))
        .predict_bytes([image])[0]
        .probability
        for version, commit in ((reg.v1, reg.c1), (reg.v2, reg.c2))
    }
    assert expected_p[reg.v1] != expected_p[reg.v2]
    assert all(abs(r[3] - expected_p[r[1]]) < 1e-12 for r in results)  # type: ignore[operator,index]
    swaps = sum(line.count("now serving") for line in server.log().splitlines())
    assert swaps == 11  # the first load and ten swaps


def test_going_back_to_a_cached_version_needs_no_dvc_remote(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod")
    reg.promote(reg.v2)
    server.wait_version(reg.v2)
    assert server.model()["last_check"]["checks"]["fetched_from_network"] is not None

    away = tmp_path / "storage-away"
    shutil.move(reg.storage, away)
    try:
        reg.rollback()
        server.wait_version(reg.v1)
        info = server.model()
        assert info["version"] == reg.v1 and info["last_check"]["ok"] is True
        assert info["last_check"]["checks"]["fetched_from_network"] is False
        assert server.predict(tiny_png()).json()["version"] == reg.v1
    finally:
        shutil.move(away, reg.storage)


def test_two_workers_both_follow_the_stage(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod", "--workers", "2")

    def workers_serving(version: str) -> set[str]:
        pattern = rf"catdetector\.serve\[(\d+)\]: now serving {re.escape(version)} "
        return set(re.findall(pattern, server.log()))

    deadline = time.monotonic() + 30
    while len(workers_serving(reg.v1)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers_serving(reg.v1)) == 2, server.log()

    server.wait_log(f"prefetched {reg.v2}")
    reg.promote(reg.v2)
    deadline = time.monotonic() + 30
    while len(workers_serving(reg.v2)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers_serving(reg.v2) == workers_serving(reg.v1), server.log()
    # fresh connections land on either worker: every one answers with v2 now
    for _ in range(20):
        with client(server.url) as http:
            resp = http.post(
                "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
            )
            assert resp.status_code == 200 and resp.json()["version"] == reg.v2
    metrics = server.http.get("/metrics").text  # summed over both processes
    assert re.search(
        rf'catdetector_requests_total\{{model_version="{re.escape(reg.v2)}",'
        r'route="/v1/predict",status="200"\} (2\d|[3-9]\d|\d{3,})',
        metrics,
    ), metrics


def test_not_ready_until_the_stage_holds_a_version(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "staging", ready=False)
    server.wait_ready(path="/healthz")
    ready = server.http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert "no version is in stage staging" in ready.json()["detail"]
    resp = server.predict(tiny_png())
    assert resp.status_code == 503 and "no model loaded yet" in resp.json()["detail"]
    assert server.model()["version"] is None

    reg.cli("promote", reg.v1, "--stage", "staging", "--push")
    server.wait_version(reg.v1)
    assert server.http.get("/readyz").json() == {"ready": True, "version": reg.v1}
