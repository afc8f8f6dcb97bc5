"""The c1 client of the serve benches (bench/serve.py ``KeepAlive``) against real servers.

A server may close an idle keep-alive connection (uvicorn after ``timeout_keep_alive``);
the client must then reconnect instead of failing (issue 27: the one ``--compare`` run
stopped on an empty status line), and must count, never hide, a request left without an
answer.
"""

from __future__ import annotations

import importlib.util
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

BENCH = Path(__file__).resolve().parents[2] / "bench" / "serve.py"
REQUEST = b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
ANSWER = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"version":"1"}'


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench/serve.py as a module."""
    spec = importlib.util.spec_from_file_location("bench_serve", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal ASGI app answering every request like /v1/predict."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-length", b"15")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"version":"1"}'})


@pytest.fixture
def uvicorn_port() -> Iterator[int]:
    """A real uvicorn on loopback closing idle keep-alive connections after 1 s."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # connections queue from here on: no wait for the server's start
    server = uvicorn.Server(
        uvicorn.Config(app, timeout_keep_alive=1, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


def scripted_server(script: list[list[str]]) -> tuple[int, threading.Thread]:
    """A raw server: connection i handles its requests as ``script[i]`` says, in turn:
    "answer" (a 200) or "close" (read the request, close without an answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        with listener:
            for actions in script:
                conn, _ = listener.accept()
                with conn:
                    for action in actions:
                        got = b""
                        while not got.endswith(b"hi"):
                            chunk = conn.recv(4096)
                            if not chunk:
                                return  # the client went away: the script is not followed
                            got += chunk
                        if action == "close":
                            break
                        conn.sendall(ANSWER)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def wait_closed_by_server(sock: socket.socket) -> None:
    """Wait for the server's close of an idle connection (the socket turns readable)."""
    assert select.select([sock], [], [], 60)[0], "the server kept the idle connection open"


def test_reconnects_after_the_server_closed_an_idle_connection(
    bench: ModuleType, uvicorn_port: int
) -> None:
    client = bench.KeepAlive("127.0.0.1", uvicorn_port, b'"version"')
    assert client.request(REQUEST) is True
    wait_closed_by_server(client.sock)
    client.ready()
    assert client.request(REQUEST) is True
    assert (client.reconnects, client.resent, client.failed) == (1, 0, 0)
    client.close()


def test_a_close_after_the_request_on_a_reused_connection_is_resent_once_and_counted(
    bench: ModuleType,
) -> None:
    port, thread = scripted_server([["answer", "close"], ["answer"]])
    client = bench.KeepAlive("127.0.0.1", port, b'"version"')
    assert client.request(REQUEST) is True
    assert client.request(REQUEST) is True
    assert (client.reconnects, client.resent, client.failed) == (0, 1, 0)
    client.close()
    thread.join(timeout=30)


def test_a_request_left_without_an_answer_is_a_counted_failure_not_a_crash(
    bench: ModuleType,
) -> None:
    # a new connection closed without an answer; then a reused one whose resend fails too
    port, thread = scripted_server([["close"], ["answer", "close"], ["close"], ["answer"]])
    client = bench.KeepAlive("127.0.0.1", port, b'"version"')
    assert client.request(REQUEST) is None
    assert client.request(REQUEST) is True
    assert client.request(REQUEST) is None
    assert client.request(REQUEST) is True
    assert (client.failed, client.resent) == (2, 1)
    assert all("without an answer" in e for e in client.errors)
    client.close()
    thread.join(timeout=30)
