"""Hostile or unlucky input costs little (issue 21, item 4), on a real server.

Decoding is bounded by what an image becomes (mode-aware) and by time; decodes share a
memory budget; JSON bodies have a size limit; no validation error is a 500; a reused
X-Request-ID gets a fresh id; a client that goes away mid-body is not a server error;
every accepted format keeps its extension when inputs are kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException
from PIL import Image

from catdetector.serve.budget import DecodeBudget
from tests.serve.serving import Server, clean_env, encoded, png, serving

DECODE_MEMORY = 20_000_000  # bytes: a 2100x2100 1-bit PNG needs 22 MB decoded


def wait_metrics(server: Server, text: str, timeout: float = 30) -> str:
    """The metrics page once it holds ``text`` (the request it counts has ended)."""
    deadline = time.monotonic() + timeout
    while text not in (page := server.http.get("/metrics").text):
        assert time.monotonic() < deadline, f"{text!r} never in /metrics:\n{page}"
        time.sleep(0.05)
    return page


def one_bit_png(side: int) -> bytes:
    """A black 1-bit PNG: a few KB that decode to side*side bytes, and RGB to 4x more."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def server(trained_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of the trained bundle with a small decode budget, keeping its inputs."""
    work = tmp_path_factory.mktemp("hostile")
    args = ["--bundle", str(trained_project / "models/catdetector")]
    args += ["--log-db", str(work / "log.sqlite"), "--log-images", str(work / "inputs")]
    env = clean_env(CATDETECTOR_DECODE_MEMORY=str(DECODE_MEMORY), CATDETECTOR_MAX_JSON_BYTES="4096")
    with serving(args, work, env) as s:
        yield s


def test_a_one_bit_png_counts_as_what_it_decodes_to(server: Server) -> None:
    small = one_bit_png(2100)
    assert len(small) < 10_000  # under every byte and pixel limit
    resp = server.predict(small)
    assert resp.status_code == 413, resp.text
    assert "decoding it takes" in resp.json()["detail"]
    assert server.predict(png()).status_code == 200  # the server is fine


def test_concurrent_decodes_share_one_budget() -> None:
    """The budget itself (the server's object, on a real event loop): a second holder waits."""

    async def scenario() -> list[str]:
        budget = DecodeBudget(total=100, wait=0)
        events: list[str] = []
        async with budget.hold(60):
            with pytest.raises(HTTPException) as busy:
                async with budget.hold(60):
                    pass
            assert busy.value.status_code == 503
            assert busy.value.headers == {"retry-after": "1"}
            events.append("refused while held")
            async with budget.hold(40):  # what is left still fits
                events.append("the rest fits")
        async with budget.hold(60):
            events.append("fits once released")
        with pytest.raises(HTTPException) as huge:
            async with budget.hold(101):
                pass
        assert huge.value.status_code == 413

        waiting = DecodeBudget(total=100, wait=30)
        release = asyncio.Event()

        async def first() -> None:
            async with waiting.hold(100):
                events.append("first holds")
                await release.wait()

        task = asyncio.create_task(first())
        while waiting.used == 0:
            await asyncio.sleep(0)
        second = asyncio.create_task(_hold(waiting, 100, events))
        await asyncio.sleep(0)
        assert not second.done()  # waiting for the first
        release.set()
        await asyncio.gather(task, second)
        return events

    events = asyncio.run(scenario())
    assert events == [
        "refused while held",
        "the rest fits",
        "fits once released",
        "first holds",
        "second holds",
    ]


async def _hold(budget: DecodeBudget, cost: int, events: list[str]) -> None:
    async with budget.hold(cost):
        events.append("second holds")


def test_decoding_is_bounded_by_time(trained_project: Path, tmp_path: Path) -> None:
    args = ["--bundle", str(trained_project / "models/catdetector"), "--no-log"]
    env = clean_env(CATDETECTOR_DECODE_SECONDS="0.000001")
    with serving(args, tmp_path, env) as slow:
        resp = slow.predict(png(256, 256))
        assert resp.status_code == 413, resp.text
        assert "too costly to decode" in resp.json()["detail"]


def test_json_bodies_have_a_size_limit(server: Server) -> None:
    big = {"request_id": "a" * 10, "label": "cat" * 10_000, "source": "human"}
    resp = server.http.post("/v1/feedback", json=big)
    assert resp.status_code == 413, resp.text
    assert len(resp.content) < 1000  # not echoed back

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"request_id": "aaaaaaaaaa", "label": "'
        for _ in range(100):
            yield b"c" * 1000
        yield b'"}'

    resp = server.http.post(
        "/v1/feedback", content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413, resp.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"request_id": NaN, "label": "cat"}',
        b'{"request_id": "abcdefgh", "label": Infinity}',
        b'{"request_id": 1e999, "label": "cat"}',
        b'{"request_id": ',
        b"[1, 2]",
        b'{"label": "cat"}',
    ],
)
def test_no_validation_error_is_a_500(server: Server, body: bytes) -> None:
    resp = server.http.post(
        "/v1/feedback", content=body, headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422, resp.text
    assert all("input" not in err for err in resp.json()["detail"])
    assert server.http.get("/healthz").status_code == 200  # the same connection still works
    assert 'status="500"' not in server.http.get("/metrics").text


def test_a_reused_request_id_gets_a_fresh_one(server: Server) -> None:
    first = server.http.post(
        "/v1/predict",
        content=png(seed=11),
        headers={"content-type": "image/png", "x-request-id": "client-chosen-01"},
    )
    again = server.http.post(
        "/v1/predict",
        content=png(seed=12),
        headers={"content-type": "image/png", "x-request-id": "client-chosen-01"},
    )
    assert first.status_code == again.status_code == 200
    assert first.headers["x-request-id"] == first.json()["request_id"] == "client-chosen-01"
    fresh = again.headers["x-request-id"]
    assert fresh != "client-chosen-01" and again.json()["request_id"] == fresh
    server.wait_log(f"X-Request-ID client-chosen-01 was already used: this request is {fresh}")
    for rid in ("client-chosen-01", fresh):  # both are in the prediction log
        resp = server.http.post("/v1/feedback", json={"request_id": rid, "label": "cat"})
        assert resp.status_code == 201, resp.text


def test_a_client_gone_mid_body_is_not_a_server_error(server: Server) -> None:
    head = (
        "POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        "Content-Length: 100000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head.encode() + png()[:500])
    metrics = wait_metrics(server, 'route="/v1/predict",status="499"')
    assert 'status="500"' not in metrics
    assert "Exception in ASGI application" not in server.log()


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("JPEG", ".jpg"), ("PNG", ".png"), ("BMP", ".bmp"), ("GIF", ".gif"), ("WEBP", ".webp"),
     ("TIFF", ".tif")],
)  # fmt: skip
def test_kept_inputs_keep_their_format_s_extension(server: Server, fmt: str, suffix: str) -> None:
    data = encoded(fmt, (64, 64))
    resp = server.predict(data, ctype="application/octet-stream")
    assert resp.status_code == 200, resp.text
    sha = hashlib.sha256(data).hexdigest()
    folder = server.workdir / "inputs" / sha[:2]

    def kept() -> list[str]:  # inputs are kept by the log's thread, just after the answer
        return [p.suffix for p in folder.glob(f"{sha}.*")] if folder.is_dir() else []

    deadline = time.monotonic() + 30
    while not kept():
        assert time.monotonic() < deadline, "the input was never kept"
        time.sleep(0.05)
    assert kept() == [suffix]
