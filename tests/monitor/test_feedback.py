"""Feedback end to end: POST /v1/feedback, export with provenance, prepare's refusal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from catdetector.core.errors import DataError
from tests.monitor.test_predlog_server import stop_with_sigterm
from tests.serve.serving import Server, png
from tests.support import cli


def feedback(
    server: Server, request_id: str, label: str, source: str = "human"
) -> tuple[int, dict]:
    resp = server.http.post(
        "/v1/feedback", json={"request_id": request_id, "label": label, "source": source}
    )
    return resp.status_code, resp.json()


@pytest.mark.slow  # a server, feedback, export and a dvc repro
def test_feedback_flow_export_and_prepare_refusal(
    serve: Callable[..., Server], tmp_path: Path, project_copy: Path
) -> None:
    db, images = tmp_path / "log.sqlite", tmp_path / "inputs"
    server = serve("--log-db", str(db), "--log-images", str(images))
    inputs = [png(80, 80, seed=100 + i) for i in range(4)]
    ids = []
    for data in inputs:
        resp = server.predict(data)
        assert resp.status_code == 200
        ids.append(resp.json()["request_id"])
    # Labelled right away: the record may still be queued; the server waits for it.
    status, body = feedback(server, ids[0], "cat")
    assert status == 201 and body["label"] == "cat" and body["source"] == "human"
    assert feedback(server, ids[1], "other", "crowd")[0] == 201
    assert feedback(server, ids[2], "cat", "human")[0] == 201
    assert feedback(server, ids[3], "cat", "model:v0.1.0")[0] == 201  # stored, never exported

    status, body = feedback(server, "f" * 32, "cat")
    assert status == 404 and "no prediction with request id" in body["detail"]
    status, body = feedback(server, ids[0], "dog")
    assert status == 422 and "not one of the model's labels" in body["detail"]
    status, body = feedback(server, ids[1], "cat", "Bob Smith!")
    assert status == 422 and "not a source name" in body["detail"]
    status, body = feedback(server, ids[0], "other")
    assert status == 409 and "already has the label 'cat' from human" in body["detail"]
    stop_with_sigterm(server)

    out = tmp_path / "exported"
    refused = cli("feedback", "export", str(out), "--log-db", str(db), cwd=tmp_path, check=False)
    assert refused.returncode == DataError.exit_code
    assert "came from a model" in refused.stderr and ids[3] in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 3 and "Traceback" not in refused.stderr
    assert not out.exists()  # nothing half-written

    args = ["feedback", "export", str(out), "--log-db", str(db), "--skip-model-labels", "--json"]
    summary = json.loads(cli(*args, cwd=tmp_path).stdout)
    assert len(summary["written"]) == 3 and summary["skipped_model_labels"] == [ids[3]]
    manifest = json.loads((out / "provenance.json").read_text())["files"]
    assert set(manifest) == set(summary["written"])
    for rel, entry in manifest.items():
        data = (out / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert rel == f"{entry['label']}/{entry['sha256']}.png"
        assert entry["source"] in ("human", "crowd") and entry["request_id"] in ids[:3]
        assert entry["model_version"] and entry["time"]
    by_request = {e["request_id"]: e for e in manifest.values()}
    assert by_request[ids[1]]["label"] == "other" and by_request[ids[1]]["source"] == "crowd"
    again = json.loads(cli(*args, cwd=tmp_path).stdout)
    assert again["written"] == [] and len(again["already_there"]) == 3

    # The images moved: --images says where they are now.
    moved = tmp_path / "moved-inputs"
    shutil.move(images, moved)
    out2 = tmp_path / "exported2"
    cli(*args[:2], str(out2), *args[3:], "--images", str(moved), cwd=tmp_path)
    assert len(list(out2.glob("*/*.png"))) == 3

    # prepare takes the human labels...
    raw = project_copy / "data" / "raw"
    for rel in manifest:
        shutil.copy(out / rel, raw / rel)
    (raw / "provenance.json").write_text(json.dumps({"format": 1, "files": manifest}))
    cli("stage", "prepare", cwd=project_copy)
    # ... and refuses a file whose manifest entry says a model labelled it, naming it.
    model_file = "cat/" + "b" * 64 + ".png"
    shutil.copy(out / next(iter(manifest)), raw / model_file)
    manifest[model_file] = {**next(iter(manifest.values())), "source": "model"}
    (raw / "provenance.json").write_text(json.dumps({"format": 1, "files": manifest}))
    refused = cli("stage", "prepare", cwd=project_copy, check=False)
    assert refused.returncode == DataError.exit_code
    assert "label came from a model" in refused.stderr and model_file in refused.stderr


@pytest.mark.slow  # a server and several CLI runs (9 s of CPU)
def test_export_refuses_clearly(tmp_path: Path, serve: Callable[..., Server]) -> None:
    db = tmp_path / "log.sqlite"
    empty = cli(
        "feedback", "export", str(tmp_path / "o"), "--log-db", str(db), cwd=tmp_path, check=False
    )
    # a reader: the missing log is one line, and is not created
    assert empty.returncode == 14 and f"no prediction log at {db}" in empty.stderr
    assert not db.exists()
    images = tmp_path / "inputs"  # (a server without --log-images refuses feedback)
    server = serve("--log-db", str(db), "--log-images", str(images))
    rid = server.predict(png(seed=3)).json()["request_id"]
    assert feedback(server, rid, "cat")[0] == 201
    stop_with_sigterm(server)
    shutil.rmtree(images)  # the kept inputs are gone: nothing to export
    missing = cli(
        "feedback", "export", str(tmp_path / "o"), "--log-db", str(db), cwd=tmp_path, check=False
    )
    assert missing.returncode == DataError.exit_code
    assert "no stored input image" in missing.stderr and "--log-images" in missing.stderr
    # $CATDETECTOR_LOG_DB names the log as for the server and `monitor`: the same refusal
    from_env = cli(
        "feedback", "export", str(tmp_path / "o"), cwd=tmp_path, check=False,
        env={**os.environ, "CATDETECTOR_LOG_DB": str(db)},
    )
    assert from_env.returncode == DataError.exit_code
    assert "no stored input image" in from_env.stderr
