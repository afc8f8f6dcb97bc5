"""Alice's server: a real `catdetector serve` process, and the client that asks it."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AliceServer:
    """One `catdetector serve` process on a loopback port, its log in a file."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.pid = 0

    def start(self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> bool:
        """Start the server; True once it answers /readyz (False if it died or timed out)."""
        with self.log.open("wb") as log_file:
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.pid = self.process.pid
        return self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    @property
    def same_process(self) -> bool:
        """The process started first is still the one running (no restart)."""
        return (
            self.process is not None
            and self.process.poll() is None
            and (self.process.pid == self.pid)
        )

    def log_tail(self, chars: int = 300) -> str:
        """The end of the server's log."""
        return self.log.read_text()[-chars:]

    def predict(self, image: Path) -> tuple[int, dict[str, Any], str]:
        """POST an image: (status, JSON body, X-Model-Version header)."""
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            resp = client.post(
                "/v1/predict", content=image.read_bytes(), headers={"content-type": "image/png"}
            )
        body = (
            resp.json()
            if resp.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        return resp.status_code, body, resp.headers.get("x-model-version", "")

    def wait_for_version(self, version: str, timeout: float, image: Path) -> tuple[float, int, int]:
        """Predict without pause until the answer is by ``version``: (seconds, ok, failed)."""
        start = time.perf_counter()
        ok = failed = 0
        while time.perf_counter() - start < timeout:
            try:
                status, body, header = self.predict(image)
            except httpx.HTTPError:
                failed += 1
                continue
            if status != 200 or body.get("version") != header:
                failed += 1
                continue
            ok += 1
            if body["version"] == version:
                return time.perf_counter() - start, ok, failed
        return float("inf"), ok, failed

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
