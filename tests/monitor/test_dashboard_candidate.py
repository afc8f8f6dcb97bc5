"""The dashboard shows a followed candidate beside the primary; the page in headless Chromium.

The real summary route and page, on a real uvicorn, with real model holders (the
trained bundle loaded twice: prod v1, shadow v2) over a log written row by row; and
a real `catdetector serve` following a registry's prod and shadow, whose page shows
the decision a real `monitor watch --abort-on-fail` took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from catdetector.core.config import build_serve_settings
from catdetector.model.bundle import load_bundle
from catdetector.monitor import store as store_mod
from catdetector.monitor.store import utcnow
from catdetector.serve.dashboard import create_router
from catdetector.serve.holder import CheckRecord, ModelHolder, Served
from catdetector.training.synthetic import write_sample
from tests.browser import Browser, Page, chromium, keep_screenshot
from tests.monitor.records import record
from tests.monitor.watching import watch_once
from tests.serve.serving import Registry, Server
from tests.serve.test_canary import assign, wait_role
from tests.support import free_port

N = 30


def _holder(bundle: Path, version: str, stage: str, share: int | None = None) -> ModelHolder:
    holder = ModelHolder()
    served = Served(load_bundle(bundle), version, stage, None, time.time() - 60, share)
    holder.swap(served, CheckRecord(version, None, True, None, time.time()))
    return holder


@pytest.fixture
def dashboard(bundle: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The dashboard routes on uvicorn: prod v1, shadow v2 agreeing on 27 of 30 requests."""
    db = tmp_path / "log.sqlite"
    store = store_mod.open(db)
    rows = []
    for i in range(N):
        label = ("cat", "other")[i % 2]
        p = record(model_version="v1", label=label, latency_ms=2.0, created_at=utcnow())
        theirs = label if i % 10 else ("other" if label == "cat" else "cat")
        s = record(model_version="v2", label=theirs, latency_ms=5.0, input_sha256=p["input_sha256"])
        rows += [p, store_mod.with_role(s, "shadow", p["request_id"])]
    store.insert_predictions(rows)
    store.close()
    roles = {"shadow": _holder(bundle, "v2", "shadow")}
    with _served(db, _holder(bundle, "v1", "prod"), roles) as url:
        yield {"url": url}


@contextmanager
def _served(db: Path, primary: ModelHolder, roles: dict[str, ModelHolder]) -> Iterator[str]:
    """The dashboard routes over the log ``db`` on a real uvicorn; its URL."""
    app = FastAPI()
    router, summary = create_router(build_serve_settings(log_db=str(db)), primary, roles)
    app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:  # uvicorn's own flag: set once it listens
            assert thread.is_alive(), "uvicorn stopped"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        summary.close()


def test_the_summary_sets_the_shadow_beside_the_primary(dashboard: dict[str, Any]) -> None:
    data = httpx.get(dashboard["url"] + "/v1/monitor/summary", timeout=30).json()
    [c] = data["candidates"]
    assert (c["role"], c["version"], c["paired"]) == ("shadow", "v2", True)
    assert c["agreement"]["k"] == 27 and c["agreement"]["n"] == N
    assert c["primary"]["version"] == "v1" and c["candidate"]["requests"] == N
    assert c["primary"]["latency_ms"]["p50"] == 2.0 and c["candidate"]["latency_ms"]["p50"] == 5.0
    # 30 requests, fewer than monitor watch's default 100: no decision yet
    assert c["decision"]["outcome"] == "wait" and "30 of 100 requests" in c["decision"]["reasons"]


@pytest.mark.slow  # a browser
def test_the_page_shows_the_candidate_in_chromium(
    dashboard: dict[str, Any], tmp_path: Path
) -> None:
    browser = Browser(chromium(), tmp_path / "profile", tmp_path / "chromium.log")
    try:
        page = Page(browser)
        page.send("Page.navigate", {"url": dashboard["url"] + "/"})
        page.wait(
            "the candidate card",
            lambda: page.evaluate("document.getElementById('candidate-card')?.hidden === false"),
        )
        table = page.evaluate(
            "[...document.querySelectorAll('#candidate-table tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        rows = {r[0]: r[1:] for r in table}
        assert rows["version"] == ["v1", "v2"] and rows["role"] == ["primary", "shadow"]
        assert rows["agreement with the primary"][1].startswith("0.900 [")
        assert rows["latency (ms)"] == ["p50 2 p99 2", "p50 5 p99 5"]
        assert rows["decision"][1] == "wait"
        assert "wait" in (page.text("candidate-status") or "")
        shot = tmp_path / "dashboard-candidate.png"
        page.screenshot(shot)
    finally:
        browser.close()
    keep_screenshot(shot, "dashboard-candidate.png")


@pytest.mark.slow  # a browser
def test_a_canary_card_shows_its_agreement_ceiling_in_chromium(
    bundle: Path, tmp_path: Path
) -> None:
    # The canary says "cat" to all of its 100 requests, the primary to half of its 200:
    # no pair, but they cannot agree on more than half of one input stream.
    db = tmp_path / "log.sqlite"
    store = store_mod.open(db)
    rows = []
    for i in range(300):
        if i % 3 == 2:
            rows.append(store_mod.with_role(record(model_version="v3", label="cat"), "canary"))
        else:
            rows.append(record(model_version="v1", label=("cat", "other")[i % 2]))
    store.insert_predictions(rows)
    store.close()
    roles = {"canary": _holder(bundle, "v3", "canary", share=33)}
    with _served(db, _holder(bundle, "v1", "prod"), roles) as url:
        [c] = httpx.get(url + "/v1/monitor/summary", timeout=30).json()["candidates"]
        assert (c["role"], c["share"], c["paired"], c["agreement"]) == ("canary", 33, False, None)
        assert c["agreement_ceiling"]["rate"] == 0.5
        assert c["decision"]["outcome"] == "fail", c["decision"]
        assert c["decision"]["reasons"][0].startswith("agreement at most 0.500")
        browser = Browser(chromium(), tmp_path / "profile", tmp_path / "chromium.log")
        try:
            page = Page(browser)
            page.send("Page.navigate", {"url": url + "/"})
            page.wait(
                "the candidate card",
                lambda: page.evaluate(
                    "document.getElementById('candidate-card')?.hidden === false"
                ),
            )
            table = page.evaluate(
                "[...document.querySelectorAll('#candidate-table tbody tr')]"
                ".map(r => [...r.cells].map(c => c.textContent))"
            )
        finally:
            browser.close()
    rows_shown = {r[0]: r[1:] for r in table}
    assert rows_shown["role"] == ["primary", "canary"] and rows_shown["share"][1] == "33 %"
    assert rows_shown["agreement with the primary"][1].startswith("at most 0.500 [")
    assert rows_shown["decision"][1] == "fail"


@pytest.mark.slow  # a registry, a real server, a watch that pushes, a browser
def test_a_real_server_shows_its_shadow_then_the_watch_decision_in_chromium(
    private_registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    reg = private_registry
    assign(reg, reg.v2, "shadow")  # trained on shuffled labels: it disagrees with v1
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--stage", "prod", "--log-db", str(db))
    wait_role(server, "shadow", reg.v2)
    inputs = [p.read_bytes() for p in sorted(write_sample(tmp_path / "inputs", N, seed=11))]
    for image in inputs:
        resp = server.predict(image)
        assert resp.status_code == 200 and resp.json()["version"] == reg.v1, resp.text
    # the app hands the shadow it follows to the dashboard: the summary shows it
    deadline = time.monotonic() + 60
    while True:
        summary = server.http.get("/v1/monitor/summary").json()
        found = summary["candidates"]
        if found and (found[0]["candidate"] or {}).get("requests", 0) >= N:
            break
        assert time.monotonic() < deadline, summary
        time.sleep(0.1)
    [c] = found
    assert (c["role"], c["version"], c["paired"], c["primary"]["version"]) == (
        "shadow",
        reg.v2,
        True,
        reg.v1,
    )
    assert summary["decisions"] == []
    browser = Browser(chromium(), tmp_path / "profile", tmp_path / "chromium.log")
    try:
        page = Page(browser)
        page.send("Page.navigate", {"url": server.url + "/"})
        page.wait(
            "the candidate card",
            lambda: page.evaluate("document.getElementById('candidate-card')?.hidden === false"),
        )
        assert page.evaluate("document.getElementById('decision-card').hidden") is True
        _, check, err = watch_once(
            reg, db, tmp_path, "--abort-on-fail", min_requests=N, min_samples=20
        )
        [decision] = check["decisions"]
        assert decision["action"] == "aborted", (decision, err)
        text = page.wait(
            "the decision on the page",
            lambda: page.evaluate(
                "document.getElementById('decision-card').hidden === false"
                " && document.getElementById('decisions').textContent"
            ),
            timeout=60,
        )
        assert text.startswith(f"shadow {reg.v2}: aborted at 20"), text
        assert " by " in text and "agreement 0." in text and "below 0.9" in text, text
        # the role is cleared: no candidate card, the decision stays
        page.wait(
            "the candidate card hidden",
            lambda: page.evaluate("document.getElementById('candidate-card').hidden"),
        )
        shot = tmp_path / "dashboard-decision.png"
        page.screenshot(shot)
    finally:
        browser.close()
    keep_screenshot(shot, "dashboard-decision.png")
    [shown] = server.http.get("/v1/monitor/summary").json()["decisions"]
    assert (shown["stage"], shown["version"], shown["action"], shown["role_now"]) == (
        "shadow",
        reg.v2,
        "aborted",
        None,
    )
    assert shown["tag"] == decision["tags"][0] and shown["reasons"] == decision["reasons"]
