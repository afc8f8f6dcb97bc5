"""The dashboard at `/` and GET /v1/monitor/summary, on a real server; the page in Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Browser, Page, chromium, keep_screenshot
from tests.monitor.shifted import fresh_sample
from tests.serve.serving import Server, serving


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A few synthetic images on disk."""
    folder = tmp_path_factory.mktemp("inputs")
    paths = []
    for i, data in enumerate(fresh_sample(folder / "gen", 12, seed=99)):
        path = folder / f"input-{i}.png"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _summary_when(server: Server, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        resp = server.http.get("/v1/monitor/summary")
        assert resp.status_code == 200, resp.text
        data = dict(resp.json())
        if ready(data):
            return data
        if time.monotonic() > deadline:
            raise AssertionError(f"summary never ready: {data}")
        time.sleep(0.1)


def test_summary_reports_the_model_and_live_traffic(
    logged_server: Server, inputs: list[Path]
) -> None:
    server = logged_server
    for path in inputs:
        assert server.predict(path.read_bytes()).status_code == 200
    assert server.predict(b"not an image", "image/png").status_code == 415
    total = len(inputs) + 1
    data = _summary_when(
        server, lambda d: (d["live"] or {}).get("requests") == total == d["live"]["total_requests"]
    )
    model, live = data["model"], data["live"]
    assert model["version"].startswith("unregistered-") and model["atc"]["threshold"] > 0
    assert model["metrics"]["test"]["accuracy"] > 0 and model["loaded_at"]
    assert live["version"] == model["version"] and live["requests"] == total
    assert live["errors"] == 1 and live["error_rate"] == pytest.approx(1 / total)
    assert sum(m["requests"] for m in live["per_minute"]) == total
    assert len(live["recent_latency_ms"]) == total and live["latency_ms"]["p50"] > 0
    assert sum(live["confidence"]["counts"]) == len(inputs)
    names = {d["name"] for d in live["drift"]}
    assert {"brightness", "width"} <= names and live["prediction_drift"]["n"] == len(inputs)
    # too few predictions for a verdict: no alarm, and the page is told why
    assert live["alarm"] is False and all(d["drifted"] is None for d in live["drift"])
    assert any("min_samples" in n for n in live["notes"])
    assert data["log"] == {"enabled": True, "error": None}


def test_the_page_and_its_assets_come_from_the_app(logged_server: Server) -> None:
    http = logged_server.http
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(refs) == ["/static/dashboard.css", "/static/dashboard.js"]
    for ref in refs:
        asset = http.get(ref)
        assert asset.status_code == 200 and asset.content
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", asset.text), ref
    missing = http.get("/static/../app.py")
    assert missing.status_code == 404
    assert http.get("/static/nothing.js").status_code == 404
    assert http.get("/static/nothing.js").json() == {"detail": "not found"}


def test_summary_without_the_log(trained_project: Path, tmp_path: Path) -> None:
    bundle = trained_project / "models/catdetector"
    with serving(["--bundle", str(bundle), "--no-log"], tmp_path) as server:
        data = server.http.get("/v1/monitor/summary").json()
    assert data["model"]["version"].startswith("unregistered-")
    assert data["live"] is None and data["log"] == {"enabled": False, "error": None}


@pytest.mark.slow
def test_dashboard_in_headless_chromium(
    logged_server: Server, inputs: list[Path], tmp_path: Path
) -> None:
    exe = chromium()
    server = logged_server
    version = server.model()["version"]
    browser = Browser(exe, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        page = Page(browser)
        page.send("Page.navigate", {"url": server.url + "/"})
        page.wait("the model version", lambda: page.text("model-version") == version)
        assert page.text("model-accuracy") not in (None, "–")
        page.set_file("#upload-file", inputs[0])
        page.evaluate("document.getElementById('upload-form').requestSubmit()")
        label = page.wait("the prediction", lambda: page.text("prediction-label"))
        expected = server.predict(inputs[0].read_bytes()).json()
        assert label == expected["label"]
        assert version in (page.text("prediction") or "")
        assert "request id" in (page.text("prediction") or "")
        # the upload was logged, and the page's counters show it
        page.wait("the request count", lambda: page.text("requests") not in (None, "–", "0"))
        page.wait("the charts", lambda: page.evaluate("document.querySelectorAll('svg').length"))
        shot = tmp_path / "dashboard.png"
        page.screenshot(shot)
    finally:
        browser.close()
    keep_screenshot(shot, "dashboard.png")
