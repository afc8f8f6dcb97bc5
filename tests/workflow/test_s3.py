"""DVC on a real S3 protocol endpoint (moto's server on 127.0.0.1): push, pull, serve, outage."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.s3 import MotoServer
from tests.support import BIN, cli, free_port, git, make_trained_project, publish, run


def _bob(tmp_path: Path, s3: MotoServer) -> Path:
    return make_trained_project(
        tmp_path / "bob", n=80, seed=1, remote="s3://models/catdetector", endpoint_url=s3.url
    )


def _origin(tmp_path: Path, bob: Path) -> Path:
    return publish(bob, tmp_path, "github.git", dvc_push=False)


@pytest.mark.slow  # a trained project on S3, two clones
def test_push_from_one_clone_pull_from_another(tmp_path: Path, s3: MotoServer) -> None:
    bob = _bob(tmp_path, s3)
    run(["dvc", "push", "-q"], bob)
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket="models")["Contents"]]
    assert keys and all(k.startswith("catdetector/") for k in keys)
    assert "testing" not in (bob / ".dvc/config").read_text()
    origin = _origin(tmp_path, bob)
    alice = tmp_path / "alice"
    run(["git", "clone", "-q", str(origin), str(alice)], tmp_path)
    run(["dvc", "remote", "modify", "--local", "storage", "endpointurl", s3.url], alice)
    run(["dvc", "pull", "-q"], alice)
    for rel in ("models/catdetector/model.skops", "models/catdetector/model.json"):
        assert (alice / rel).read_bytes() == (bob / rel).read_bytes()


def _serve(tmp_path: Path, origin: Path, s3: MotoServer) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(BIN / "catdetector"),
            "serve",
            "--registry",
            str(origin),
            "--stage",
            "prod",
            "--port",
            str(port),
            "--poll-interval",
            "0.3",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--remote-config",
            f"endpointurl={s3.url}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError((tmp_path / "server.log").read_text()[-2000:])


@pytest.mark.slow  # a trained project on S3, a server, an outage
def test_serve_from_s3_and_survive_an_outage(tmp_path: Path, s3: MotoServer) -> None:
    bob = _bob(tmp_path, s3)
    run(["dvc", "push", "-q"], bob)
    origin = _origin(tmp_path, bob)
    cli("register", "--push", cwd=bob)
    cli("promote", "v0.1.0", "--stage", "prod", "--push", cwd=bob)
    server, port = _serve(tmp_path, origin, s3)
    try:
        image = sorted((bob / "data/raw/cat").iterdir())[0].read_bytes()
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/predict",
            content=image,
            headers={"content-type": "image/png"},
        )
        assert resp.status_code == 200 and resp.json()["version"] == "v0.1.0"

        # v2 is trained and committed, but S3 goes down before anyone could push it
        (bob / "params.yaml").write_text(
            (bob / "params.yaml").read_text().replace("seed: 42", "seed: 7")
        )
        run(["dvc", "repro", "-q"], bob)
        git("add", "-A", cwd=bob)
        git("commit", "-qm", "v2", cwd=bob)
        s3.stop()
        push = run(["dvc", "push"], bob, check=False)
        assert push.returncode != 0
        reg = cli("register", cwd=bob, check=False)
        assert reg.returncode == 8 and "cannot reach the DVC remote" in reg.stderr
        assert "Traceback" not in reg.stderr
        assert git("tag", "-l", "catdetector@v0.1.1", cwd=bob) == ""  # nothing half-registered

        # a version whose bundle cannot be fetched is promoted anyway: the server keeps v1
        git(
            "tag",
            "-a",
            "catdetector@v0.1.1",
            "-m",
            "Registering artifact catdetector version v0.1.1",
            cwd=bob,
        )
        git("push", "-q", "origin", "main", "catdetector@v0.1.1", cwd=bob)
        cli(
            "promote",
            "v0.1.1",
            "--stage",
            "prod",
            "--force",
            "--reason",
            "outage test",
            "--push",
            cwd=bob,
        )
        deadline = time.time() + 120
        info: dict = {}
        while time.time() < deadline:
            info = httpx.get(f"http://127.0.0.1:{port}/v1/model").json()
            if info["last_check"] and info["last_check"]["version"] == "v0.1.1":
                break
            time.sleep(0.3)
        assert info["version"] == "v0.1.0"
        assert info["last_check"]["ok"] is False
        assert "dvc get" in info["last_check"]["error"] or "remote" in info["last_check"]["error"]
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/predict",
            content=image,
            headers={"content-type": "image/png"},
        )
        assert resp.status_code == 200 and resp.json()["version"] == "v0.1.0"
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
        assert ready["last_candidate_refused"]["version"] == "v0.1.1"
        # nothing half-written: one bundle (v1); a `.MD5.*` folder is a fetch of v2 in flight
        # (a refusal for an unreachable remote is tried again at each poll)
        bundles = [b for b in (tmp_path / "cache/bundles").iterdir() if not b.name.startswith(".")]
        assert len(bundles) == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
