"""The closed-loop load generator (its own process) and its runner."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.servebench import config


def _request(host: str, port: int, path: str, ctype: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    offset: int,
    until: float,
    warm_until: float,
    expect: bytes,
    out: dict[str, Any],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while True:
            now = time.perf_counter()
            if now >= until:
                return
            writer.write(requests[i % len(requests)])
            i += 1
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                out["failed"] += 1  # a request without an answer (warm-up included)
                if len(out["errors"]) < 5:
                    out["errors"].append(repr(exc))
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            done = time.perf_counter()
            if now < warm_until:
                continue
            out["latencies"].append(done - now)
            if status != 200 or expect not in body:
                out["failed"] += 1
                if len(out["errors"]) < 5:
                    out["errors"].append(f"{status} {body[:200]!r}")
            else:
                out["versions"][_version(body)] = out["versions"].get(_version(body), 0) + 1
    finally:
        writer.close()


def _version(body: bytes) -> str:
    at = body.find(b'"version":"')
    if at < 0:
        return "-"
    end = body.find(b'"', at + 11)
    return body[at + 11 : end].decode()


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    bodies = json.loads(Path(args.bodies).read_text())
    requests = [
        _request(args.host, args.port, bodies["path"], bodies["ctype"], base64.b64decode(b))
        for b in bodies["bodies"]
    ]
    out: dict[str, Any] = {"latencies": [], "failed": 0, "errors": [], "versions": {}}
    start = time.perf_counter()
    warm_until = start + args.warmup
    until = warm_until + args.duration
    step = max(1, len(requests) // args.concurrency)
    await asyncio.gather(
        *(
            _connection(
                args.host,
                args.port,
                requests,
                c * step,
                until,
                warm_until,
                bodies["expect"].encode(),
                out,
            )
            for c in range(args.concurrency)
        )
    )
    lat = out.pop("latencies")
    return {
        **out,
        "requests": len(lat),
        "seconds": args.duration,
        "rps": len(lat) / args.duration,
        "p50_ms": _pct(lat, 50),
        "p99_ms": _pct(lat, 99),
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def loadgen_main(args: argparse.Namespace) -> None:
    """The load generator process: prints one JSON line."""
    print(json.dumps(asyncio.run(_load(args))))


def _host_port(url: str) -> tuple[str, str]:
    host, port = url.removeprefix("http://").split(":")
    return host, port


def run_load(
    url: str, bodies: Path, concurrency: int, duration: float, warmup: float = 2.0
) -> dict[str, Any]:
    """Run the load generator in its own process against ``url``."""
    host, port = _host_port(url)
    proc = subprocess.run(
        [
            config.PYTHON,
            str(config.SCRIPT),
            "--loadgen",
            "--host",
            host,
            "--port",
            port,
            "--bodies",
            str(bodies),
            "--concurrency",
            str(concurrency),
            "--duration",
            str(duration),
            "--warmup",
            str(warmup),
        ],
        capture_output=True,
        text=True,
        timeout=duration + warmup + 120,
    )
    if proc.returncode != 0:
        raise SystemExit(f"load generator failed: {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
