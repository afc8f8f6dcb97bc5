"""What a user sees: ATC without an estimate, the window named, the HTML report and the
dashboard in headless Chromium (axis units, labels that do not overlap, the right banner).

Overlap is measured in the browser: the bounding boxes (getBoundingClientRect) of the
x labels of every chart.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.config import MonitorParams
from catdetector.model.bundle import LoadedModel, load_bundle
from catdetector.monitor import html, report
from catdetector.monitor import store as store_mod
from catdetector.monitor.store import utcnow
from tests.browser import Browser, Page, chromium, keep_screenshot
from tests.monitor.shifted import fresh_sample, model_meta, prediction_rows, served_values
from tests.serve.serving import Server
from tests.support import cli

# Every chart's x labels, pairwise: [chart, i, j] of the ones whose boxes intersect.
OVERLAPS = """
[...document.querySelectorAll('svg')].flatMap((svg, c) => {
  const boxes = [...svg.querySelectorAll('text.xtick')].map((t) => t.getBoundingClientRect());
  const out = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b, k) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      out.push([c, i, i + 1 + k]);
  }));
  return out;
})
"""
AXES = "[...document.querySelectorAll('svg')].map((s) => s.querySelectorAll('.axis-label').length)"
TICKS = "document.querySelectorAll('svg text.xtick').length"


@pytest.fixture(scope="module")
def model(trained_project: Path) -> LoadedModel:
    return load_bundle(trained_project / "models/catdetector")


@pytest.fixture(scope="module")
def values(model: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return served_values(model, fresh_sample(tmp_path_factory.mktemp("views"), 60, seed=4242))


def _report(model: LoadedModel, values: dict[str, Any], n: int, meta: dict[str, Any]) -> Any:
    rows = prediction_rows(model, "v0.1.0", {k: v[:n] for k, v in values.items()}, utcnow())
    rep = [
        report.Row(
            r["request_id"],
            r["created_at"],
            r["model_version"],
            r["model_md5"],
            r["status"],
            r["latency_ms"],
            r["stats"],
            r["label"],
            r["probability"],
            r["confidence"],
        )
        for r in rows
    ]
    info = report.ModelInfo(meta, ("0" * 32,), utcnow() - timedelta(hours=5))
    return report.version_report("v0.1.0", rep, info, {}, MonitorParams(min_samples=30))


def test_a_degenerate_atc_threshold_is_no_estimate(
    model: LoadedModel, values: dict[str, Any]
) -> None:
    meta = model_meta(model)
    meta["atc"] = {"threshold": 0.0, "test_accuracy": 1.0}
    atc = _report(model, values, 60, meta).atc
    assert atc["estimated_accuracy"] is None and atc["no_estimate"].startswith("no estimate")
    assert atc["enough"] is False  # and so no ATC alarm
    meta["atc"] = {"threshold": 0.7, "test_accuracy": 0.9}
    sane = _report(model, values, 60, meta).atc
    assert sane["no_estimate"] is None and 0 <= sane["estimated_accuracy"] <= 1


def _html(model: LoadedModel, values: dict[str, Any], n: int) -> str:
    version = _report(model, values, n, model_meta(model))
    built = report.Report("2026-12-07T04:00:00Z", None, MonitorParams().model_dump(), [version])
    return html.render(built.to_dict())


def test_the_html_report_says_what_it_knows(model: LoadedModel, values: dict[str, Any]) -> None:
    few = _html(model, values, 5)
    assert "no threshold crossed" not in few and "no verdict yet" in few
    enough = _html(model, values, 60)
    assert "no verdict yet" not in enough
    assert "window: all logged predictions" in enough
    assert "serving since" in enough and "(its first served prediction)" in enough
    assert 'data-series="reference (held-out)"' in enough  # the bars its legend names
    assert enough.count('class="axis-label"') >= 2 * enough.count("<svg")


def test_report_and_watch_name_their_window(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    store_mod.open(db).close()
    out = cli("monitor", "report", "--log-db", str(db), cwd=tmp_path).stdout
    assert "window: all logged predictions" in out
    out = cli("monitor", "report", "--log-db", str(db), "--since", "2h", cwd=tmp_path).stdout
    assert "window: predictions logged since 20" in out


def _chromium(tmp_path: Path) -> Browser:
    exe = chromium()  # skips without it (fails in CI: tests/support.py)
    return Browser(exe, tmp_path / "profile", tmp_path / "chromium.log")


def test_the_html_report_in_chromium(
    model: LoadedModel, values: dict[str, Any], tmp_path: Path
) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(_html(model, values, 60))
    browser = _chromium(tmp_path)
    try:
        page = Page(browser, width=1280, height=1600)
        page.send("Page.navigate", {"url": page_file.as_uri()})
        page.wait("the charts", lambda: page.evaluate(TICKS))
        assert page.evaluate(OVERLAPS) == []
        assert all(n == 2 for n in page.evaluate(AXES))  # x and y named on every chart
        banner = page.evaluate("document.getElementById('banner').className")
        assert banner in ("ok", "alarm")  # 60 predictions: a verdict
        shot = tmp_path / "report.png"
        page.screenshot(shot)
    finally:
        browser.close()
    keep_screenshot(shot, "report.png")


def test_the_dashboard_in_chromium(logged_server: Server, tmp_path: Path) -> None:
    server = logged_server
    for data in fresh_sample(tmp_path / "in", 6, seed=77):
        assert server.predict(data).status_code == 200
    browser = _chromium(tmp_path)
    try:
        page = Page(browser, width=1280, height=1400)
        page.send("Page.navigate", {"url": server.url + "/"})
        page.wait(
            "the drift table",
            lambda: page.evaluate("document.querySelectorAll('#drift-table tbody tr').length"),
        )
        page.wait("the charts", lambda: page.evaluate(TICKS))
        assert page.evaluate(OVERLAPS) == []
        assert page.evaluate(AXES) == [2, 2, 2]  # requests, latency, confidence: both axes
        units = page.evaluate(
            "[...document.querySelectorAll('.axis-label')].map((t) => t.textContent)"
        )
        assert "latency (ms)" in units and "requests / min" in units
        assert page.text("status") == "no verdict yet"  # 6 predictions, not a green ok
        tops = page.evaluate(
            "['confidence-chart', 'accuracy-card'].map((id) => "
            "document.getElementById(id).closest('section').getBoundingClientRect().top)"
        )
        assert tops[0] == tops[1]  # the confidence card is not alone on its row
        assert page.text("feedback-n") == "no feedback labels yet"
        means = page.evaluate(
            "[...document.querySelectorAll('#drift-table tbody tr')]"
            ".map((r) => [r.cells[2].textContent, r.cells[3].textContent])"
        )
        assert means and all(
            len(m.split(".")[-1]) == 3 for pair in means for m in pair if m != "–"
        ), means
        shot = tmp_path / "dashboard.png"
        page.screenshot(shot)
    finally:
        browser.close()
    keep_screenshot(shot, "dashboard-views.png")
    assert json.loads(server.http.get("/v1/monitor/summary").text)["live"]["verdict"] is False
