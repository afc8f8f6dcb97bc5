"""The writer: nothing lost on close, drops counted by reason, catching up after an outage."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from catdetector.monitor import store
from catdetector.monitor.writer import LogWriter, ModelRecord, WriterMetrics
from tests.monitor.pg import Postgres
from tests.monitor.records import record


def metric(registry: CollectorRegistry, line_start: str) -> float:
    """The value of one exposition line (0 when absent)."""
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    return 0.0


def test_close_writes_everything_queued(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    writer = LogWriter(tmp_path / "log.sqlite", batch_size=100, metrics=WriterMetrics(registry))
    writer.start()
    rows = [record() for _ in range(3000)]
    assert all(writer.submit(r) for r in rows)
    writer.submit_model(
        ModelRecord("v0.1.0", "0" * 32, {"labels": ["cat", "other"]}, rows[0]["created_at"])
    )
    writer.close()
    log = store.open(tmp_path / "log.sqlite")
    assert log.request_ids() == {r["request_id"] for r in rows}
    assert log.model("v0.1.0", "0" * 32) is not None
    assert metric(registry, "catdetector_predlog_written_total") == 3000
    log.close()


def test_flush_makes_records_readable(tmp_path: Path) -> None:
    writer = LogWriter(tmp_path / "log.sqlite", interval=5.0)  # idle writes would wait 5 s
    writer.start()
    row = record()
    writer.submit(row)
    assert writer.flush(timeout=10)
    assert writer.store is not None and writer.store.prediction(row["request_id"]) is not None
    writer.close()


def test_queue_full_drops_are_counted(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    writer = LogWriter(tmp_path / "log.sqlite", capacity=5, metrics=WriterMetrics(registry))
    # Not started: nothing drains the queue, so the 6th record on is over the bound.
    kept = [writer.submit(record()) for _ in range(8)]
    assert kept == [True] * 5 + [False] * 3
    assert metric(registry, 'catdetector_predlog_dropped_total{reason="queue_full"}') == 3
    writer.start()
    writer.close()
    assert store.open(tmp_path / "log.sqlite").count_predictions() == 5


def test_database_down_then_back(postgres: Postgres) -> None:
    """Records wait in the queue while PostgreSQL is stopped; past the bound they are counted."""
    registry = CollectorRegistry()
    writer = LogWriter(
        postgres.url, capacity=50, batch_size=10, retry=0.2, metrics=WriterMetrics(registry)
    )
    writer.start()
    first = [record() for _ in range(20)]
    for row in first:
        writer.submit(row)
    assert writer.flush(10)
    postgres.stop()
    during = [record() for _ in range(80)]
    kept = [row for row in during if writer.submit(row)]
    deadline = time.monotonic() + 10
    while writer.unavailable is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.unavailable is not None  # the writer noticed, and says why
    assert metric(registry, "catdetector_predlog_write_failures_total") >= 1
    assert 50 <= len(kept) < 80
    dropped = metric(registry, 'catdetector_predlog_dropped_total{reason="db_unavailable"}')
    dropped += metric(registry, 'catdetector_predlog_dropped_total{reason="queue_full"}')
    assert dropped == 80 - len(kept)
    postgres.start()
    assert writer.flush(30)
    writer.close()
    log = store.open(postgres.url)
    assert log.request_ids() == {r["request_id"] for r in first + kept}
    log.close()


def test_close_with_the_database_down_counts_what_is_lost(postgres: Postgres) -> None:
    registry = CollectorRegistry()
    writer = LogWriter(postgres.url, retry=0.2, metrics=WriterMetrics(registry))
    writer.start()
    writer.submit(record())
    assert writer.flush(10)
    postgres.stop()
    for _ in range(7):
        writer.submit(record())
    writer.close(timeout=3)  # returns although the database is down (else the test times out)
    assert metric(registry, 'catdetector_predlog_dropped_total{reason="shutdown"}') == 7


def test_a_small_bound_does_not_fill_while_the_writer_waits_for_a_batch(tmp_path: Path) -> None:
    """The writer lingers for a fuller batch, but writes once half the bound is queued."""
    registry = CollectorRegistry()
    writer = LogWriter(
        tmp_path / "log.sqlite", capacity=20, interval=5.0, metrics=WriterMetrics(registry)
    )
    writer.start()
    assert writer.flush(10)  # connected
    rows = [record() for _ in range(200)]
    for row in rows:
        assert writer.submit(row)
        time.sleep(0.002)
    writer.close()
    assert metric(registry, 'catdetector_predlog_dropped_total{reason="queue_full"}') == 0
    assert store.open(tmp_path / "log.sqlite").count_predictions() == 200
