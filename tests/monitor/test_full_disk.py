"""A full disk never fails a prediction: `--log-images` and the log on a real full tmpfs.

The disk is a 256 KiB tmpfs of the test's own (``tiny_disk``): writes get ENOSPC
from the kernel, as on a real full disk. With the log itself on it, every answered
request is accounted for one by one: stored, or counted as dropped.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from catdetector.monitor import store
from tests.browser import ARTIFACTS
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, png

N = 40  # 40 noise PNGs of ~30 KB: far more than the disk holds


def metric(text: str, name: str) -> float:
    """The value of one exposition line of /metrics (0 when absent)."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.mark.slow
def test_kept_images_on_a_full_disk(
    serve: Callable[..., Server], tmp_path: Path, tiny_disk: Path
) -> None:
    db = tmp_path / "log.sqlite"
    server = serve("--log-db", str(db), "--log-images", str(tiny_disk / "images"))
    answers = [server.predict(png(100, 100, seed=2000 + i)) for i in range(N)]
    assert [a.status_code for a in answers] == [200] * N
    server.wait_log("input not kept (disk_full")
    text = server.http.get("/metrics").text
    assert metric(text, 'catdetector_predlog_images_dropped_total{reason="disk_full"}') > 0
    stop_with_sigterm(server)
    log = store.open(db)
    ids = [a.json()["request_id"] for a in answers]
    assert log.request_ids() == set(ids)  # every record, with or without its image
    kept = [p for rid in ids if (p := log.prediction(rid).image_path)]  # type: ignore[union-attr]
    assert 0 < len(kept) < N
    log.close()


def metric_sum(text: str, name: str) -> float:
    """The sum of every labelled series of ``name`` (0 when absent)."""
    found = re.findall(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
    return sum(float(v) for v in found)


def fill(disk: Path) -> Path:
    """Fill ``disk`` with one file until the kernel says ENOSPC; the file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow
# the filler takes whatever is free; 2 MiB leaves SQLite room for its journal once the
# filler is gone (the log's schema and indexes alone take much of 256 KiB)
@pytest.mark.parametrize("tiny_disk", ["2m"], indirect=True)
def test_the_log_itself_on_a_full_disk(
    start_server: Callable[..., Server], bundle: Path, tiny_disk: Path
) -> None:
    """Every answered request is either in the log or counted as dropped: exactly."""
    db = tiny_disk / "log.sqlite"
    server = start_server("--bundle", str(bundle), "--log-db", str(db), CATDETECTOR_LOG_QUEUE="20")
    server.wait_log("prediction log: writing to")  # the log exists, its schema is made
    filler = fill(tiny_disk)
    answers = [server.predict(png(100, 100, seed=3000 + i)) for i in range(N)]
    assert [a.status_code for a in answers] == [200] * N
    assert server.http.get("/readyz").status_code == 200
    server.wait_log("prediction log: cannot write")  # the log itself hit the full disk
    full = server.http.get("/metrics").text
    dropped_while_full = metric_sum(full, "catdetector_predlog_dropped_total")
    queued_while_full = metric(full, "catdetector_predlog_queued")

    filler.unlink()  # space again: what waited is written, nothing more is lost
    server.wait_log("prediction log: the database is back")
    deadline = time.monotonic() + 120
    while metric(text := server.http.get("/metrics").text, "catdetector_predlog_queued"):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)  # the writer drains the queue in batches
    written = metric(text, "catdetector_predlog_written_total")
    dropped = metric_sum(text, "catdetector_predlog_dropped_total")
    assert dropped == dropped_while_full  # nothing dropped once the disk had room
    stop_with_sigterm(server)

    log = store.open(db)
    logged = log.request_ids()
    log.close()
    ids = [a.json()["request_id"] for a in answers]
    assert len(set(ids)) == N and logged <= set(ids)
    missing = [rid for rid in ids if rid not in logged]  # one by one: logged, or dropped
    assert len(logged) == written and len(missing) == dropped
    assert N == len(logged) + len(missing) == written + dropped
    assert dropped > 0 and 0 < queued_while_full <= 20
    figures = {
        "answered": N,
        "logged": len(logged),
        "dropped": int(dropped),
        "queued_while_full": int(queued_while_full),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "full_disk.json").write_text(json.dumps(figures, indent=2))
