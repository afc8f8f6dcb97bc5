"""Real servers logging into one real PostgreSQL: replicas share it, an outage loses nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import httpx
import pytest

from catdetector.monitor import store
from tests.monitor.pg import Postgres
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, tiny_png

# a private PostgreSQL cluster and servers under load: 7-13 s of CPU each
pytestmark = pytest.mark.slow


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
        self.error: BaseException | None = None
        self._answered = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with httpx.Client(base_url=self.server.url, timeout=30, trust_env=False) as http:
                while not self._stop.is_set():
                    resp = http.post(
                        "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                    )
                    with self._answered:
                        self.statuses.append(resp.status_code)
                        self.ids.append(resp.headers["x-request-id"])
                        self._answered.notify_all()
        except BaseException as exc:  # a request that fails or hangs ends the load: reported
            self.error = exc
            with self._answered:
                self._answered.notify_all()

    def wait_answers(self, n: int, timeout: float = 120) -> None:
        """Block until ``n`` answers in all (fail if the load stopped or stalled)."""
        with self._answered:
            done = self._answered.wait_for(
                lambda: len(self.ids) >= n or self.error is not None, timeout
            )
        assert self.error is None, f"the load stopped: {self.error!r}"
        assert done, f"{len(self.ids)} answers, {n} awaited"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        assert self.error is None, f"the load stopped: {self.error!r}"


def dropped(server: Server) -> float:
    """catdetector_predlog_dropped_total summed over reasons, from /metrics."""
    text = server.http.get("/metrics").text
    return sum(
        float(m.group(1))
        for m in re.finditer(r"^catdetector_predlog_dropped_total\{[^}]*\} (\S+)$", text, re.M)
    )


def outage(server: Server, postgres: Postgres) -> Load:
    """Load; PostgreSQL stopped under it until the server noticed and answered 100 more
    requests; back; a little more load. Synchronised on answers and log lines, not time."""
    load = Load(server)
    load.wait_answers(20)
    postgres.stop()
    server.wait_log("prediction log: cannot write", timeout=60)  # the outage is seen
    # the server keeps answering while the database is down (more than the queue bound of 40)
    load.wait_answers(len(load.ids) + 100)
    text = server.http.get("/metrics").text
    queued = re.search(r"^catdetector_predlog_queued (\S+)$", text, re.M)
    assert queued and float(queued.group(1)) > 0, "records waiting must show in the gauge"
    postgres.start()
    server.wait_log("the database is back", timeout=60)
    load.wait_answers(len(load.ids) + 20)
    load.stop()
    assert set(load.statuses) == {200}
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
