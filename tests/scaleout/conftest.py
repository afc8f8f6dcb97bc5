"""The documented scale-out on one machine: replicas behind nginx, one PostgreSQL log,
one S3 remote (moto), one bare git registry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.monitor.conftest import postgres, postgres_cluster
from tests.monitor.pg import Postgres
from tests.nginx import Nginx, nginx_binary
from tests.s3 import MotoServer, moto_s3
from tests.serve.conftest import pytest_runtest_makereport, registry, show_server_logs_on_failure
from tests.serve.remotes import upload_tree
from tests.serve.serving import Registry, Server, clean_env
from tests.support import free_port

__all__ = [
    "postgres",
    "postgres_cluster",
    "pytest_runtest_makereport",
    "registry",
    "show_server_logs_on_failure",
]

BUCKET, PREFIX = "models", "store"


@dataclass
class Cluster:
    """What the test drives: the registry's working clone, the replicas, nginx, the log."""

    reg: Registry
    replicas: list[Server]
    nginx: Nginx
    log_url: str
    moto: MotoServer
    workdir: Path

    def args(self) -> list[str]:
        """The `catdetector serve` arguments of every replica (one worker each)."""
        return [
            "--registry", self.reg.url, "--stage", "prod", "--workers", "1",
            "--remote-config", f"url=s3://{BUCKET}/{PREFIX}",
            "--remote-config", f"endpointurl={self.moto.url}",
            "--log-db", self.log_url, "--no-log-images",
        ]  # fmt: skip

    def start_replica(self, port: int | None = None) -> Server:
        """A replica (on ``port``, e.g. again after a crash), ready."""
        server = Server(self.args(), self.workdir, clean_env(), port=port)
        server.wait_ready()
        return server


@pytest.fixture(scope="session")
def nginx_program() -> str:
    """Debian's nginx: skip (fail in CI) before the registry and the database are built."""
    return nginx_binary()


@pytest.fixture
def cluster(
    nginx_program: str,
    registry: Registry,
    postgres: Postgres,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cluster]:
    """3 replicas of `catdetector serve` following one registry (prod = v1) behind nginx."""
    reg = registry.private_copy(tmp_path / "reg")
    with moto_s3(tmp_path / "moto.log", monkeypatch, BUCKET) as moto:
        upload_tree(moto.client(), BUCKET, PREFIX, reg.storage)
        ports = [free_port() for _ in range(3)]
        # No keep-alive connections to the replicas (tests/nginx.py's default): a POST
        # written on a cached connection to a replica that has just died counts as sent,
        # so nginx would not move it on, and it would fail without having been in flight.
        # (One run with `keepalive 16` passed as well: 4 failed in flight, none other.)
        made = Cluster(reg, [], Nginx(tmp_path / "nginx", ports), postgres.url, moto, tmp_path)
        try:
            made.replicas = [made.start_replica(port) for port in ports]
            made.nginx.start()
            yield made
        finally:
            made.nginx.stop()
            for server in made.replicas:
                server.stop()
