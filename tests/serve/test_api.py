"""The HTTP API of a real server: predictions, every bad input's 4xx, admin, metrics, docs."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.conftest import ADMIN_TOKEN
from tests.serve.serving import (
    Registry,
    Server,
    encoded,
    jpeg,
    png,
    png_header_bomb,
    tiny_png,
)
from tests.support import BIN

PNG = png(64, 64, seed=3)
JPEG = jpeg(96, 96)


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent chunked (no content-length)."""
    for _ in range(total // 10_000):
        yield b"\x00" * 10_000


def _multipart(boundary: bytes, parts: list[tuple[str, str, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        out += (
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="' + name.encode() + b'"; '
            b'filename="' + filename.encode() + b'"\r\nContent-Type: image/png\r\n\r\n' + data
        )
        out += b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


# (id, content-type or None, body, expected status, words the error must say)
RAW_CASES = [
    ("empty body", "image/png", b"", 422, "empty"),
    ("text as png", "image/png", b"this is not an image at all", 415, "not an image"),
    ("truncated jpeg", "image/jpeg", JPEG[: len(JPEG) // 2], 422, "truncated"),
    ("truncated png", "image/png", PNG[: len(PNG) // 2], 422, "truncated"),
    ("header-only png", "image/png", PNG[:40], 422, "truncated"),
    ("ico", "image/x-icon", encoded("ICO", (32, 32)), 415, "unsupported image format ICO"),
    ("pdf bytes", "application/octet-stream", encoded("PDF"), 415, "not an image"),
    ("psd header", "image/vnd.adobe.photoshop", b"8BPS\x00\x01" + bytes(40), 415, "not an image"),
    ("pdf content type", "application/pdf", encoded("PDF"), 415, "unsupported content type"),
    ("json content type", "application/json", b'{"image": "cat"}', 415, "content type"),
    ("text/plain content type", "text/plain", PNG, 415, "content type"),
    ("no content type", None, PNG, 415, "content type"),
    ("form-urlencoded", "application/x-www-form-urlencoded", b"file=x", 415, "content type"),
    ("body over the limit", "image/png", bytes(150_000), 413, "over the limit of 100000"),
    ("chunked body over the limit", "image/png", "chunked", 413, "over the limit of 100000"),
    ("png bomb 30000x30000", "image/png", png_header_bomb(30_000, 30_000), 413, "pixel"),
    ("png over max pixels", "image/png", encoded("PNG", (2000, 1000)), 413, "2000x1000"),
    ("too small image", "image/png", encoded("PNG", (10, 10)), 422, "smaller than"),
    (
        "multipart, bad boundary",
        "multipart/form-data; boundary=not-the-one",
        _multipart(b"another", [("file", "a.png", PNG)]),
        400,
        "malformed multipart",
    ),
    ("multipart, no boundary", "multipart/form-data", b"--x\r\n\r\n", 400, "boundary"),
    (
        "multipart, batch over the limit",
        "multipart/form-data; boundary=b0undary",
        _multipart(b"b0undary", [("files", f"{i}.png", PNG) for i in range(4)]),
        413,
        "batch of 4 images is over the limit of 3",
    ),
    (
        "multipart, 1001 tiny parts",
        "multipart/form-data; boundary=b",
        b"".join(
            b'--b\r\nContent-Disposition: form-data; name="files"; filename="f"\r\n\r\nx\r\n'
            for _ in range(1001)
        )
        + b"--b--\r\n",
        413,
        "over the limit of 3 images",
    ),
    (
        "multipart, no file part",
        "multipart/form-data; boundary=b0undary",
        _multipart(b"b0undary", [("picture", "a.png", PNG)]),
        422,
        "no 'file' or 'files' part",
    ),
    (
        "multipart, one bad image in a batch",
        "multipart/form-data; boundary=b0undary",
        _multipart(b"b0undary", [("files", "a.png", PNG), ("files", "b.png", b"junk")]),
        415,
        "image 2 (b.png)",
    ),
    (
        "multipart, one image in a batch whose data is cut short (found at decode)",
        "multipart/form-data; boundary=b0undary",
        _multipart(
            b"b0undary",
            [
                ("files", "a.png", PNG),
                ("files", "b.png", PNG[: len(PNG) // 2]),
                ("files", "c.png", PNG),
            ],
        ),
        422,
        "image 2 (b.png): truncated",
    ),
]


@pytest.mark.parametrize(
    ("ctype", "body", "status", "says"),
    [c[1:] for c in RAW_CASES],
    ids=[c[0] for c in RAW_CASES],
)
def test_bad_input_gets_a_4xx_that_says_what_was_wrong(
    limits_server: Server, ctype: str | None, body: bytes | str, status: int, says: str
) -> None:
    headers = {"content-type": ctype} if ctype else {}
    content = _chunks(200_000) if body == "chunked" else body
    resp = limits_server.http.post("/v1/predict", content=content, headers=headers)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    detail = resp.json()["detail"]
    assert says in detail, detail
    # the server keeps serving
    assert limits_server.http.get("/healthz").status_code == 200
    good = limits_server.predict(tiny_png())
    assert good.status_code == 200 and good.json()["label"] in ("cat", "other")


def test_multipart_text_field_is_refused(limits_server: Server) -> None:
    resp = limits_server.http.post("/v1/predict", files={"file": (None, b"not a file")})
    assert resp.status_code == 415 and "must be a file upload" in resp.json()["detail"]


def test_formats_single_and_batch(limits_server: Server, registry: Registry) -> None:
    http = limits_server.http
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
        resp = http.post(
            "/v1/predict", content=encoded(fmt), headers={"content-type": "image/" + fmt.lower()}
        )
        assert resp.status_code == 200, (fmt, resp.text)
    raw = http.post("/v1/predict", content=PNG, headers={"content-type": "image/png"}).json()
    one = http.post("/v1/predict", files={"file": ("a.png", PNG, "image/png")})
    assert one.status_code == 200 and one.headers["x-model-version"] == registry.v1
    assert one.json()["filename"] == "a.png" and one.json()["version"] == registry.v1
    assert one.json()["probability"] == raw["probability"]  # same bytes, same answer
    batch = http.post(
        "/v1/predict",
        files=[("files", (f"{i}.png", png(64, 64, seed=i), "image/png")) for i in range(3)],
    )
    assert batch.status_code == 200, batch.text
    body = batch.json()
    assert body["version"] == registry.v1 and len(body["predictions"]) == 3
    assert [p["filename"] for p in body["predictions"]] == ["0.png", "1.png", "2.png"]
    for p in body["predictions"]:
        assert set(p) >= {"label", "probability", "version"} and p["version"] == registry.v1
        assert abs(sum(p["probabilities"].values()) - 1) < 1e-9


def test_model_health_and_readiness(limits_server: Server, registry: Registry) -> None:
    http = limits_server.http
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "version": registry.v1}
    info = limits_server.model()
    assert {"version", "stage", "commit", "metrics", "loaded_at", "last_check"} <= set(info)
    assert info["commit"] == registry.c1 and info["following_stage"] == "prod"
    assert info["last_check"]["ok"] is True and info["last_check"]["error"] is None


def test_admin_reload_needs_the_bearer_token(limits_server: Server, registry: Registry) -> None:
    http = limits_server.http
    assert http.post("/v1/admin/reload").status_code == 401
    wrong = http.post("/v1/admin/reload", headers={"authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and "Bearer" in wrong.json()["detail"]
    basic = http.post("/v1/admin/reload", headers={"authorization": "Basic YTpi"})
    assert basic.status_code == 401
    right = http.post("/v1/admin/reload", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert right.status_code == 200, right.text
    assert right.json()["version"] == registry.v1 and right.json()["last_check"]["ok"] is True


def test_metrics_count_by_route_status_and_version(
    limits_server: Server, registry: Registry
) -> None:
    http = limits_server.http
    limits_server.predict(tiny_png())
    http.post("/v1/predict", content=b"", headers={"content-type": "image/png"})
    http.get("/nowhere")
    text = http.get("/metrics").text
    labels = r'\{model_version="%s",route="/v1/predict",status="%s"\} (\d+)'
    ok = re.search(r"catdetector_requests_total" + labels % (registry.v1, 200), text)
    bad = re.search(r"catdetector_requests_total" + labels % (registry.v1, 422), text)
    assert ok and int(ok.group(1)) >= 1, text
    assert bad and int(bad.group(1)) >= 1, text
    assert 'route="other",status="404"' in text
    assert 'catdetector_request_seconds_bucket{le="0.005",route="/v1/predict"}' in text
    assert 'catdetector_request_seconds_count{route="/v1/predict"}' in text
    assert "catdetector_model_swaps_total" in text


def test_openapi_and_docs(limits_server: Server) -> None:
    http = limits_server.http
    schema = http.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/model", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    assert "/v1/admin/reload" in schema["paths"]  # the token is set on this server
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(limits_server: Server, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{limits_server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "100",
            "--phases",
            "examples,coverage,fuzzing",
            "--header",
            f"Authorization: Bearer {ADMIN_TOKEN}",
            "--seed",
            "1",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "passed" in proc.stdout
    assert limits_server.http.get("/healthz").status_code == 200
    assert " 500 " not in limits_server.log() and "Traceback" not in limits_server.log()
