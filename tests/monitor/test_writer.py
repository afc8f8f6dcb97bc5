"""The writer: nothing lost on close, drops counted by reason, catching up after an outage."""

from __future__ import annotations

import hashlib
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
    assert writer.flush(60)
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
    assert writer.flush(60)
    writer.close()
    log = store.open(postgres.url)
    assert log.request_ids() == {r["request_id"] for r in first + kept}
    log.close()


def test_close_with_the_database_down_counts_what_is_lost(postgres: Postgres) -> None:
    registry = CollectorRegistry()
    writer = LogWriter(postgres.url, retry=0.2, metrics=WriterMetrics(registry))
    writer.start()
    writer.submit(record())
    assert writer.flush(60)
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
    assert writer.flush(60)  # connected
    rows = [record() for _ in range(200)]
    for row in rows:
        assert writer.submit(row)
        time.sleep(0.002)
    writer.close()
    assert metric(registry, 'catdetector_predlog_dropped_total{reason="queue_full"}') == 0
    assert store.open(tmp_path / "log.sqlite").count_predictions() == 200


def test_the_queued_gauge_follows_the_queue_during_an_outage(postgres: Postgres) -> None:
    """Records waiting while PostgreSQL is down show in catdetector_predlog_queued."""
    registry = CollectorRegistry()
    writer = LogWriter(postgres.url, retry=0.2, metrics=WriterMetrics(registry))
    writer.start()
    writer.submit(record())
    assert writer.flush(60)
    assert metric(registry, "catdetector_predlog_queued") == 0
    postgres.stop()
    waiting = [record() for _ in range(30)]
    for row in waiting:
        assert writer.submit(row)
    assert metric(registry, "catdetector_predlog_queued") == 30 == writer.queued
    postgres.start()
    assert writer.flush(60)
    assert metric(registry, "catdetector_predlog_queued") == 0
    writer.close()
    log = store.open(postgres.url)
    assert {r["request_id"] for r in waiting} <= log.request_ids()
    log.close()


def test_a_reused_request_id_on_another_input_is_logged_under_a_fresh_id(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    writer = LogWriter(tmp_path / "log.sqlite", metrics=WriterMetrics(registry))
    writer.start()
    first = record(request_id="client-trace-0001")
    writer.submit(first)
    assert writer.flush(60)
    again = record(request_id="client-trace-0001", label="other", input_sha256="b" * 64)
    fresh = record()
    writer.submit(again)
    writer.submit(fresh)
    writer.close()
    log = store.open(tmp_path / "log.sqlite")
    ids = log.request_ids()
    assert len(ids) == 3 and {"client-trace-0001", fresh["request_id"]} <= ids
    (rekeyed,) = ids - {"client-trace-0001", fresh["request_id"]}
    stored = log.prediction(rekeyed)
    assert stored is not None and stored.label == "other"
    assert metric(registry, "catdetector_predlog_rekeyed_total") == 1
    assert metric(registry, "catdetector_predlog_written_total") == 3
    assert 'reason="duplicate_request_id"' not in generate_latest(registry).decode()
    log.close()


def test_a_retried_request_is_logged_once(tmp_path: Path) -> None:
    """A proxy or client re-sending a request (same id, input, version and status) is one
    request; the same id with another version (a promotion in between) or another status
    (a 503, then a 200 elsewhere) is written under a fresh id."""
    registry = CollectorRegistry()
    writer = LogWriter(tmp_path / "log.sqlite", metrics=WriterMetrics(registry))
    writer.start()
    writer.submit(record(request_id="nginx-retry-0001"))
    assert writer.flush(60)
    writer.submit(record(request_id="nginx-retry-0001"))  # the retry, answered by a replica
    writer.submit(record(request_id="nginx-retry-0001"))  # and once more in the same batch
    writer.submit(record(request_id="nginx-retry-0001", model_version="v0.2.0"))
    writer.submit(record(request_id="nginx-retry-0001", status=503, error="draining"))
    writer.close()
    log = store.open(tmp_path / "log.sqlite")
    versions = sorted(str(log.prediction(i).model_version) for i in log.request_ids())  # type: ignore[union-attr]
    log.close()
    assert versions == ["v0.1.0", "v0.1.0", "v0.2.0"]
    assert metric(registry, "catdetector_predlog_retried_total") == 2
    assert metric(registry, "catdetector_predlog_rekeyed_total") == 2
    assert metric(registry, "catdetector_predlog_written_total") == 3


def test_kept_images_on_a_full_disk_cost_the_images_only(tmp_path: Path, tiny_disk: Path) -> None:
    """The writer's thread keeps the inputs; ENOSPC drops the image, never the record."""
    from catdetector.monitor.keeper import IMAGE_KEY, ImageKeeper, KeeperMetrics

    registry = CollectorRegistry()
    keeper = ImageKeeper(tiny_disk / "images", metrics=KeeperMetrics(registry))
    writer = LogWriter(
        tmp_path / "log.sqlite", metrics=WriterMetrics(registry), keeper=keeper, batch_size=5
    )
    writer.start()
    rows = []
    for i in range(20):
        data = bytes([i]) * 40_000  # 20 x 40 KB on a 256 KiB disk
        row = record(input_sha256=hashlib.sha256(data).hexdigest())
        keeper.attach(row, data)
        assert row[IMAGE_KEY] is data  # queued with its record, not written here
        rows.append(row)
        assert writer.submit(row)
    writer.close()
    log = store.open(tmp_path / "log.sqlite")
    assert log.request_ids() == {r["request_id"] for r in rows}  # every record
    paths = [log.prediction(r["request_id"]).image_path for r in rows]  # type: ignore[union-attr]
    kept = [p for p in paths if p]
    full = metric(registry, 'catdetector_predlog_images_dropped_total{reason="disk_full"}')
    assert 0 < len(kept) < 20 and full == 20 - len(kept)
    assert metric(registry, "catdetector_predlog_images_kept_total") == len(kept)
    assert metric(registry, "catdetector_predlog_images_queued_bytes") == 0
    for path in kept:
        assert Path(path).stat().st_size == 40_000
    log.close()


def test_images_over_the_budget_are_not_kept_and_counted(tmp_path: Path) -> None:
    from catdetector.monitor.keeper import IMAGE_KEY, ImageKeeper, KeeperMetrics

    registry = CollectorRegistry()
    keeper = ImageKeeper(tmp_path / "images", budget=100_000, metrics=KeeperMetrics(registry))
    rows = [record() for _ in range(3)]
    for row in rows:
        keeper.attach(row, b"x" * 40_000)
    assert [IMAGE_KEY in r for r in rows] == [True, True, False]
    assert metric(registry, 'catdetector_predlog_images_dropped_total{reason="queue_full"}') == 1
    assert metric(registry, "catdetector_predlog_images_queued_bytes") == 80_000
