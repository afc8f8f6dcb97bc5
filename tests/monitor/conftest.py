"""Fixtures of the monitor tests: a served bundle, real servers, a private PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.monitor.pg import Postgres, pg_bin
from tests.serve.conftest import (
    private_registry,
    pytest_runtest_makereport,
    registry,
    show_server_logs_on_failure,
    start_server,
)
from tests.serve.serving import MODEL_DIR, Server, serving
from tests.support import system_package_missing

__all__ = [
    "private_registry",
    "pytest_runtest_makereport",
    "registry",
    "show_server_logs_on_failure",
    "start_server",
]


@pytest.fixture(scope="session")
def bundle(trained_project: Path) -> Path:
    """The trained project's model bundle (read-only)."""
    return trained_project / MODEL_DIR


@pytest.fixture
def serve(start_server: Callable[..., Server], bundle: Path) -> Callable[..., Server]:
    """Start `catdetector serve --bundle BUNDLE ARGS` (stopped after the test)."""

    def start(*args: str, **kw: Any) -> Server:
        return start_server("--bundle", str(bundle), *args, **kw)

    return start


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Postgres]:
    """A private PostgreSQL cluster (Debian's binaries), running; skip when they are absent."""
    bindir = pg_bin()
    if bindir is None:
        system_package_missing("postgresql", "PostgreSQL's server binaries")
    cluster = Postgres(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def postgres(postgres_cluster: Postgres) -> Iterator[Postgres]:
    """The cluster with an empty ``postgres`` database, running again if a test stopped it."""
    import sqlalchemy as sa

    from catdetector.monitor.store import database_url

    if not postgres_cluster.running():
        postgres_cluster.start()
    engine = sa.create_engine(database_url(postgres_cluster.url))
    with engine.begin() as conn:  # every table of every revision, and any a test made
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    yield postgres_cluster
    if not postgres_cluster.running():
        postgres_cluster.start()


@pytest.fixture
def tiny_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of our own (256 KiB, or the size given by indirect parametrisation): a disk
    that really fills (ENOSPC); skip when not root."""
    import subprocess

    size = getattr(request, "param", "256k")

    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.fixture
def logged_server(trained_project: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of the trained bundle, logging to a SQLite file."""
    bundle = trained_project / "models/catdetector"
    with serving(
        ["--bundle", str(bundle), "--log-db", str(tmp_path / "log.sqlite")], tmp_path
    ) as s:
        yield s
