"""Headless Chromium for the page tests, driven over the DevTools protocol on a pipe.

Chromium (Debian's package) is driven over ``--remote-debugging-pipe`` (NUL-separated
JSON on file descriptors 3 and 4), so no browser-automation package is needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import system_program

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
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


def chromium() -> str:
    """The Chromium executable; skip without it (fail in CI: tests/support.py)."""
    return system_program("chromium", "chromium", "chromium-browser")


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(
        self, exe: str, profile: Path, log: Path, extra_flags: tuple[str, ...] = ()
    ) -> None:
        cmd_read, self._cmd = os.pipe()  # we write commands; Chromium reads them on fd 3
        self._res, res_write = os.pipe()  # Chromium answers on fd 4
        script = f'exec "$0" "$@" 3<&{cmd_read} 4>&{res_write} {cmd_read}<&- {res_write}>&-'
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                *("bash", "-c", script, exe),
                *CHROMIUM_FLAGS,
                *extra_flags,
                f"--user-data-dir={profile}",
            ],
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

    def body_text(self) -> str:
        """The page's visible text ('' while a navigation has no body yet)."""
        return str(self.evaluate("document.body?.innerText ?? ''"))

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
        html = self.body_text()
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


def keep_screenshot(shot: Path, name: str) -> None:
    """Check ``shot`` is a real PNG and keep a copy in the git-ignored test-artifacts/."""
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / name)
