"""The pretrained rung behind adaptive batching: concurrent photos share one backbone run."""

from __future__ import annotations

from pathlib import Path

import httpx
from PIL import Image

from catdetector.bundle import load_bundle
from catdetector.monitor import store
from tests.serve.serving import MODEL_DIR, Server, clean_env
from tests.serve.test_batching import batch_stats, concurrently
from tests.support import REAL_DATA


def test_concurrent_photos_are_batched_and_answer_as_the_pipeline(
    deep_project: Path, tmp_path: Path
) -> None:
    bundle = deep_project / MODEL_DIR
    db = tmp_path / "log.sqlite"
    args = ["--bundle", str(bundle), "--batching-max-wait-ms", "50", "--log-db", str(db)]
    args += ["--onnx-threads", "2"]  # auto batches a backbone that has more than one thread
    server = Server(args, tmp_path, clean_env())
    try:
        server.wait_ready()
        answered = check_batched(server, bundle)
    finally:
        server.stop()
    # the log describes each batched input as the prepare stage did (the drift reference)
    log = store.open(db)
    try:
        for photo, resp in answered:
            record = log.prediction(resp.json()["request_id"])
            assert record is not None and record.status == 200
            assert record.label == resp.json()["label"]
            with Image.open(photo) as img:
                width, height = img.size
            assert (record.width, record.height) == (width, height)
            assert set(record.stats or {}) >= {"width", "height", "brightness"}
    finally:
        log.close()


def check_batched(server: Server, bundle: Path) -> list[tuple[Path, httpx.Response]]:
    """Concurrent photos: batched, each answered as the bundle predicts it alone."""
    assert server.model()["batching"]["active"] is True  # auto: the backbone says batches pay
    photos = sorted((REAL_DATA / "cat").glob("*.jpg"))[:8]
    photos += sorted((REAL_DATA / "other").glob("*.jpg"))[:8]
    images = [p.read_bytes() for p in photos]
    model = load_bundle(bundle)
    one_by_one = [model.predict_bytes([img])[0] for img in images]

    responses = concurrently(server, [(img, "image/jpeg") for img in images])

    assert [r.status_code for r in responses] == [200] * len(images)
    for resp, want in zip(responses, one_by_one, strict=True):
        body = resp.json()
        assert body["label"] == want.label
        assert abs(body["probability"] - want.probability) < 1e-5  # float32 backbone
    calls, rows = batch_stats(server)
    assert rows == len(images) and calls < len(images), (calls, rows)
    return list(zip(photos, responses, strict=True))
