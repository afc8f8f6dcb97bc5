"""Two feedback labels for one request at the same moment: one 201, one 409, one row.

The rule is a unique index of the schema (migration 0002), not a check followed by
an insert: the race is run over HTTP against real servers, on SQLite and PostgreSQL,
and once more straight on the store from two connections.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from catdetector.core.errors import FeedbackError
from catdetector.monitor import feedback, store
from tests.monitor.pg import Postgres
from tests.monitor.records import record
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, png

ROUNDS = 20


def _race(server: Server, rid: str) -> list[int]:
    """Two POSTs for ``rid`` released together (each on its own connection)."""
    gate = threading.Barrier(2)

    def post(label: str) -> int:
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
            http.get("/healthz")  # connected before the gate opens
            gate.wait()
            body = {"request_id": rid, "label": label, "source": "human"}
            resp = http.post("/v1/feedback", json=body)
            assert resp.status_code in (201, 409), resp.text
            if resp.status_code == 409:
                assert "one label per request" in resp.json()["detail"]
            return resp.status_code

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return sorted(pool.map(post, ["cat", "other"]))


def _feedback_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(store.database_url(url))
    with engine.connect() as conn:
        query = sa.text("SELECT request_id, count(*) FROM feedback GROUP BY request_id")
        rows = {rid: int(n) for rid, n in conn.execute(query)}
    engine.dispose()
    return rows


def _race_over_http(server: Server, url: str) -> None:
    ids = [server.predict(png(seed=500 + i)).json()["request_id"] for i in range(ROUNDS)]
    for rid in ids:  # every record written before the race (a lookup must not be the wait)
        assert server.http.post(
            "/v1/feedback", json={"request_id": rid, "label": "nope", "source": "human"}
        ).status_code == 422
    outcomes = [_race(server, rid) for rid in ids]
    stop_with_sigterm(server)
    assert outcomes == [[201, 409]] * ROUNDS
    assert _feedback_rows(url) == {rid: 1 for rid in ids}


@pytest.mark.slow
def test_racing_feedback_on_sqlite(serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    _race_over_http(serve("--log-db", str(db)), store.database_url(db))


@pytest.mark.slow
def test_racing_feedback_on_postgres(serve: Callable[..., Server], postgres: Postgres) -> None:
    _race_over_http(serve("--log-db", postgres.url), postgres.url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_racing_the_store_from_two_connections(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        str(tmp_path / "log.sqlite")
        if backend == "sqlite"
        else request.getfixturevalue("postgres").url
    )
    first, second = store.open(url), store.open(url)
    rows = [record() for _ in range(ROUNDS)]
    first.insert_predictions(rows)
    outcomes = []
    for row in rows:
        pred = first.prediction(row["request_id"])
        assert pred is not None
        gate = threading.Barrier(2)

        def label(
            target: store.Store,
            name: str,
            pred: store.Prediction = pred,
            gate: threading.Barrier = gate,
        ) -> int:
            gate.wait()
            try:
                feedback.add(target, pred, name, "human", ["cat", "other"])
                return 201
            except FeedbackError as exc:
                assert exc.status == 409 and "one label per request" in str(exc)
                return 409

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            outcomes.append(sorted(pool.map(label, [first, second], ["cat", "other"])))
    assert outcomes == [[201, 409]] * ROUNDS
    assert _feedback_rows(store.database_url(url)) == {r["request_id"]: 1 for r in rows}
    first.close()
    second.close()
