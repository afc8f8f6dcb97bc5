"""Fixtures of the serve tests: one registry per session, real servers on loopback ports.

The session ``registry`` is never changed after it is built (prod = v1): tests that
promote or roll back work on ``registry.private_copy(...)`` and start their own server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.serve.serving import LIVE, Registry, Server, build_registry, clean_env

ADMIN_TOKEN = "s3cret-admin-token"
LIMITS = {
    "CATDETECTOR_MAX_BODY_BYTES": "100000",
    "CATDETECTOR_MAX_PIXELS": "1000000",
    "CATDETECTOR_MAX_BATCH": "3",
}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember each phase's report on the item, for the log-on-failure fixture."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def show_server_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """When a test fails, print the logs of the servers that are running (pytest shows them)."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for server in LIVE:
            print(f"\n===== log of the server on {server.url} ({server.log_path}) =====")
            print(server.log()[-20000:])


@pytest.fixture(scope="session")
def registry(trained_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A bare origin + DVC remote with v1 (good) and v2 (labels shuffled); prod = v1. Read-only.

    One per pytest-xdist worker, never shared between them (unlike ``trained_project``):
    its commits name its DVC remote, which every private copy shares, and some tests
    move that remote away or tamper with it for a while.
    """
    return build_registry(trained_project, tmp_path_factory.mktemp("serve-registry"))


@pytest.fixture
def private_registry(registry: Registry, tmp_path: Path) -> Registry:
    """A copy of the registry that a test may promote and roll back in."""
    return registry.private_copy(tmp_path / "reg")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `catdetector serve ARGS` (ready on /readyz); every one is stopped after the test."""
    started: list[Server] = []

    def start(*args: str, ready: bool = True, **env: str) -> Server:
        server = Server(list(args), tmp_path, clean_env(**env))
        started.append(server)
        if ready:
            server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def limits_server(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on the session registry with small limits and an admin token (read-only use)."""
    server = Server(
        ["--registry", registry.url, "--stage", "prod"],
        tmp_path_factory.mktemp("limits-server"),
        clean_env(CATDETECTOR_ADMIN_TOKEN=ADMIN_TOKEN, **LIMITS),
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
