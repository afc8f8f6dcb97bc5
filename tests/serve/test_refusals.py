"""Candidates that fail a load check are not served: the previous model keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.fingerprint import package_version
from tests.serve.serving import Registry, Server, edit_meta, rewrite, tiny_png

# a registry, a candidate published and refused, a server: about 15 s of CPU each
pytestmark = pytest.mark.slow


def _other_sklearn(meta: dict[str, Any]) -> None:
    meta["environment"]["packages"]["scikit-learn"] = "0.24.2"


def _golden_off(meta: dict[str, Any]) -> None:
    probs = meta["golden"][0]["probabilities"]
    meta["golden"][0]["probabilities"] = [probs[1], probs[0]]  # swapped classes


def _truncate(bundle: Path) -> None:
    blob = (bundle / "model.skops").read_bytes()
    rewrite(bundle / "model.skops", blob[: len(blob) // 2])  # model.json still names the full one


DEFECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fingerprint of another scikit-learn": (
        lambda b: edit_meta(b, _other_sklearn),
        "scikit-learn 0.24.2 (trained) vs",
    ),
    "golden outputs that do not match": (
        lambda b: edit_meta(b, _golden_off),
        "golden samples differ",
    ),
    "truncated model.skops": (_truncate, "does not match model.json"),
}


def _assert_refused(server: Server, reg: Registry, candidate: str, error: str) -> None:
    info = server.wait_check(candidate)
    check = info["last_check"]
    assert check["ok"] is False and error in check["error"], check
    assert info["version"] == reg.v1  # the previous model keeps serving
    ready = server.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    refused = ready.json()["last_candidate_refused"]
    assert refused["version"] == candidate and error in refused["error"]
    resp = server.predict(tiny_png())
    assert resp.status_code == 200 and resp.json()["version"] == reg.v1
    server.wait_log(f"refused {candidate}")
    assert f"still serving {reg.v1}" in server.log()


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_refused_candidate_leaves_the_old_model_serving(
    private_registry: Registry, start_server: Callable[..., Server], defect: str
) -> None:
    reg = private_registry
    edit, error = DEFECTS[defect]
    server = start_server("--registry", reg.url, "--stage", "prod")
    candidate = reg.publish(f"candidate with {defect}", edit)
    assert reg.prod() == candidate  # the registry says so; the server refuses to follow
    _assert_refused(server, reg, candidate, error)
    # the refusal is remembered, not retried on every poll
    server.wait_polls(4)  # four more polls of the registry, each seeing the refused candidate
    assert server.log().count(f"refused {candidate}") == 1

    # the next good promotion is followed as usual
    reg.promote(reg.v2, "fix forward")
    server.wait_version(reg.v2)
    info = server.model()
    assert info["last_check"]["ok"] is True and info["last_check"]["version"] == reg.v2
    assert "last_candidate_refused" not in server.http.get("/readyz").json()


def test_allow_env_mismatch_serves_and_reports_it(
    private_registry: Registry, start_server: Callable[..., Server]
) -> None:
    reg = private_registry
    strict = start_server("--registry", reg.url, "--stage", "prod")
    candidate = reg.publish(
        "candidate trained with scikit-learn 0.24.2",
        DEFECTS["fingerprint of another scikit-learn"][0],
    )
    _assert_refused(strict, reg, candidate, "scikit-learn 0.24.2 (trained) vs")

    lenient = start_server("--registry", reg.url, "--stage", "prod", "--allow-env-mismatch")
    info = lenient.model()
    assert info["version"] == candidate and info["env_mismatch_allowed"] is True
    running = package_version("scikit-learn")
    assert {
        "name": "scikit-learn",
        "recorded": "0.24.2",
        "running": running,
        "needed": True,
    } in info["environment_differences"]
    assert info["last_check"]["ok"] is True
    assert info["last_check"]["checks"]["env_mismatch_allowed"] is True
    resp = lenient.predict(tiny_png())
    assert resp.status_code == 200 and resp.json()["version"] == candidate
    # same estimator as v1, so the same answer; the strict server still answers with v1
    assert resp.json()["probability"] == strict.predict(tiny_png()).json()["probability"]
    assert strict.model()["version"] == reg.v1
