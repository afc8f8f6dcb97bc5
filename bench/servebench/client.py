"""Concurrency 1: the blocking keep-alive client, its passes, the pairs with in-process
predict."""

from __future__ import annotations

import argparse
import base64
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.servebench import config
from bench.servebench.inproc import load_model
from bench.servebench.loadgen import _host_port, _pct, _request
from bench.servebench.project import _children, _cpu_ticks, _photos


def _connect(host: str, port: int) -> tuple[socket.socket, Any]:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, sock.makefile("rb")


def _dropped(sock: socket.socket) -> bool:
    """True when an idle keep-alive connection can no longer be used (urllib3's check).

    Between requests nothing is due from the server, so a readable socket means it
    closed the connection (EOF; uvicorn does after 5 s idle) or sent something unasked.
    """
    return bool(select.select([sock], [], [], 0)[0])


class KeepAlive:
    """A blocking HTTP/1.1 client on one keep-alive connection (the c1 client).

    Before it reuses the connection it checks whether the server closed it while idle
    and reconnects first (``reconnects``): the request was never sent. If the server
    closes a reused connection after the request was sent but before any byte of the
    answer (the close raced the send), it resends once on a new connection, as HTTP
    clients do for a reused connection (``resent``). Every other failure (a status other
    than 200, a short or missing answer on a new connection, a resend that fails) is
    counted in ``failed`` with its reason in ``errors`` (the first 5), never retried.
    """

    def __init__(self, host: str, port: int, expect: bytes) -> None:
        self.host, self.port, self.expect = host, port, expect
        self.sock, self.stream = _connect(host, port)
        self.fresh = True  # no request sent on this connection yet
        self.reconnects = self.resent = self.failed = 0
        self.errors: list[str] = []

    def _reconnect(self) -> None:
        self.stream.close()
        self.sock.close()
        self.sock, self.stream = _connect(self.host, self.port)
        self.fresh = True

    def _fail(self, why: str) -> None:
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(why)
        self._reconnect()  # the state of this connection is unknown

    def ready(self) -> None:
        """Reconnect when the server closed the idle connection (call before timing)."""
        if not self.fresh and _dropped(self.sock):
            self.reconnects += 1
            self._reconnect()

    def request(self, data: bytes) -> bool | None:
        """Send one request and read its answer: True for a 200 with ``expect``, False for
        another answer, None for none (both counted in ``failed``)."""
        reused = not self.fresh
        self.fresh = False
        try:
            self.sock.sendall(data)
            first = self.stream.readline()
        except (ConnectionResetError, BrokenPipeError) as exc:
            first, error = b"", repr(exc)
        else:
            error = "the server closed the connection without an answer"
        if not first:
            if not reused:
                self._fail(f"{error} (new connection)")
                return None
            self.resent += 1  # closed while idle, the close crossing the request: once more
            self._reconnect()
            return self.request(data)
        try:
            return self._answer(first)
        except (ValueError, OSError) as exc:
            self._fail(f"bad answer: {exc!r} (status line {first[:80]!r})")
            return None

    def _answer(self, first: bytes) -> bool:
        status = int(first[9:12])
        length = 0
        while (line := self.stream.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = self.stream.read(length)
        if len(body) < length:
            raise ValueError(f"body of {len(body)} bytes, {length} announced")
        if status == 200 and self.expect in body:
            return True
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(f"{status} {body[:200]!r}")
        return False

    def close(self) -> None:
        """Close the connection."""
        self.stream.close()
        self.sock.close()


def pass_main(args: argparse.Namespace) -> None:
    """A long-lived process: one timed pass per line read from stdin ("START COUNT").

    ``--pass-of inproc`` calls ``LoadedModel.predict_bytes`` on each photo;
    ``--pass-of http`` sends each as one request on one keep-alive connection and
    waits for the answer (:class:`KeepAlive`: concurrency 1). One JSON line per pass:
    the latencies of the answered requests, the failures (counted, the first reasons)
    and how often the client reconnected or resent.
    """
    client: KeepAlive | None = None
    if args.pass_of == "inproc":
        model = load_model(args.bundle, args.threads)
        items = [p.read_bytes() for p in _photos()]
    else:
        bodies = json.loads(Path(args.bodies).read_text())
        items = [
            _request(args.host, args.port, bodies["path"], bodies["ctype"], base64.b64decode(b))
            for b in bodies["bodies"]
        ]
        client = KeepAlive(args.host, args.port, bodies["expect"].encode())

    for line in sys.stdin:
        start, count = (int(x) for x in line.split())
        lat: list[float] = []
        failed = 0
        for data in items[start : start + count]:
            if client is None:
                t0 = time.perf_counter()
                model.predict_bytes([data])
                lat.append(time.perf_counter() - t0)
                continue
            client.ready()  # a reconnect after an idle close is not timed
            t0 = time.perf_counter()
            if client.request(data) is not None:  # answered (a non-200 too; counted failed)
                lat.append(time.perf_counter() - t0)
        out: dict[str, Any] = {"latencies": lat, "failed": failed}
        if client is not None:
            out.update(
                failed=client.failed,
                reconnects=client.reconnects,
                resent=client.resent,
                errors=client.errors,
            )
            client.failed = client.reconnects = client.resent = 0
            client.errors = []
        print(json.dumps(out), flush=True)


class Passes:
    """A :func:`pass_main` process, driven one pass at a time."""

    def __init__(self, *options: str) -> None:
        self.proc = subprocess.Popen(
            [config.PYTHON, str(config.SCRIPT), "--pass-of", *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, start: int = 0, count: int = 1_000_000) -> dict[str, Any]:
        """One pass over photos ``start`` to ``start + count``: latencies (s), failures."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{start} {count}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"pass process exited with {self.proc.wait()}")
        return dict(json.loads(line))

    def close(self) -> None:
        """End the process (it stops at the end of stdin)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _summary(
    lat: list[float], failed: int, passes: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Latency figures of pooled passes; the HTTP client's failures, reconnects and resends."""
    out: dict[str, Any] = {
        "requests": len(lat),
        "rps": len(lat) / sum(lat) if lat else 0.0,
        "p50_ms": _pct(lat, 50),
        "p99_ms": _pct(lat, 99),
        "failed": failed,
    }
    if passes and "reconnects" in passes[0]:
        out["reconnects"] = sum(p["reconnects"] for p in passes)
        out["resent"] = sum(p["resent"] for p in passes)
        out["errors"] = [e for p in passes for e in p["errors"]][:5]
    return out


def run_c1_paired(
    bundle: Path,
    url: str,
    bodies: Path,
    sweeps: int,
    server_pid: int,
    chunk: int = 40,
    threads: int = 0,
) -> dict[str, Any]:
    """Concurrency 1: in-process and served passes over the same photos, alternated.

    Each sweep goes over the photos in chunks of ``chunk``; every chunk is one
    in-process pass and one served pass back to back (order alternating), well under
    a second. On a VM each vCPU speeds up and slows down on its own (by up to 1.4x,
    for a second or so), so the in-process process and the main thread of the worker
    that serves the connection are pinned to the same core for each chunk, the core
    alternating from chunk to chunk; the client is not pinned. The ratio is the
    median of the per-chunk ratios of p50.
    """
    host, port = _host_port(url)
    inproc = Passes("inproc", "--bundle", str(bundle), "--threads", str(threads))
    served = Passes("http", "--host", host, "--port", port, "--bodies", str(bodies))
    cores = sorted(os.sched_getaffinity(0))
    workers = _children(server_pid)
    try:
        inproc.run()  # warm: caches, the server's first requests
        before = {w: _cpu_ticks(w) for w in workers}
        served.run()
        # the worker the kernel gave this connection: the one that did the work
        worker = max(workers, key=lambda w: _cpu_ticks(w) - before[w]) if workers else None
        got: dict[str, list[dict[str, Any]]] = {"inproc": [], "served": []}
        order = [("inproc", inproc), ("served", served)]
        n = len(_photos())
        for i, start in enumerate(s for _ in range(sweeps) for s in range(0, n, chunk)):
            core = {cores[(i // 2) % len(cores)]}
            os.sched_setaffinity(inproc.proc.pid, core)
            if worker is not None:
                os.sched_setaffinity(worker, core)
            for name, runner in order if i % 2 == 0 else order[::-1]:
                got[name].append(runner.run(start, chunk))
    finally:
        if worker is not None:
            os.sched_setaffinity(worker, cores)
        inproc.close()
        served.close()
    ratios = [
        _pct(s["latencies"], 50) / _pct(a["latencies"], 50)
        for a, s in zip(got["inproc"], got["served"], strict=True)
    ]
    pooled = {
        name: _summary(
            [x for one in passes for x in one["latencies"]],
            sum(o["failed"] for o in passes),
            passes,
        )
        for name, passes in got.items()
    }
    return {
        "inprocess_1proc": pooled["inproc"],
        "catdetector_c1": {**pooled["served"], "pair_ratios": ratios},
    }


def run_c1_passes(url: str, bodies: Path, passes: int) -> dict[str, Any]:
    """Concurrency 1 with the same blocking client as :func:`run_c1_paired` (no pairing)."""
    host, port = _host_port(url)
    client = Passes("http", "--host", host, "--port", port, "--bodies", str(bodies))
    try:
        client.run()
        got = [client.run() for _ in range(passes)]
    finally:
        client.close()
    return _summary(
        [x for one in got for x in one["latencies"]], sum(o["failed"] for o in got), got
    )
