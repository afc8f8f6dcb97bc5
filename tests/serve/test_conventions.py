"""What a user of FastAPI and Prometheus expects of the server (issue 24).

/docs and /redoc render offline; an unreachable registry fails at start (or is waited
for); poll failures are logged once per change, with backoff; the Prometheus metrics
answer the usual questions; feedback's defaults and its refusal without kept images.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.errors import RegistryError
from tests.browser import Browser, Page, chromium
from tests.serve.serving import Registry, Server, clean_env, edit_meta, free_port, png, serving
from tests.support import BIN

NETGUARD = Path(__file__).resolve().parents[1] / "deep" / "netguard"
# Chromium reaches 127.0.0.1 only: every name fails to resolve, every other address
# goes through a proxy that is not there.
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)


def _until(what: str, check: Callable[[], object], timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


@pytest.mark.slow
def test_docs_render_with_no_network_but_loopback(trained_project: Path, tmp_path: Path) -> None:
    exe = chromium()  # skips without it (fails in CI: tests/support.py)
    guard_log = tmp_path / "netguard.log"
    env = clean_env(
        PYTHONPATH=os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")])),
        NETGUARD_LOG=str(guard_log),
    )
    args = ["--bundle", str(trained_project / "models/catdetector"), "--no-log"]
    with serving(args, tmp_path, env) as server:
        browser = Browser(exe, tmp_path / "profile", tmp_path / "chromium.log", OFFLINE_FLAGS)
        try:
            page = Page(browser)
            page.send("Page.navigate", {"url": f"{server.url}/docs"})
            page.wait(
                "Swagger UI", lambda: page.evaluate("document.querySelectorAll('.opblock').length")
            )
            title = page.evaluate("document.querySelector('.swagger-ui .info .title')?.textContent")
            assert title and "catdetector" in title
            paths = page.evaluate(
                "[...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent)"
            )
            assert "/v1/predict" in "".join(paths)
            loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
            assert loaded and all(url.startswith(server.url) for url in loaded), loaded

            page.send("Page.navigate", {"url": f"{server.url}/redoc"})
            page.wait("ReDoc", lambda: "Classify one image" in page.body_text())
            # ReDoc's bundle shows its maker's logo from its CDN (an image, which fails here
            # and changes nothing): every script, style sheet and fetch is the server's.
            loaded = page.evaluate(
                "performance.getEntriesByType('resource')"
                ".filter(e => e.initiatorType !== 'img').map(e => e.name)"
            )
            assert all(url.startswith(server.url) for url in loaded), loaded
        finally:
            browser.close()
    assert not guard_log.exists() or not guard_log.read_text()


def test_an_unreachable_registry_fails_at_start(tmp_path: Path) -> None:
    missing = tmp_path / "missing.git"
    proc = subprocess.run(
        [str(BIN / "catdetector"), "serve", "--registry", str(missing), "--port", str(free_port())],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == RegistryError.exit_code, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"cannot reach the registry {missing}" in errors[0], proc.stderr
    assert "--wait-for-registry" in proc.stderr and "Traceback" not in proc.stderr


def test_wait_for_registry_waits_for_it(
    registry: Registry, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    later = tmp_path / "later.git"
    server = start_server(
        "--registry", str(later), "--stage", "prod", "--wait-for-registry", "300", ready=False
    )
    server.wait_log("registry not reachable yet")
    shutil.copytree(registry.origin, later)  # the network comes up
    assert server.wait_ready(timeout=120)["version"] == registry.v1


@pytest.mark.slow  # 13-14 s: waits out the registry's back-off
def test_poll_failures_are_logged_once_and_backed_off(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod")
    away = reg.origin.with_name("away.git")
    reg.origin.rename(away)
    _until("three failed polls", lambda: server.model()["poll_failures"] >= 3)
    assert server.log().count("registry poll failed") == 1
    away.rename(reg.origin)
    server.wait_log("registry poll works again after")
    assert server.model()["poll_error"] is None


def _golden_off(meta: dict[str, Any]) -> None:
    probs = meta["golden"][0]["probabilities"]
    meta["golden"][0]["probabilities"] = [probs[1], probs[0]]


@pytest.mark.slow
def test_prometheus_metrics(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    server = start_server("--registry", reg.url, "--stage", "prod")
    label = server.predict(png(seed=5)).json()["label"]
    text = server.http.get("/metrics").text
    assert f'catdetector_predictions_total{{label="{label}",model_version="{reg.v1}"}} 1.0' in text
    assert f'catdetector_prediction_confidence_ratio_count{{model_version="{reg.v1}"}} 1.0' in text
    assert (
        'catdetector_model_info{rung="' in text and f'stage="prod",version="{reg.v1}"}} 1.0' in text
    )
    assert f'catdetector_model_swaps_total{{model_version="{reg.v1}"}} 1.0' in text

    candidate = reg.publish("golden outputs off", lambda b: edit_meta(b, _golden_off))
    server.wait_check(candidate)
    text = server.http.get("/metrics").text
    assert 'catdetector_model_refusals_total{reason="skew"} 1.0' in text

    reg.promote(reg.v2, "fix forward")
    server.wait_version(reg.v2)
    text = server.http.get("/metrics").text
    assert f'catdetector_model_swaps_total{{model_version="{reg.v2}"}} 1.0' in text
    info = [line for line in text.splitlines() if line.startswith("catdetector_model_info{")]
    assert len(info) == 1 and f'version="{reg.v2}"' in info[0], info


def test_feedback_source_defaults_to_human_and_needs_kept_images(
    trained_project: Path, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    from catdetector.core.config import default_images_dir

    bundle = str(trained_project / "models/catdetector")
    keeping = start_server("--bundle", bundle, "--log-db", str(tmp_path / "a.sqlite"))
    data = png(seed=2)
    rid = keeping.predict(data).json()["request_id"]
    resp = keeping.http.post("/v1/feedback", json={"request_id": rid, "label": "cat"})
    assert resp.status_code == 201 and resp.json()["source"] == "human", resp.text
    sha = hashlib.sha256(data).hexdigest()  # kept by default, where export finds it
    assert (default_images_dir() / sha[:2] / f"{sha}.png").is_file()

    not_keeping = start_server(
        "--bundle", bundle, "--log-db", str(tmp_path / "b.sqlite"), "--no-log-images"
    )
    rid = not_keeping.predict(png(seed=2)).json()["request_id"]
    resp = not_keeping.http.post("/v1/feedback", json={"request_id": rid, "label": "cat"})
    assert resp.status_code == 422 and "--no-log-images" in resp.json()["detail"], resp.text
