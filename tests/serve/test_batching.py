"""Adaptive batching: concurrent requests share one predict, never across model versions."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from catdetector.core.errors import ImageError
from catdetector.features.images import open_image
from catdetector.model.bundle import LoadedModel, load_bundle
from catdetector.serve.batching import Batcher, BatchPolicy
from catdetector.serve.holder import Served
from tests.serve.serving import MODEL_DIR, Registry, Server, client, encoded, jpeg, png, tiny_png
from tests.support import cli

BATCHING = ("--batching", "on", "--batching-max-size", "4", "--batching-max-wait-ms", "50")


def batch_stats(server: Server) -> tuple[float, float]:
    """(batched predict calls, images in them) from /metrics."""
    text = server.http.get("/metrics").text
    count = re.search(r"^catdetector_batch_rows_count (\S+)$", text, re.M)
    total = re.search(r"^catdetector_batch_rows_sum (\S+)$", text, re.M)
    assert count and total, text
    return float(count.group(1)), float(total.group(1))


def post(http: httpx.Client, data: bytes, ctype: str = "image/png") -> httpx.Response:
    return http.post("/v1/predict", content=data, headers={"content-type": ctype})


def concurrently(server: Server, bodies: list[tuple[bytes, str]], threads: int = 8) -> list:
    """Send every body from ``threads`` clients at once; the responses in order."""
    local = threading.local()
    barrier = threading.Barrier(threads)

    def send(body: tuple[bytes, str]) -> httpx.Response:
        if not hasattr(local, "http"):
            local.http = client(server.url)
            barrier.wait(timeout=30)  # every client connected before the first request
        return post(local.http, *body)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, bodies))


@pytest.mark.slow  # a server under concurrent load (10 s of CPU)
def test_concurrent_requests_share_a_predict_and_get_their_own_answers(
    trained_project: Path, start_server: Callable[..., Server]
) -> None:
    bundle = trained_project / MODEL_DIR
    server = start_server("--bundle", str(bundle), *BATCHING)
    info = server.model()["batching"]
    assert info == {"mode": "on", "active": True, "max_size": 4, "max_wait_ms": 50.0}
    images = [png(64 + i, 64, seed=i) for i in range(24)]
    expected = load_bundle(bundle).predict_bytes(images)

    responses = concurrently(server, [(img, "image/png") for img in images])

    assert [r.status_code for r in responses] == [200] * len(images)
    for resp, want in zip(responses, expected, strict=True):
        body = resp.json()
        assert body["version"] == resp.headers["x-model-version"] == server.model()["version"]
        assert body["label"] == want.label
        assert abs(body["probability"] - want.probability) < 1e-9
    calls, rows = batch_stats(server)
    assert rows == len(images)
    assert calls < len(images), "no two requests shared a predict"
    assert rows / calls <= 4


def test_a_multipart_batch_is_batched_too_and_keeps_its_order(
    trained_project: Path, start_server: Callable[..., Server]
) -> None:
    bundle = trained_project / MODEL_DIR
    server = start_server("--bundle", str(bundle), *BATCHING)
    images = [png(70, 64 + i, seed=100 + i) for i in range(6)]  # over max size: split
    expected = load_bundle(bundle).predict_bytes(images)
    files = [("files", (f"{i}.png", img, "image/png")) for i, img in enumerate(images)]
    resp = server.http.post("/v1/predict", files=files)
    assert resp.status_code == 200, resp.text
    got = resp.json()["predictions"]
    assert [p["filename"] for p in got] == [f"{i}.png" for i in range(6)]
    for pred, want in zip(got, expected, strict=True):
        assert abs(pred["probability"] - want.probability) < 1e-9
    assert batch_stats(server)[1] == 6


def test_bad_input_fails_only_its_own_request(
    trained_project: Path, start_server: Callable[..., Server]
) -> None:
    bundle = trained_project / MODEL_DIR
    server = start_server("--bundle", str(bundle), *BATCHING)
    good = [jpeg(96, 96, seed=i) for i in range(8)]
    expected = load_bundle(bundle).predict_bytes(good)
    cut = jpeg(96, 96, seed=50)[:400]  # a JPEG header, then nothing: fails at decode
    bad = [
        (cut, "image/jpeg", 422, "truncated"),
        (b"not an image at all", "image/png", 415, "not an image"),
        (b"", "image/png", 422, "empty"),
        (encoded("PNG", (8, 8)), "image/png", 422, "smaller than"),
    ]
    bodies = [(g, "image/jpeg") for g in good[:4]] + [(b[0], b[1]) for b in bad]
    bodies += [(g, "image/jpeg") for g in good[4:]]
    for _ in range(3):  # the bad ones land in different places of the batches
        responses = concurrently(server, bodies)
        goods = responses[:4] + responses[8:]
        for resp, want in zip(goods, expected, strict=True):
            assert resp.status_code == 200, resp.text
            assert abs(resp.json()["probability"] - want.probability) < 1e-9
        for resp, (_, _, status, words) in zip(responses[4:8], bad, strict=True):
            assert resp.status_code == status and words in resp.json()["detail"], resp.text
        bodies = bodies[::-1]
        expected, bad = expected[::-1], bad[::-1]
    assert server.http.get("/readyz").status_code == 200


@pytest.mark.slow  # servers for each rung (11 s of CPU)
def test_auto_keeps_batching_off_for_the_scikit_learn_rungs(
    trained_project: Path, start_server: Callable[..., Server]
) -> None:
    server = start_server("--bundle", str(trained_project / MODEL_DIR))
    assert server.model()["batching"]["mode"] == "auto"
    assert server.model()["batching"]["active"] is False
    responses = concurrently(server, [(png(64, 64, seed=i), "image/png") for i in range(16)])
    assert all(r.status_code == 200 for r in responses)
    assert batch_stats(server) == (0.0, 0.0)
    off = start_server("--bundle", str(trained_project / MODEL_DIR), CATDETECTOR_BATCHING="off")
    assert off.model()["batching"] == {
        "mode": "off",
        "active": False,
        "max_size": 8,
        "max_wait_ms": 5.0,
    }


@pytest.mark.slow  # swaps under load (20 s of CPU)
def test_swaps_under_load_never_mix_versions_in_a_batch(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod", *BATCHING)
    images = [tiny_png(), png(80, 80, seed=3)]
    results: list[tuple[int, int, str | None, str | None, float | None]] = []
    errors: list[str] = []
    stop = threading.Event()

    def hammer(which: int) -> None:
        with client(server.url) as http:
            while not stop.is_set():
                try:
                    resp = post(http, images[which])
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    continue
                body = resp.json() if resp.status_code == 200 else {}
                results.append(
                    (
                        which,
                        resp.status_code,
                        body.get("version"),
                        resp.headers.get("x-model-version"),
                        body.get("probability"),
                    )
                )

    threads = [threading.Thread(target=hammer, args=(i % 2,), daemon=True) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        server.wait_log(f"prefetched {reg.v2}")
        for i in range(6):
            if i % 2 == 0:
                reg.promote(reg.v2, f"swap {i}")
                server.wait_version(reg.v2)
            else:
                reg.rollback()
                server.wait_version(reg.v1)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert not errors, errors[:5]
    assert [r for r in results if r[1] != 200] == []
    assert all(r[2] == r[3] for r in results), "body and header name different versions"
    assert {r[2] for r in results} == {reg.v1, reg.v2}
    bundles = server.cache_dir / "bundles"
    expected = {
        version: load_bundle(bundles / reg.bundle_md5(commit)).predict_bytes(images)
        for version, commit in ((reg.v1, reg.c1), (reg.v2, reg.c2))
    }
    for which in (0, 1):
        assert expected[reg.v1][which].probability != expected[reg.v2][which].probability
    wrong = [r for r in results if abs(r[4] - expected[r[2]][r[0]].probability) > 1e-9]  # type: ignore[index,operator]
    assert wrong == [], wrong[:5]
    calls, rows = batch_stats(server)
    assert rows > calls > 0, "no batch of more than one request formed under load"


def _rows(model: LoadedModel, images: list[bytes]) -> tuple[int, Callable[[], np.ndarray]]:
    """The batcher's (size, prepare) of ``images``: decoded in the batch's lane."""
    return len(images), lambda: np.stack([model.prepare(open_image(img)) for img in images])


def test_a_batch_holds_one_snapshot_only(trained_project: Path, registry: Registry) -> None:
    """Rows queued for two snapshots, interleaved, come out as one batch per snapshot."""
    old = load_bundle(trained_project / MODEL_DIR)  # v1's bundle
    new = load_bundle(registry.proj / MODEL_DIR)  # v2's (the registry's clone is at c2)
    a = Served(old, "v-old", "prod", None, 0.0)
    b = Served(new, "v-new", "prod", None, 0.0)
    images = [png(64, 64, seed=200 + i) for i in range(5)]
    sizes: list[int] = []

    async def scenario() -> list[list[float]]:
        batcher = Batcher(BatchPolicy("on", max_size=8, max_wait=1.0), sizes.append)
        try:
            with batcher.preparing():  # a request still decoding: the batcher waits
                tasks = [
                    asyncio.ensure_future(batcher.predict(served, *_rows(served.model, imgs)))
                    for served, imgs in ((a, images[:2]), (b, images[2:4]), (a, images[4:]))
                ]
                await asyncio.sleep(0.05)
                assert sizes == []
            got = await asyncio.gather(*tasks)
        finally:
            batcher.close()
        return [[p.probability for p in preds] for preds in got]

    got = asyncio.run(scenario())
    assert sizes == [3, 2]  # old's three rows together, then new's two
    want_old = [p.probability for p in old.predict_bytes(images)]
    want_new = [p.probability for p in new.predict_bytes(images)]
    assert not np.allclose(want_old, want_new)
    assert np.allclose(got[0] + got[2], want_old[:2] + want_old[4:], rtol=0, atol=1e-12)
    assert np.allclose(got[1], want_new[2:4], rtol=0, atol=1e-12)


def test_a_request_that_fails_to_decode_fails_alone_in_its_batch(trained_project: Path) -> None:
    """Three requests in one batch, the middle one's image truncated: it gets its own
    error, the two others their predictions, and the batch predicts their rows only."""
    model = load_bundle(trained_project / MODEL_DIR)
    served = Served(model, "v1", "prod", None, 0.0)
    good = [png(64, 64, seed=400 + i) for i in range(3)]
    cut = jpeg(96, 96, seed=50)[:400]  # its header opens; decoding it fails
    sizes: list[int] = []

    async def scenario() -> list:
        batcher = Batcher(BatchPolicy("on", max_size=8, max_wait=1.0), sizes.append)
        try:
            with batcher.preparing():  # all three queue before the batch starts
                calls = [
                    asyncio.ensure_future(batcher.predict(served, *_rows(model, imgs)))
                    for imgs in ([good[0]], [cut], good[1:])
                ]
                await asyncio.sleep(0.05)
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            batcher.close()

    first, failed, rest = asyncio.run(scenario())
    assert sizes == [3]  # one batch, of the good requests' three images
    assert isinstance(failed, ImageError) and "truncated" in failed.message
    want = [p.probability for p in model.predict_bytes(good)]
    got = [p.probability for p in first + rest]
    assert np.allclose(got, want, rtol=0, atol=1e-12)


def test_a_lane_takes_its_share_of_the_queue_not_all_of_it(trained_project: Path) -> None:
    """Six requests queued for two lanes: a batch takes half of what is queued, so the
    other lane has work at once instead of idling until new requests arrive."""
    model = load_bundle(trained_project / MODEL_DIR)
    served = Served(model, "v1", "prod", None, 0.0)
    images = [png(64, 64, seed=500 + i) for i in range(6)]
    sizes: list[int] = []

    async def scenario() -> list:
        batcher = Batcher(BatchPolicy("on", max_size=8, max_wait=1.0), sizes.append, lanes=2)
        try:
            with batcher.preparing():  # all six queue before any batch starts
                calls = [
                    asyncio.ensure_future(batcher.predict(served, *_rows(model, [img])))
                    for img in images
                ]
                await asyncio.sleep(0.05)
                assert sizes == []
            return await asyncio.gather(*calls)
        finally:
            batcher.close()

    got = asyncio.run(scenario())
    # (in the order they finished) half of six, then half of the three left, then one
    assert sorted(sizes) == [1, 2, 3], sizes
    want = [p.probability for p in model.predict_bytes(images)]
    assert np.allclose([p.probability for (p,) in got], want, rtol=0, atol=1e-12)


class _Meeting:
    """Wraps a model's ``predict_rows`` so that each call waits, at most 2 s, for another
    call to be running at the same time; the real predict runs after that."""

    def __init__(self, model: LoadedModel) -> None:
        self.inner = model.predict_rows
        self.barrier = threading.Barrier(2, timeout=2.0)
        self.met = 0

    def __call__(self, rows: np.ndarray) -> list:
        self.barrier.wait()  # BrokenBarrierError when no other batch runs meanwhile
        self.met += 1
        return self.inner(rows)


def _two_separate_batches(trained_project: Path, lanes: int) -> tuple[list, _Meeting]:
    """Two requests, each its own batch (max size 1), through a batcher of ``lanes``."""
    model = load_bundle(trained_project / MODEL_DIR)
    meeting = _Meeting(model)
    model.predict_rows = meeting  # type: ignore[method-assign]
    served = Served(model, "v1", "prod", None, 0.0)
    images = [png(64, 64, seed=300 + i) for i in range(2)]

    async def scenario() -> list:
        batcher = Batcher(BatchPolicy("on", max_size=1, max_wait=0.0), lanes=lanes)
        try:
            calls = [batcher.predict(served, *_rows(model, [img])) for img in images]
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            batcher.close()

    return asyncio.run(scenario()), meeting


def test_batches_run_in_every_lane_at_once(trained_project: Path) -> None:
    got, meeting = _two_separate_batches(trained_project, lanes=2)
    assert meeting.met == 2  # both batches were inside predict together
    assert [len(preds) for preds in got] == [1, 1]
    one, = got[0]
    assert one.label in ("cat", "other")
    # one lane: the second batch starts only after the first is done, so they never meet
    got, meeting = _two_separate_batches(trained_project, lanes=1)
    assert meeting.met == 0
    assert all(isinstance(r, threading.BrokenBarrierError) for r in got), got


def test_bad_batching_settings_are_refused_in_one_line(trained_project: Path) -> None:
    bundle = str(trained_project / MODEL_DIR)
    for args, words in [
        (["--batching", "sometimes"], "batching: Input should be 'auto', 'on' or 'off'"),
        (["--batching-max-size", "0"], "batching_max_size: Input should be greater than"),
        (["--batching-max-wait-ms", "-1"], "batching_max_wait_ms: Input should be greater"),
        (["--onnx-threads", "-1"], "onnx_threads: Input should be greater than or equal to 0"),
    ]:
        proc = cli(
            "serve", "--bundle", bundle, "--port", "0", *args, cwd=trained_project, check=False
        )
        assert proc.returncode != 0
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert any(words in line for line in lines), proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_lone_small_request_is_predicted_on_the_event_loop_until_requests_overlap(
    trained_project: Path,
) -> None:
    """``inline``: a request alone in the worker runs its decode and predict on the event
    loop's own thread (no hop to a lane and back); a request that finds another one queued
    or in a lane goes to a lane and marks the worker contended, so that even a lone request
    then goes to a lane, until ``inline_hold`` has passed. Without ``inline`` (a large
    input), never on the loop. The answers are the model's either way."""
    model = load_bundle(trained_project / MODEL_DIR)
    served = Served(model, "v1", "prod", None, 0.0)
    images = [png(64, 64, seed=600 + i) for i in range(5)]
    want = [p.probability for p in model.predict_bytes(images)]
    threads: list[int] = []
    sizes: list[int] = []

    def rows(img: bytes) -> Callable[[], np.ndarray]:
        def prepare() -> np.ndarray:
            threads.append(threading.get_ident())
            return np.stack([model.prepare(open_image(img))])

        return prepare

    async def scenario(hold: float) -> list[float]:
        batcher = Batcher(BatchPolicy("on", max_wait=0.0), sizes.append, 2, inline_hold=hold)
        try:
            got = await batcher.predict(served, 1, rows(images[0]), inline=True)  # alone
            got += await batcher.predict(served, 1, rows(images[1]), inline=False)  # large
            first = asyncio.ensure_future(batcher.predict(served, 1, rows(images[2])))
            await asyncio.sleep(0)  # the first is queued for a lane when the second comes
            got += await batcher.predict(served, 1, rows(images[3]), inline=True)
            got = got[:2] + await first + got[2:]
            while batcher.busy():  # the lanes' tasks end a loop turn after their answers
                await asyncio.sleep(0)
            got += await batcher.predict(served, 1, rows(images[4]), inline=True)  # alone
        finally:
            batcher.close()
        return [p.probability for p in got]

    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    got = asyncio.run(scenario(hold=3600.0))
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    on_loop = [t == loop_thread for t in threads]
    assert on_loop[0] and not any(on_loop[1:]), on_loop  # contended: the last one in a lane
    assert sum(sizes) == len(images)  # the inline predict is counted as a batch of one too

    threads.clear()
    asyncio.run(scenario(hold=0.0))  # contention forgotten at once: the last one inline
    assert [t == loop_thread for t in threads] == [True, False, False, False, True]
