"""The dashboard at `/` and GET /v1/monitor/summary, on a real server; the page in Chromium.

Chromium (Debian's package) is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: NUL-separated JSON on file descriptors 3 and 4), so
no browser-automation package is needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.monitor.shifted import fresh_sample
from tests.serve.serving import Server, serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)


def chromium() -> str | None:
    """The Chromium executable, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(self, exe: str, profile: Path, log: Path) -> None:
        cmd_read, self._cmd = os.pipe()  # we write commands; Chromium reads them on fd 3
        self._res, res_write = os.pipe()  # Chromium answers on fd 4
        script = f'exec "$0" "$@" 3<&{cmd_read} 4>&{res_write} {cmd_read}<&- {res_write}>&-'
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            ["bash", "-c", script, exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"],
            pass_fds=(cmd_read, res_write),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        os.close(cmd_read)
        os.close(res_write)
        self._next = 0
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._res, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    self._answers.put(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """One command; its result (AssertionError on a protocol error or a timeout)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._cmd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            answer = self._answers.get(timeout=max(0.1, deadline - time.monotonic()))
            if answer["id"] == self._next:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return dict(answer.get("result", {}))

    def close(self) -> None:
        """Close the browser (kill it if it lingers)."""
        with contextlib.suppress(AssertionError, OSError, queue.Empty):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)
        os.close(self._cmd)
        self._log.close()


class Page:
    """One tab of :class:`Browser`."""

    def __init__(self, browser: Browser, width: int = 1280, height: int = 1400) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command in this tab's session."""
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def text(self, element_id: str) -> str | None:
        """The text of the element with that id (None when there is none)."""
        return self.evaluate(f"document.getElementById({json.dumps(element_id)})?.textContent")

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
        """Poll ``check`` until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.1)
        html = self.evaluate("document.body.innerText")
        raise AssertionError(f"timed out waiting for {what}; the page says:\n{html}")

    def set_file(self, selector: str, path: Path) -> None:
        """Choose ``path`` in a file input, as a user would."""
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        self.send("DOM.setFileInputFiles", {"files": [str(path)], "nodeId": node})

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page."""
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(data["data"]))


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


def test_dashboard_in_headless_chromium(
    logged_server: Server, inputs: list[Path], tmp_path: Path
) -> None:
    exe = chromium()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
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
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "dashboard.png")
