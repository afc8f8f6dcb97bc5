"""Real servers logging into one real PostgreSQL: replicas share it, an outage loses nothing."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import httpx

from catdetector.monitor import store
from tests.monitor.pg import Postgres
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, tiny_png


def send(server: Server, n: int) -> list[str]:
    """``n`` predictions; their request ids."""
    return [server.predict(tiny_png()).headers["x-request-id"] for _ in range(n)]


def test_two_replicas_share_one_postgres(serve: Callable[..., Server], postgres: Postgres) -> None:
    one = serve("--log-db", postgres.url)
    two = serve("--log-db", postgres.url)
    sent = send(one, 150) + send(two, 100)
    stop_with_sigterm(one)
    stop_with_sigterm(two)
    log = store.open(postgres.url)
    assert log.request_ids() == set(sent)
    assert log.count_predictions() == 250
    log.close()


class Load:
    """A client thread predicting until stopped; every answer is kept."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.ids: list[str] = []
        self.statuses: list[int] = []
        self.slowest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30, trust_env=False) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                resp = http.post(
                    "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                )
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.statuses.append(resp.status_code)
                self.ids.append(resp.headers["x-request-id"])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def dropped(server: Server) -> float:
    """catdetector_predlog_dropped_total summed over reasons, from /metrics."""
    text = server.http.get("/metrics").text
    return sum(
        float(m.group(1))
        for m in re.finditer(r"^catdetector_predlog_dropped_total\{[^}]*\} (\S+)$", text, re.M)
    )


def outage(server: Server, postgres: Postgres) -> Load:
    """Load, PostgreSQL stopped for 3 s under it, back, a little more load."""
    load = Load(server)
    time.sleep(1.0)
    postgres.stop()
    down_at = len(load.ids)
    time.sleep(3.0)
    during = len(load.ids) - down_at
    text = server.http.get("/metrics").text
    queued = re.search(r"^catdetector_predlog_queued (\S+)$", text, re.M)
    assert queued and float(queued.group(1)) > 0, "records waiting must show in the gauge"
    postgres.start()
    time.sleep(2.0)
    load.stop()
    assert during > 50, "the server must keep answering while the database is down"
    assert set(load.statuses) == {200}
    assert load.slowest < 2.0
    return load


def test_postgres_outage_under_load_loses_nothing_within_the_bound(
    serve: Callable[..., Server], postgres: Postgres
) -> None:
    server = serve("--log-db", postgres.url)
    load = outage(server, postgres)
    server.wait_log("the database is back", timeout=30)
    assert dropped(server) == 0
    stop_with_sigterm(server)
    assert "cannot write" in server.log()  # the outage was noticed and logged
    log = store.open(postgres.url)
    assert log.request_ids() == set(load.ids)
    log.close()


def test_postgres_outage_beyond_the_bound_is_counted(
    serve: Callable[..., Server], postgres: Postgres
) -> None:
    server = serve("--log-db", postgres.url, CATDETECTOR_LOG_QUEUE="40")
    load = outage(server, postgres)
    server.wait_log("the database is back", timeout=30)
    lost = dropped(server)
    assert lost > 0 and "dropped" in server.log() and "db_unavailable" in server.log()
    stop_with_sigterm(server)
    log = store.open(postgres.url)
    stored = log.request_ids()
    log.close()
    assert stored <= set(load.ids)
    assert len(stored) + lost == len(load.ids)  # every record is stored or counted
