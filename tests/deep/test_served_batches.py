"""The pretrained rung behind adaptive batching: concurrent photos share one backbone run."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from catdetector.features.images import backbone_decode, backbone_describe, open_image
from catdetector.model.bundle import load_bundle
from catdetector.monitor import store
from tests.serve.serving import MODEL_DIR, Server, clean_env
from tests.serve.test_batching import batch_stats, concurrently
from tests.support import REAL_DATA


@pytest.mark.slow
def test_concurrent_photos_are_batched_and_answer_as_the_pipeline(
    deep_project: Path, tmp_path: Path
) -> None:
    bundle = deep_project / MODEL_DIR
    db = tmp_path / "log.sqlite"
    args = ["--bundle", str(bundle), "--batching-max-wait-ms", "50", "--log-db", str(db)]
    args += ["--onnx-threads", "2"]  # batches of two-thread predicts (the default is one)
    server = Server(args, tmp_path, clean_env())
    try:
        server.wait_ready()
        answered = check_batched(server, bundle)
    finally:
        server.stop()
    # The log describes each input from the backbone's own decode, the one decode per
    # image the server makes, and the bundle's drift reference came from that decode too.
    model = load_bundle(bundle)
    spec = model.featurizer.spec  # type: ignore[union-attr]
    log = store.open(db)
    try:
        for photo, resp in answered:
            record = log.prediction(resp.json()["request_id"])
            assert record is not None and record.status == 200
            assert record.label == resp.json()["label"]
            with Image.open(photo) as img:
                width, height = img.size
            assert (record.width, record.height) == (width, height)
            want = backbone_describe(
                backbone_decode(open_image(photo.read_bytes(), model.limits), spec), spec
            )
            assert record.stats == pytest.approx(want, abs=1e-9)
    finally:
        log.close()
    manifest = json.loads((deep_project / "data/prepared/manifest.json").read_text())
    train = [i["path"] for i in manifest["items"] if i["split"] == "train"]
    brightness = [
        backbone_describe(backbone_decode(open_image(raw.read_bytes(), model.limits), spec), spec)[
            "brightness"
        ]
        for raw in (deep_project / "data/raw" / rel for rel in train)
    ]
    reference = model.meta["reference"]["brightness"]
    assert reference["mean"] == pytest.approx(float(np.mean(brightness)), abs=1e-9)


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
