"""`--workers N` under gunicorn: one socket per worker, restarts, SIGHUP, SIGTERM under load."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from catdetector.core.config import build_serve_settings
from catdetector.core.errors import UsageError
from tests.serve.serving import MODEL_DIR, Server, client, tiny_png
from tests.support import cli, free_port


def test_accepted_connections_get_tcp_nodelay() -> None:
    """gunicorn's listening socket, as configured here, hands TCP_NODELAY to each connection.

    Without it Nagle's algorithm meets the client's delayed ACK: ~40 ms per keep-alive
    request (bench/README.md).
    """
    from gunicorn import sock as gsock

    from catdetector.serve.workers import Application

    port = free_port()
    app = Application(build_serve_settings(port=port), 2, "warning")
    [listener] = gsock.create_sockets(app.cfg, logging.getLogger("test"))
    try:
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()


def test_workers_need_a_fixed_port(tmp_path: Path) -> None:
    proc = cli(
        "serve", "--bundle", str(tmp_path), "--port", "0", "--workers", "2",
        cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == UsageError.exit_code
    assert "give a fixed --port" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unknown_process_manager_is_one_line(tmp_path: Path) -> None:
    proc = cli(
        "serve", "--bundle", str(tmp_path), "--process-manager", "supervisord",
        cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == UsageError.exit_code
    assert "--process-manager is auto or gunicorn, not 'supervisord'" in proc.stderr
    assert "Traceback" not in proc.stderr


def _listeners(port: int) -> int:
    """Listening TCP sockets on ``port`` (IPv4), from /proc/net/tcp."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            count += 1
    return count


def _worker_pids(server: Server) -> set[int]:
    """The master's children: the workers now running."""
    path = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    return {int(p) for p in path.read_text().split()}


def _wait(what: str, until: Callable[[], bool], server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout}s:\n{server.log()}")
        time.sleep(0.05)


class Load:
    """Clients sending predictions on fresh connections until stopped; the ids answered."""

    def __init__(self, url: str, threads: int = 3) -> None:
        self.url = url
        self.answered: list[str] = []
        self.failed = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._send) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _send(self) -> None:
        while not self.stop.is_set():
            try:
                with httpx.Client(base_url=self.url, timeout=30, trust_env=False) as http:
                    resp = http.post(
                        "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                    )
            except httpx.TransportError:  # the server is going away
                self.failed += 1
                continue
            if resp.status_code == 200:
                self.answered.append(resp.headers["x-request-id"])
            else:
                self.failed += 1

    def wait_for(self, count: int) -> None:
        """Block until ``count`` more answers (the load is reaching the workers)."""
        target = len(self.answered) + count
        deadline = time.monotonic() + 60
        while len(self.answered) < target:
            assert time.monotonic() < deadline, "the load got no answers"
            time.sleep(0.02)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def two_workers(trained_project: Path, tmp_path: Path) -> Iterator[Server]:
    server = Server(
        ["--bundle", str(trained_project / MODEL_DIR), "--workers", "2",
         "--log-db", str(tmp_path / "log.sqlite")],
        tmp_path,
    )  # fmt: skip
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.mark.slow  # two, then four worker processes under load (about 30 s of CPU)
def test_restart_reload_and_sigterm_under_load_lose_no_record(
    two_workers: Server, tmp_path: Path
) -> None:
    server = two_workers
    assert "(2 worker(s), gunicorn)" in server.log()  # the startup line
    _wait("two workers, each with its own socket", lambda: _listeners(server.port) == 2, server)
    first = _worker_pids(server)
    assert len(first) == 2
    # a worker that dies is replaced (killed while idle: SIGKILL loses its queued records)
    os.kill(min(first), signal.SIGKILL)
    _wait("a new worker", lambda: len(_worker_pids(server) - first) == 1, server)
    _wait("its socket", lambda: _listeners(server.port) == 2, server)
    load = Load(server.url)
    try:
        load.wait_for(20)
        # SIGHUP: new workers first, then the old ones drain (their records written)
        before = _worker_pids(server)
        server.proc.send_signal(signal.SIGHUP)
        _wait("all workers replaced", lambda: not (_worker_pids(server) & before), server)
        _wait("the new workers listening", lambda: _listeners(server.port) == 2, server)
        load.wait_for(20)
        metrics = client(server.url).get("/metrics").text
        # the killed and the replaced workers' live gauges are gone: one model, value 1
        info = re.findall(r"^catdetector_model_info\{.*\} (\S+)$", metrics, re.M)
        assert info == ["1.0"], metrics
        # SIGTERM to the master alone (what a platform sends), while requests are in flight
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0, server.log()
    finally:
        load.join()
    log = server.log()
    assert "dropped" not in log
    assert log.count("Application shutdown complete") >= 4, log  # 2 replaced + 2 at the end
    con = sqlite3.connect(tmp_path / "log.sqlite")
    stored = [r[0] for r in con.execute("SELECT request_id FROM predictions")]
    con.close()
    assert len(load.answered) >= 40, (load.failed, log)
    assert set(load.answered) <= set(stored) and len(stored) == len(set(stored))


@pytest.mark.slow  # two worker processes (10 s of CPU)
def test_metrics_sum_the_workers_without_a_cache_dir(trained_project: Path, tmp_path: Path) -> None:
    """Multiprocess metrics are on before prometheus_client is first imported.

    Without ``--cache-dir`` the server looks up its default cache folder, which imported
    the app (and prometheus_client) before its multiprocess folder was set: ``/metrics``
    then showed no request at all.
    """
    server = Server(
        ["--bundle", str(trained_project / MODEL_DIR), "--workers", "2", "--no-log"],
        tmp_path,
        cache_dir=False,
    )
    try:
        server.wait_ready()
        for _ in range(20):  # fresh connections: the kernel spreads them over both workers
            with client(server.url) as http:
                resp = http.post(
                    "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                )
                assert resp.status_code == 200
        metrics = server.http.get("/metrics").text
    finally:
        server.stop()
    counts = re.findall(
        r'^catdetector_requests_total\{[^}]*route="/v1/predict",status="200"\} (\S+)$',
        metrics,
        re.M,
    )
    assert sum(float(c) for c in counts) == 20, metrics
