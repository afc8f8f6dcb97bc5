"""Records lost when the server is stopped under load: none on SIGTERM; on SIGKILL, at most
what was still queued (the figure goes to test-artifacts/kill.json for docs/reliability)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from catdetector.monitor import store
from tests.browser import ARTIFACTS
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, tiny_png


class _Load:
    """A client predicting in a loop; ``reached`` is set once ``n`` answers are in."""

    def __init__(self, server: Server, n: int) -> None:
        self.ids: list[str] = []
        self.statuses: list[int] = []
        self.reached = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(server, n), daemon=True)
        self._thread.start()

    def _run(self, server: Server, n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
            while not self._stop.is_set():
                try:
                    resp = http.post(
                        "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                    )
                except httpx.TransportError:  # the server is gone
                    return
                self.statuses.append(resp.status_code)
                self.ids.append(resp.headers["x-request-id"])
                if len(self.ids) >= n:
                    self.reached.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


@pytest.mark.slow
def test_sigterm_and_sigkill_under_load(serve: Callable[..., Server], tmp_path: Path) -> None:
    figures = {}
    for how in ("sigterm", "sigkill"):
        db = tmp_path / f"{how}.sqlite"
        server = serve("--log-db", str(db))
        load = _Load(server, 300)
        assert load.reached.wait(120)
        if how == "sigterm":
            stop_with_sigterm(server)
        else:
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=60)
        load.stop()
        answered = {
            rid for rid, status in zip(load.ids, load.statuses, strict=True) if status == 200
        }
        log = store.open(db)
        stored = log.request_ids()
        log.close()
        assert stored <= set(load.ids)
        figures[how] = {"answered_200": len(answered), "lost": len(answered - stored)}
        if how == "sigterm":
            assert answered <= stored  # a clean stop writes every queued record
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "kill.json").write_text(json.dumps(figures, indent=2))
