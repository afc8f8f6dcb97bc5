"""The dashboard shows a followed candidate beside the primary; the page in headless Chromium.

The real summary route and page, on a real uvicorn, with real model holders (the
trained bundle loaded twice: prod v1, shadow v2) over a log written row by row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
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
from tests.browser import Browser, Page, chromium, keep_screenshot
from tests.monitor.records import record
from tests.support import free_port

N = 30


def _holder(bundle: Path, version: str, stage: str) -> ModelHolder:
    holder = ModelHolder()
    served = Served(load_bundle(bundle), version, stage, None, time.time() - 60)
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
    settings = build_serve_settings(log_db=str(db))
    app = FastAPI()
    router, summary = create_router(
        settings, _holder(bundle, "v1", "prod"), {"shadow": _holder(bundle, "v2", "shadow")}
    )
    app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:  # uvicorn's own flag: set once it listens
            assert thread.is_alive(), "uvicorn stopped"
            time.sleep(0.05)
        yield {"url": f"http://127.0.0.1:{port}"}
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
