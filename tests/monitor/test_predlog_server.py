"""The prediction log of a real `catdetector serve`: ids, records, errors, shutdown, workers."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from catdetector.monitor import store
from catdetector.monitor.store import ServedModel
from tests.serve.serving import Registry, Server, jpeg, png, tiny_png


def stop_with_sigterm(server: Server) -> None:
    """SIGTERM to the server process (uvicorn's clean shutdown), then wait for it."""
    server.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down cleanly, then re-raises the signal it caught
    assert server.proc.wait(timeout=60) in (0, -signal.SIGTERM), server.log()
    assert "Application shutdown complete" in server.log()
    server.stop()


def test_request_ids_and_one_record_per_image(serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    images = tmp_path / "images"
    server = serve("--log-db", str(db), "--log-images", str(images))
    one = server.predict(tiny_png())
    assert one.status_code == 200
    rid = one.json()["request_id"]
    assert one.headers["x-request-id"] == rid and len(rid) == 32
    mine = server.http.post(
        "/v1/predict",
        content=jpeg(),
        headers={"content-type": "image/jpeg", "x-request-id": "client-trace-0001"},
    )
    assert mine.json()["request_id"] == mine.headers["x-request-id"] == "client-trace-0001"
    insane = server.http.post(
        "/v1/predict",
        content=jpeg(),
        headers={"content-type": "image/jpeg", "x-request-id": "../../etc/passwd; drop"},
    )
    assert insane.json()["request_id"] != "../../etc/passwd; drop"
    batch = server.http.post(
        "/v1/predict",
        files=[("files", (f"{i}.png", png(seed=i), "image/png")) for i in range(3)],
    )
    body = batch.json()
    ids = [p["request_id"] for p in body["predictions"]]
    assert len(set(ids)) == 3 and body["request_id"] == batch.headers["x-request-id"]
    bad = server.predict(b"not an image at all", ctype="image/png")
    assert bad.status_code == 415 and len(bad.headers["x-request-id"]) == 32
    stop_with_sigterm(server)

    log = store.open(db)
    assert log.request_ids() == {
        rid,
        "client-trace-0001",
        insane.json()["request_id"],
        *ids,
        bad.headers["x-request-id"],
    }
    first = log.prediction(rid)
    assert first is not None and first.status == 200 and first.width == 64
    assert set(first.stats or {}) == {
        "width",
        "height",
        "brightness",
        "contrast",
        "red",
        "green",
        "blue",
    }
    assert first.label == one.json()["label"]
    assert abs((first.confidence or 0) - one.json()["probability"]) < 1e-9
    assert first.model_version == one.json()["version"]
    assert first.image_path and Path(first.image_path).read_bytes() == tiny_png()
    assert Path(first.image_path).name == f"{first.input_sha256}.png"
    refused = log.prediction(bad.headers["x-request-id"])
    assert refused is not None and refused.status == 415 and refused.label is None
    assert refused.error and "not an image" in refused.error
    model = log.model(first.model_version, first.model_md5)
    assert model is not None and model.meta["labels"] and "reference" in model.meta
    assert model.meta["positive_label"] == model.meta["labels"][0]
    log.close()


def test_metrics_show_the_log(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve("--log-db", str(tmp_path / "log.sqlite"))
    server.predict(tiny_png())
    text = server.http.get("/metrics").text
    assert "catdetector_predlog_dropped_total" in text or "catdetector_predlog_written" in text
    assert "catdetector_predlog_write_failures_total" in text


def test_no_log_writes_nothing(serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    server = serve("--no-log", "--log-db", str(db))
    resp = server.predict(tiny_png())
    assert resp.status_code == 200 and resp.json()["request_id"]
    fb = server.http.post(
        "/v1/feedback",
        json={"request_id": resp.json()["request_id"], "label": "cat", "source": "human"},
    )
    assert fb.status_code == 404 and "--no-log" in fb.json()["detail"]
    stop_with_sigterm(server)
    assert not db.exists()


def test_default_log_is_in_the_user_data_folder(
    serve: Callable[..., Server], isolated_home: Path
) -> None:
    from catdetector.core.config import default_log_db

    server = serve()
    rid = server.predict(tiny_png()).json()["request_id"]
    server.wait_log(f"prediction log: writing to sqlite:///{default_log_db()}")
    stop_with_sigterm(server)
    log = store.open(default_log_db())
    assert log.prediction(rid) is not None
    log.close()


@pytest.mark.slow  # 2000 requests to a real server (17 s of CPU)
def test_2000_predictions_then_sigterm_none_lost(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    db = tmp_path / "log.sqlite"
    server = serve("--log-db", str(db))
    image = jpeg(120, 90)

    def send(n: int) -> list[str]:
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
            out = []
            for _ in range(n):
                resp = http.post(
                    "/v1/predict", content=image, headers={"content-type": "image/jpeg"}
                )
                assert resp.status_code == 200, resp.text
                out.append(resp.headers["x-request-id"])
            return out

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sent = [rid for ids in pool.map(send, [500] * 4) for rid in ids]
    assert len(set(sent)) == 2000
    stop_with_sigterm(server)  # right after the last answer: most records are still queued
    assert "dropped" not in server.log()
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("SELECT request_id FROM predictions")}
    con.close()
    assert stored == set(sent)


@pytest.mark.slow  # two worker processes (15 s of CPU)
def test_two_workers_each_log(tmp_path: Path, bundle: Path) -> None:
    db = tmp_path / "log.sqlite"
    server = Server(["--bundle", str(bundle), "--workers", "2", "--log-db", str(db)], tmp_path)
    try:
        server.wait_ready()
        sent = set()
        for _ in range(200):
            with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
                resp = http.post(
                    "/v1/predict", content=tiny_png(), headers={"content-type": "image/png"}
                )
                sent.add(resp.headers["x-request-id"])
        os.killpg(server.proc.pid, signal.SIGTERM)
        server.proc.wait(timeout=60)
    finally:
        server.stop()
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("SELECT request_id FROM predictions")}
    con.close()
    assert stored == sent
    pids = {
        line.split("[")[1].split("]")[0]
        for line in server.log().splitlines()
        if "prediction log: writing to" in line
    }
    assert len(pids) == 2, server.log()  # one writer per worker process


def test_a_bad_log_db_is_one_clear_line(tmp_path: Path, bundle: Path) -> None:
    from catdetector.core.errors import StoreError
    from tests.support import cli

    for workers in ("1", "2"):
        proc = cli(
            "serve",
            "--bundle",
            str(bundle),
            "--workers",
            workers,
            "--log-db",
            "mysql://bob@127.0.0.1/log",
            cwd=tmp_path,
            check=False,
            timeout=60,
        )
        assert proc.returncode == StoreError.exit_code
        assert "unsupported database 'mysql'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_log_db_is_refused_before_the_model_is_looked_at(tmp_path: Path) -> None:
    """The URL is checked with the arguments: no bundle is read, no registry asked."""
    from catdetector.core.errors import StoreError
    from tests.support import cli

    proc = cli(
        "serve",
        "--bundle",
        str(tmp_path / "no-such-bundle"),
        "--log-db",
        "mysql://bob:hunter2@127.0.0.1/log",
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert proc.returncode == StoreError.exit_code, proc.stderr
    assert "unsupported database 'mysql'" in proc.stderr and "hunter2" not in proc.stderr


def test_a_swap_records_the_new_model(
    start_server: Callable[..., Server], private_registry: Registry, tmp_path: Path
) -> None:
    """Following a registry: each model swapped in gets its models row; records name it."""
    reg = private_registry
    db = tmp_path / "log.sqlite"
    server = start_server("--registry", reg.url, "--stage", "prod", "--log-db", str(db))
    first = server.predict(tiny_png()).json()
    reg.promote(reg.v2, "monitor test")
    server.wait_version(reg.v2)
    second = server.predict(tiny_png()).json()
    stop_with_sigterm(server)
    log = store.open(db)
    with log.session() as session:
        models = {m.version: m for m in session.scalars(sa.select(ServedModel))}
    assert set(models) == {reg.v1, reg.v2}
    assert models[reg.v1].model_md5 != models[reg.v2].model_md5
    for resp, version in ((first, reg.v1), (second, reg.v2)):
        row = log.prediction(resp["request_id"])
        assert row is not None and row.model_version == version
        assert row.model_md5 == models[version].model_md5
    log.close()


def test_a_reused_request_id_is_still_logged(serve: Callable[..., Server], tmp_path: Path) -> None:
    """A client re-sending its X-Request-ID cannot keep a prediction out of the log.

    Whether the HTTP layer gives the second request a fresh id or the writer does
    (catdetector_predlog_rekeyed_total), both predictions are stored, nothing dropped.
    """
    db = tmp_path / "log.sqlite"
    server = serve("--log-db", str(db))
    headers = {"content-type": "image/png", "x-request-id": "client-dup-0001"}
    first = server.http.post("/v1/predict", content=png(seed=1), headers=headers)
    assert first.status_code == 200
    flush = {"request_id": "f" * 32, "label": "cat", "source": "human"}  # unknown: flushes
    assert server.http.post("/v1/feedback", json=flush).status_code == 404
    second = server.http.post("/v1/predict", content=png(seed=2), headers=headers)
    assert second.status_code == 200
    assert server.http.post("/v1/feedback", json=flush).status_code == 404
    text = server.http.get("/metrics").text
    stop_with_sigterm(server)
    log = store.open(db)
    ids = log.request_ids()
    log.close()
    assert len(ids) == 2 and "client-dup-0001" in ids
    assert second.headers["x-request-id"] in ids or "catdetector_predlog_rekeyed_total 1.0" in text
    assert 'reason="duplicate_request_id"' not in text
