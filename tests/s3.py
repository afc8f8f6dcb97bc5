"""One S3 endpoint for tests that need one: moto's standalone server on 127.0.0.1.

The server class lives in tests/workflow/conftest.py (where the S3 workflow tests
started it); this module is the one place other tests start it from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.workflow.conftest import MotoServer

__all__ = ["MotoServer", "moto_s3"]


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
