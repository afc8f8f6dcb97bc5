"""A full disk never fails a prediction: `--log-images` and the log on a real full tmpfs.

The disk is a 256 KiB tmpfs of the test's own (``tiny_disk``): writes get ENOSPC
from the kernel, as on a real full disk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from catdetector.monitor import store
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


@pytest.mark.slow
def test_the_log_itself_on_a_full_disk(
    start_server: Callable[..., Server], bundle: Path, tiny_disk: Path
) -> None:
    server = start_server(
        "--bundle",
        str(bundle),
        "--log-db",
        str(tiny_disk / "log.sqlite"),
        "--log-images",
        str(tiny_disk / "images"),
        CATDETECTOR_LOG_QUEUE="20",
    )
    answers = [server.predict(png(100, 100, seed=3000 + i)) for i in range(N)]
    assert [a.status_code for a in answers] == [200] * N
    assert server.http.get("/readyz").status_code == 200
    server.wait_log("input not kept (disk_full")
    text = server.http.get("/metrics").text
    images = metric(text, 'catdetector_predlog_images_dropped_total{reason="disk_full"}')
    assert images > 0
    server.stop()
