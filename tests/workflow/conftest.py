"""S3 for the workflow tests: moto's standalone server on 127.0.0.1 (see tests/s3.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3 import MotoServer, moto_s3

__all__ = ["MotoServer"]


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A fresh S3 endpoint with bucket ``models`` and test credentials in the environment."""
    with moto_s3(tmp_path / "moto.log", monkeypatch, "models") as server:
        yield server
