"""One S3 endpoint for every test that needs one: moto's standalone server on 127.0.0.1.

``moto_s3(log, monkeypatch, bucket)`` starts a fresh endpoint with ``bucket`` made and
test credentials in the environment, and stops it after. A test can stop the endpoint
(an outage) and start it again on the same port; moto keeps its buckets in memory, so
a restarted endpoint is empty until the test puts the bucket and objects back.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support import free_port

__all__ = ["MotoServer", "moto_s3"]


class MotoServer:
    """A moto_server subprocess that a test can stop (an outage) and start again."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the endpoint; return once it accepts connections."""
        exe = Path(sys.executable).parent / "moto_server"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(exe), "-H", "127.0.0.1", "-p", str(self.port)], stdout=out, stderr=out
            )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"moto_server did not start: {self.log.read_text()[-500:]}")

    def stop(self) -> None:
        """Stop the endpoint (connections to its port are refused from now on)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def client(self) -> Any:
        """A boto3 S3 client of this endpoint."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")


@contextmanager
def moto_s3(log: Path, monkeypatch: pytest.MonkeyPatch, bucket: str) -> Iterator[MotoServer]:
    """A started moto server with ``bucket``; test credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = MotoServer(log)
    server.start()
    try:
        server.client().create_bucket(Bucket=bucket)
        yield server
    finally:
        server.stop()
