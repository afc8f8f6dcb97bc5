"""Real remotes with real credentials: an S3 endpoint (moto) and a git server with a password.

Secrets given to the server (a registry URL with a token, S3 keys in --remote-config)
must reach git and DVC, and nothing else: no HTTP body, no log line, no command line
of a child process. A tampered S3 remote is refused like a tampered local one.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.s3 import MotoServer, moto_s3
from tests.serve.remotes import GitHTTP, proc_cmdlines, upload_tree
from tests.serve.serving import Registry, Server, tiny_png
from tests.serve.test_integrity import MISMATCH, refusals, remote_objects

TOKEN = "tok-PLANTED-9f3a2b"
SECRET_KEY = "sk-PLANTED-77e1c0/Zx+q"
KEY_ID = "AKIAPLANTED4242"
SECRETS = (TOKEN, SECRET_KEY, KEY_ID)
BUCKET, PREFIX = "models", "store"


@pytest.fixture
def moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A fresh S3 endpoint on 127.0.0.1 with the bucket; test keys in the environment."""
    with moto_s3(tmp_path / "moto.log", monkeypatch, BUCKET) as server:
        yield server


@pytest.fixture
def s3_registry(private_registry: Registry, moto: MotoServer) -> Registry:
    """The private registry's DVC remote copied into S3 (same layout)."""
    upload_tree(moto.client(), BUCKET, PREFIX, private_registry.storage)
    return private_registry


def s3_keys(storage: Path, md5: str) -> dict[str, str]:
    """The S3 keys of a version's files (and of its .dir listing under '.dir')."""
    keys = {
        rel: f"{PREFIX}/{path.relative_to(storage).as_posix()}"
        for rel, path in remote_objects(storage, md5).items()
    }
    keys[".dir"] = f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}.dir"
    return keys


class CmdlineWatch:
    """Reads every process's command line in a loop until stopped; keeps any with a secret."""

    def __init__(self, server_pid: int) -> None:
        # The server's own command line holds what the user typed; a child of the server
        # shows it too between fork and exec (caught by this scan), then its own.
        raw = Path(f"/proc/{server_pid}/cmdline").read_bytes()
        self.ignore = raw.replace(b"\0", b" ").decode(errors="replace")
        self.leaks: set[str] = set()
        self.dvc_seen = 0
        self.git_seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for _, cmd in proc_cmdlines():
                if cmd == self.ignore:
                    continue
                if " get " in cmd and "dvc" in cmd:
                    self.dvc_seen += 1
                if "git" in cmd and "127.0.0.1" in cmd:
                    self.git_seen += 1
                if any(secret in cmd for secret in SECRETS):
                    self.leaks.add(cmd)
            self._stop.wait(0.002)  # pace the scan: leave the cores to the server and dvc

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def everything_visible(server: Server) -> dict[str, str]:
    """Every endpoint's body (and headers), and the log."""
    seen = {}
    for path in ("/healthz", "/readyz", "/v1/model", "/v1/monitor/summary", "/metrics", "/"):
        resp = server.http.get(path)
        seen[path] = f"{resp.status_code} {resp.headers} {resp.text}"
    for path in ("/openapi.json", "/nowhere"):
        resp = server.http.get(path)
        seen[path] = f"{resp.status_code} {resp.text}"
    resp = server.predict(tiny_png())
    seen["/v1/predict"] = f"{resp.status_code} {resp.headers} {resp.text}"
    seen["log"] = server.log()
    return seen


@pytest.mark.slow
def test_secrets_never_leave_the_process(
    s3_registry: Registry, moto: MotoServer, start_server: Callable[..., Server]
) -> None:
    reg = s3_registry
    git_http = GitHTTP(reg.origin.parent, "bob", TOKEN)
    url = git_http.url(reg.origin.name, f"bob:{TOKEN}")
    args = [
        "--registry", url, "--stage", "prod",
        "--remote-config", f"url=s3://{BUCKET}/{PREFIX}",
        "--remote-config", f"endpointurl={moto.url}",
        "--remote-config", f"access_key_id={KEY_ID}",
        "--remote-config", f"secret_access_key={SECRET_KEY}",
    ]  # fmt: skip
    watch: CmdlineWatch | None = None
    try:
        server = start_server(*args, ready=False)
        watch = CmdlineWatch(server.proc.pid)
        server.wait_ready()
        # the credentials did reach git (the server refuses without them) and DVC (S3)
        assert git_http.refused >= 1 and git_http.requests > git_http.refused
        info = server.model()
        assert info["version"] == reg.v1
        assert info["registry"] == git_http.url(reg.origin.name)  # shown without userinfo
        server.wait_log(f"prefetched {reg.v2}")

        # a fetch that fails: v1 is gone from S3 and from the cache, and prod goes back to it
        reg.promote(reg.v2)
        server.wait_version(reg.v2)
        client = moto.client()
        for key in s3_keys(reg.storage, reg.bundle_md5(reg.c1)).values():
            client.delete_object(Bucket=BUCKET, Key=key)
        shutil.rmtree(server.cache_dir / "bundles" / reg.bundle_md5(reg.c1))
        reg.rollback()
        check = server.wait_check(reg.v1)["last_check"]
        assert check["ok"] is False and "dvc get" in check["error"], check
        assert refusals(server, "remote") == 1

        # a poll that fails: the registry is down
        git_http.stop()
        deadline = time.monotonic() + 30
        while not server.model()["poll_error"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "ls-remote" in (server.model()["poll_error"] or ""), server.model()

        watch.stop()
        assert watch.dvc_seen > 0 and watch.git_seen > 0  # it looked while they ran
        assert not watch.leaks, sorted(watch.leaks)[:3]
        visible = everything_visible(server)
        for where, text in visible.items():
            for secret in SECRETS:
                assert secret not in text, f"{secret} in {where}: {text[:2000]}"
        leftovers = [
            p for p in server.cache_dir.rglob("*")
            if p.is_file() and any(s.encode() in p.read_bytes() for s in SECRETS)
        ]  # fmt: skip
        assert not leftovers  # the private DVC config file is gone
    finally:
        if watch is not None:
            watch.stop()
        if git_http.thread.is_alive():
            git_http.stop()


@pytest.mark.slow
def test_a_tampered_s3_remote_is_refused(
    s3_registry: Registry, moto: MotoServer, start_server: Callable[..., Server]
) -> None:
    reg = s3_registry
    client = moto.client()
    victim = s3_keys(reg.storage, reg.bundle_md5(reg.c2))
    donor = s3_keys(reg.storage, reg.bundle_md5(reg.c1))
    for rel in ("model.json", "model.skops"):  # v1's whole bundle under v2's hashes
        body = client.get_object(Bucket=BUCKET, Key=donor[rel])["Body"].read()
        client.put_object(Bucket=BUCKET, Key=victim[rel], Body=body)
    server = start_server(
        "--registry", reg.url, "--stage", "prod",
        "--remote-config", f"url=s3://{BUCKET}/{PREFIX}",
        "--remote-config", f"endpointurl={moto.url}",
    )  # fmt: skip
    assert server.model()["version"] == reg.v1
    server.wait_log(f"prefetch of {reg.v2} failed")
    reg.promote(reg.v2)
    info = server.wait_check(reg.v2)
    assert info["last_check"]["ok"] is False and MISMATCH in info["last_check"]["error"]
    assert info["version"] == reg.v1
    assert server.predict(tiny_png()).json()["version"] == reg.v1
    assert MISMATCH in server.http.get("/readyz").json()["last_candidate_refused"]["error"]
    assert refusals(server, "integrity") == 1
    assert not (server.cache_dir / "bundles" / reg.bundle_md5(reg.c2)).exists()
