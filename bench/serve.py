"""Benchmark: `catdetector serve` against in-process predict and `mlflow models serve`.

Over the 400 real photos (../shared/data/dogscats-sample/{cat,other}/*.jpg, read in
place, never copied into the repository; skipped with a message when absent) it builds
a registry trained on them in a temporary folder (init, dvc repro, bare origin, v1 and
v2 registered, v1 in prod) and measures, in one run, in ``--rounds`` interleaved rounds
(ratios are the medians of the per-round ratios, so a busy machine shifts both sides):

- concurrency 1, in pairs: one pass of in-process ``LoadedModel.predict_bytes`` over
  every photo and one pass of requests to ``catdetector serve --workers 2`` (following
  the registry) over the same photos, one request at a time on a keep-alive connection,
  alternated in chunks of 40 photos (order alternating), ``--pairs`` sweeps per round.
  The p50 ratio is the median of the per-chunk ratios: both sides of a chunk see the
  machine in the same state;
- in-process predict in two processes at once ("both cores", the limit) and the server
  at concurrency 8: throughput and p50/p99 over ``--duration`` seconds each;
- ``mlflow models serve`` with 1 and 2 workers of a pyfunc that does the same decode,
  features and model, fed base64 JSON (its input format), at concurrency 1 (the same
  client and passes) and 8; the best of the two is the
  reference. mlflow lives in its own venv (``--mlflow-venv``, created and installed
  from the package registry when absent), never a project dependency; skipped with a
  message when it cannot be installed;
- the time from `catdetector rollback --push` to the server answering with the old
  version, while a client sends requests without pause (and how many failed).

The clients are separate processes (keep-alive HTTP/1.1, closed loop; asyncio at
concurrency 8).
Figures also go to bench/out/serve.json. Exit status 1 when a target is missed.

    /work/venv/bin/python bench/serve.py [--duration 8] [--rounds 3] [--pairs 4]
        [--mlflow-venv DIR] [--no-mlflow] [--keep] [--workdir DIR]
        [--process-models current,main]

``--process-models`` compares servers of different code in the same run (each with
``--workers 2``, the rounds alternating which goes first): this checkout and git refs,
whose ``src/catdetector`` is put first on PYTHONPATH in the same venv. The first is the
one the targets judge; the others give ratios of c8 throughput, of the server's Pss
right after the c8 run and of the c1 pair ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The photos beside the checkout (../shared), or where BENCH_PHOTOS says (e.g. from a worktree).
REAL = Path(os.environ.get("BENCH_PHOTOS") or REPO.parent / "shared" / "data" / "dogscats-sample")
OUT = REPO / "bench" / "out"
BIN = Path(sys.executable).parent
# The interpreter of the measuring subprocesses (load generator, in-process loops, passes);
# another bench may point it at a serving-only venv.
PYTHON = sys.executable
TARGETS = {
    "vs_mlflow_c8": 2.5,  # our throughput / MLflow's, concurrency 8: at least
    "vs_inprocess_2proc": 0.70,  # our c8 throughput / in-process on both cores: at least
    "p50_c1_vs_inprocess": 1.3,  # our p50 at c1 / in-process p50: at most
    "rollback_s": 2.0,  # rollback -> answering with the old version: under
}
MLFLOW_PINS = (
    "numpy",
    "pillow",
    "scikit-image",
    "scikit-learn",
    "scipy",
    "skops",
    "pydantic",
    "pydantic-settings",
    "pyyaml",
)

# ---------------------------------------------------------------- load generator


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
            PYTHON,
            __file__,
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


# ---------------------------------------------------------------- in-process reference


def load_model(bundle: str | Path, threads: int = 0) -> Any:
    """``load_bundle``; ``threads`` > 0 sets the onnxruntime threads of a backbone bundle."""
    from catdetector.model.bundle import load_bundle

    if threads:
        return load_bundle(Path(bundle), threads=threads)
    return load_bundle(Path(bundle))


def inproc_main(args: argparse.Namespace) -> None:
    """One in-process predict loop over the photos for ``duration`` seconds (one JSON line).

    Each call predicts ``--batch`` photos at once; latencies are per call, ``rps``
    counts photos. ``--lanes`` threads run such loops at once on the one model.
    """
    model = load_model(args.bundle, args.threads)
    photos = [p.read_bytes() for p in _photos()]
    batch = args.batch
    for i in range(0, 20 * batch, batch):
        model.predict_bytes([photos[(i + k) % len(photos)] for k in range(batch)])
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    lat: list[float] = []
    until = time.perf_counter() + args.duration

    def loop(first: int) -> None:  # one lane: predicts one call after another
        i = first
        while time.perf_counter() < until:
            items = [photos[(i + k) % len(photos)] for k in range(batch)]
            t0 = time.perf_counter()
            model.predict_bytes(items)
            lat.append(time.perf_counter() - t0)
            i += batch

    start = time.perf_counter()
    lanes = [
        threading.Thread(target=loop, args=(n * len(photos) // args.lanes,))
        for n in range(args.lanes)
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "requests": len(lat) * batch,
                "rps": len(lat) * batch / elapsed,
                "p50_ms": _pct(lat, 50),
                "p99_ms": _pct(lat, 99),
            }
        )
    )


def run_inproc(
    bundle: Path,
    processes: int,
    duration: float,
    batch: int = 1,
    threads: int = 0,
    lanes: int = 1,
) -> dict[str, Any]:
    """``processes`` in-process predict loops at once (``lanes`` threads each); summed."""
    start_at = time.time() + 6  # all processes loaded and warm before the clock starts
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                __file__,
                "--inproc",
                "--bundle",
                str(bundle),
                "--duration",
                str(duration),
                "--start-at",
                str(start_at),
                "--batch",
                str(batch),
                "--threads",
                str(threads),
                "--lanes",
                str(lanes),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = [json.loads(p.communicate(timeout=duration + 120)[0]) for p in procs]
    return {
        "processes": processes,
        "batch": batch,
        "threads": threads,
        "lanes": lanes,
        "rps": sum(r["rps"] for r in results),
        "p50_ms": statistics.mean(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
    }


# ---------------------------------------------------------------- concurrency 1, paired


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
            [PYTHON, __file__, "--pass-of", *options],
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


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


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


# ---------------------------------------------------------------- the registry and servers


def _photos() -> list[Path]:
    return sorted(REAL.glob("cat/*.jpg")) + sorted(REAL.glob("other/*.jpg"))


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    proc = subprocess.run(
        [exe, *args[1:]], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def _set_params(root: Path, section: str, **values: Any) -> None:
    import yaml

    path = root / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def train_project(work: Path, env: dict[str, str], **ladder: Any) -> Path:
    """A project trained on the real photos (copied into ``work``); ``ladder`` params on top."""
    proj = work / "proj"
    _run(["catdetector", "init", str(proj)], work, env)
    if ladder:
        _set_params(proj, "ladder", **ladder)
    for photo in _photos():
        dest = proj / "data" / "raw" / photo.parent.name / photo.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, dest)
    _run(["dvc", "add", "-q", "data/raw"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "data: the 400 photos"], proj, env)
    _run(["dvc", "repro", "-q"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "train"], proj, env)
    return proj


def build_registry(work: Path, env: dict[str, str]) -> dict[str, Any]:
    """A project trained on the real photos (copied into ``work``), a bare origin, v1 and v2."""
    proj = train_project(work, env)
    origin = work / "origin.git"
    _run(["git", "init", "-q", "--bare", str(origin)], work, env)
    _run(["git", "remote", "add", "origin", str(origin)], proj, env)
    _run(["git", "push", "-q", "origin", "main"], proj, env)
    _run(["dvc", "push", "-q"], proj, env)
    v1 = json.loads(_run(["catdetector", "register", "--push", "--json"], proj, env))["version"]
    _set_params(proj, "train", label_noise=0.3)
    _run(["dvc", "repro", "-q"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "train with label noise"], proj, env)
    _run(["dvc", "push", "-q"], proj, env)
    v2 = json.loads(_run(["catdetector", "register", "--push", "--json"], proj, env))["version"]
    _run(["catdetector", "promote", v1, "--stage", "prod", "--push"], proj, env)
    chosen = json.loads((proj / "models/catdetector/model.json").read_text())["chosen_rung"]
    return {"proj": proj, "origin": origin, "v1": v1, "v2": v2, "rung_v2": chosen}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def code_env(model: str, work: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment of a server of process model ``model``.

    ``current``: this checkout; ``gunicorn``: the same, gunicorn even for one worker;
    anything else is a git ref, whose ``src/catdetector`` is extracted into ``work`` and
    put first on PYTHONPATH (same venv and dependencies: only the server's code differs).
    """
    if model == "current":
        return env
    if model == "gunicorn":  # this checkout, gunicorn even for one worker
        return {**env, "CATDETECTOR_PROCESS_MANAGER": "gunicorn"}
    dest = work / f"code-{model.replace('/', '_')}"
    if not dest.exists():
        dest.mkdir()
        tar = subprocess.run(
            ["git", "-C", str(REPO), "archive", model, "src/catdetector"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return {**env, "PYTHONPATH": str(dest / "src")}


def tree_pss_mb(pid: int) -> float:
    """Summed Pss (MB) of ``pid`` and its children (shared pages counted once in all)."""
    total = 0
    for one in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total / 1024


class Proc:
    """A server subprocess in its own process group, its log in a file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str], cwd: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_http(self, url: str, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{url} not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._fh.close()


def write_bodies(path: Path, kind: str) -> Path:
    """The request bodies of every photo, for the load generator."""
    photos = [p.read_bytes() for p in _photos()]
    if kind == "catdetector":
        doc = {
            "path": "/v1/predict",
            "ctype": "image/jpeg",
            "expect": '"version"',
            "bodies": [base64.b64encode(b).decode() for b in photos],
        }
    else:
        doc = {
            "path": "/invocations",
            "ctype": "application/json",
            "expect": "predictions",
            "bodies": [
                base64.b64encode(
                    json.dumps(
                        {
                            "dataframe_split": {
                                "columns": ["image"],
                                "data": [[base64.b64encode(b).decode()]],
                            }
                        }
                    ).encode()
                ).decode()
                for b in photos
            ],
        }
    path.write_text(json.dumps(doc))
    return path


# ---------------------------------------------------------------- MLflow

PYFUNC = '''
"""An MLflow pyfunc doing what `catdetector serve` does: decode, features, model."""
import base64

import mlflow.pyfunc
import pandas as pd


class CatDetectorPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from catdetector.model.bundle import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input, params=None):
        rows = []
        for b64 in model_input["image"]:
            pred = self.model.predict_bytes([base64.b64decode(b64)])[0]
            rows.append({"label": pred.label, "probability": pred.probability})
        return pd.DataFrame(rows)
'''

SAVE = """
import sys
sys.path.insert(0, sys.argv[1])
import mlflow.pyfunc
from pyfunc_catdetector import CatDetectorPyfunc
mlflow.pyfunc.save_model(
    sys.argv[2],
    python_model=CatDetectorPyfunc(),
    artifacts={"bundle": sys.argv[3]},
    code_paths=[sys.argv[1] + "/pyfunc_catdetector.py", sys.argv[4]],
)
"""


def ensure_mlflow(
    venv: Path, extra: tuple[str, ...] = (), modules: tuple[str, ...] = ()
) -> tuple[Path | None, str]:
    """The mlflow venv's python (created and installed when absent), or None and why.

    ``extra`` packages are pinned to this venv's versions too; ``modules`` must import.
    """
    python = venv / "bin" / "python"
    imports = ", ".join(("mlflow", "skops", "skimage", "pydantic_settings", *modules))
    probe = [str(python), "-c", f"import {imports}"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python, "present"
    from importlib import metadata

    pins = [f"{name}=={metadata.version(name)}" for name in (*MLFLOW_PINS, *extra)]
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True
            )
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "mlflow", *pins],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"could not create the venv: {exc}"
    if proc.returncode != 0:
        return None, f"pip install mlflow failed: {proc.stderr.strip()[-500:]}"
    return python, "installed"


def start_mlflow(
    python: Path, bundle: Path, work: Path, env: dict[str, str], workers: int
) -> tuple[Proc, str]:
    """`mlflow models serve` of the pyfunc, on loopback."""
    code = work / "mlflow-code"
    code.mkdir(exist_ok=True)
    (code / "pyfunc_catdetector.py").write_text(PYFUNC)
    model_dir = work / "mlflow-model"
    shutil.rmtree(model_dir, ignore_errors=True)
    mlenv = {
        **env,
        "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}",
        "PATH": f"{python.parent}{os.pathsep}{env['PATH']}",  # its own uvicorn
    }
    subprocess.run(
        [
            str(python),
            "-c",
            SAVE,
            str(code),
            str(model_dir),
            str(bundle),
            str(REPO / "src" / "catdetector"),
        ],
        check=True,
        capture_output=True,
        env=mlenv,
        cwd=work,
    )
    port = _free_port()
    mlflow = python.parent / "mlflow"
    server = Proc(
        [
            str(mlflow),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        work / f"mlflow-{workers}.log",
        mlenv,
        work,
    )
    url = f"http://127.0.0.1:{port}"
    server.wait_http(url + "/ping")
    return server, url


# ---------------------------------------------------------------- rollback timing


def _hammer(url: str, stop: threading.Event, seen: list[tuple[float, int, str]]) -> None:
    import httpx

    body = _photos()[0].read_bytes()
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as http:
        while not stop.is_set():
            try:
                resp = http.post(
                    "/v1/predict", content=body, headers={"content-type": "image/jpeg"}
                )
                version = resp.json().get("version", "-") if resp.status_code == 200 else "-"
                seen.append((time.perf_counter(), resp.status_code, version))
            except httpx.HTTPError as exc:
                seen.append((time.perf_counter(), 0, repr(exc)))


def _first_at(seen: list[tuple[float, int, str]], version: str, after: float) -> float | None:
    for at, status, got in list(seen):
        if at > after and status == 200 and got == version:
            return at
    return None


def measure_rollbacks(
    url: str, reg: dict[str, Any], env: dict[str, str], rounds: int
) -> dict[str, Any]:
    """promote v2, then time `catdetector rollback` until the server answers v1; repeat."""
    seen: list[tuple[float, int, str]] = []
    stop = threading.Event()
    thread = threading.Thread(target=_hammer, args=(url, stop, seen), daemon=True)
    thread.start()
    from_start, from_exit = [], []
    try:
        for _ in range(rounds):
            _run(
                [
                    "catdetector",
                    "promote",
                    reg["v2"],
                    "--stage",
                    "prod",
                    "--force",
                    "--reason",
                    "bench",
                    "--push",
                ],
                reg["proj"],
                env,
            )
            _wait_seen(seen, reg["v2"], time.perf_counter())
            time.sleep(1.0)
            t0 = time.perf_counter()
            _run(["catdetector", "rollback", "--stage", "prod", "--push"], reg["proj"], env)
            t1 = time.perf_counter()
            at = _wait_seen(seen, reg["v1"], t0)
            from_start.append(at - t0)
            from_exit.append(max(0.0, at - t1))
            time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=30)
    failed = [s for s in seen if s[1] != 200]
    return {
        "rounds": rounds,
        "from_command_start_s": from_start,
        "from_command_exit_s": from_exit,
        "requests": len(seen),
        "failed": len(failed),
        "failures": [f[1:] for f in failed[:5]],
    }


def _wait_seen(seen: list[tuple[float, int, str]], version: str, after: float) -> float:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        at = _first_at(seen, version, after)
        if at is not None:
            return at
        time.sleep(0.01)
    raise SystemExit(f"the server never answered with {version}")


# ---------------------------------------------------------------- main


def _fmt(r: dict[str, Any]) -> str:
    return f"{r['rps']:7.1f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms"


def isolated_env(work: Path) -> dict[str, str]:
    """The environment of every command the bench runs: a HOME and git identity in ``work``."""
    home = work / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@catdetector.test\n[init]\n\tdefaultBranch = main\n"
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CATDETECTOR_")},
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark; 1 when a target is missed."""
    import httpx

    photos = _photos()
    if len(photos) < 10:
        print(f"skipped: the real photos are absent ({REAL}/{{cat,other}}/*.jpg)")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="serve-bench-", dir=args.workdir))
    env = isolated_env(work)
    results: dict[str, Any] = {"photos": len(photos), "duration_s": args.duration}
    servers: list[Proc] = []
    try:
        print(f"building a registry trained on the {len(photos)} photos in {work} ...")
        reg = build_registry(work, env)
        models = [m.strip() for m in args.process_models.split(",") if m.strip()]
        urls: dict[str, str] = {}
        procs: dict[str, Proc] = {}
        for model in models:  # the first is the one the targets judge
            port = _free_port()
            procs[model] = Proc(
                [
                    str(BIN / "catdetector"),
                    "serve",
                    "--registry",
                    str(reg["origin"]),
                    "--stage",
                    "prod",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--poll-interval",
                    str(args.poll_interval),
                    "--cache-dir",
                    str(work / "serve-cache"),
                    "--log-level",
                    "warning",
                ],
                work / f"serve-{model.replace('/', '_')}.log",
                code_env(model, work, env),
                work,
            )
            servers.append(procs[model])
            urls[model] = f"http://127.0.0.1:{port}"
            procs[model].wait_http(urls[model] + "/readyz")
            first = procs[model].log.read_text().splitlines()[0]
            print(f"process model {model}: {first}")
        url = urls[models[0]]
        info = httpx.get(url + "/v1/model", trust_env=False).json()
        bundle = next(
            b
            for b in (work / "serve-cache" / "bundles").glob("[0-9a-f]*")
            if json.loads((b / "model.json").read_text())["files"]["model.skops"][
                "sha256"
            ].startswith(info["model_id"])
        )
        results["model"] = {"version": info["version"], "rung": info["chosen_rung"]}
        results["process_models"] = models
        print(f"serving {info['version']} ({info['chosen_rung']}) on {url}, 2 workers")

        ours_bodies = write_bodies(work / "bodies-catdetector.json", "catdetector")
        duration = args.duration

        # Each measure gives {name: result}; the concurrency-1 pairs give two at once.
        def served(model: str) -> list[Any]:
            """c1 pairs, then c8 and the server's Pss right after, named for ``model``."""
            tag = "" if model == models[0] else f"@{model}"
            pid, where = procs[model].proc.pid, urls[model]

            def c1() -> dict[str, Any]:
                got = run_c1_paired(bundle, where, ours_bodies, args.pairs, pid)
                return {"inprocess_1proc" + tag: got["inprocess_1proc"],
                        "catdetector_c1" + tag: got["catdetector_c1"]}  # fmt: skip

            def c8() -> dict[str, Any]:
                got = run_load(where, ours_bodies, 8, duration)
                return {"catdetector_c8" + tag: {**got, "pss_mb": tree_pss_mb(pid)}}

            return [c1, c8]

        blocks = [served(model) for model in models]
        inproc = [lambda: {"inprocess_2proc": run_inproc(bundle, 2, duration)}]
        configs: list[Any] = []  # filled per round: the process models' order alternates
        if args.no_mlflow:
            print("mlflow: skipped (--no-mlflow)")
        else:
            python, why = ensure_mlflow(args.mlflow_venv)
            if python is None:
                print(f"mlflow: skipped ({why})")
            else:
                results["mlflow_version"] = subprocess.run(
                    [str(python), "-c", "import mlflow;print(mlflow.__version__)"],
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                ml_bodies = write_bodies(work / "bodies-mlflow.json", "mlflow")
                for workers in (1, 2):
                    ml_server, ml_url = start_mlflow(python, bundle, work, env, workers)
                    servers.append(ml_server)
                    configs += [
                        lambda u=ml_url, w=workers: {
                            f"mlflow_w{w}_c1": run_c1_passes(u, ml_bodies, args.pairs)
                        },
                        lambda u=ml_url, w=workers: {
                            f"mlflow_w{w}_c8": run_load(u, ml_bodies, 8, duration)
                        },
                    ]
                print(f"mlflow {results['mlflow_version']} serving the same model, 1 and 2 workers")
        runs: dict[str, list[dict[str, Any]]] = {}
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for round_ in range(args.rounds):
            print(
                f"round {round_ + 1}/{args.rounds} (concurrency 1: {args.pairs} passes over the "
                f"photos each; concurrency 8 and in-process on both cores: {duration:g} s each)"
            )
            order = blocks if round_ % 2 == 0 else blocks[::-1]
            # one process model's c1 and c8, the in-process limit, the other's c8 and c1
            todo = [*order[0], *inproc, *[m for b in order[1:] for m in b[::-1]], *configs]
            for measure in todo:
                for name, got in measure().items():
                    runs.setdefault(name, []).append(got)
                    failed = f"   failed {got['failed']}" if "failed" in got else ""
                    pairs = got.get("pair_ratios")
                    each = f"   pair ratios {', '.join(f'{r:.2f}' for r in pairs)}" if pairs else ""
                    print(f"  {name:20s} {_fmt(got)}{failed}{each}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        results["load_average_end"] = os.getloadavg()[0]
        results["runs"] = runs

        rb = measure_rollbacks(url, reg, env, args.rollbacks)
        results["rollback"] = rb
        print(
            "rollback -> old version answering: from the command's start "
            + ", ".join(f"{s:.2f}" for s in rb["from_command_start_s"])
            + " s; after it exits "
            + ", ".join(f"{s:.2f}" for s in rb["from_command_exit_s"])
            + f" s; {rb['requests']} requests meanwhile, {rb['failed']} failed"
        )
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def per_round(fn: Any) -> list[float]:
        return [fn(i) for i in range(args.rounds)]

    def ml_best(conc: int, i: int) -> dict[str, Any]:
        found = [runs[f"mlflow_w{w}_c{conc}"][i] for w in (1, 2) if f"mlflow_w{w}_c{conc}" in runs]
        if conc == 1:
            return min(found, key=lambda r: r["p50_ms"])
        return max(found, key=lambda r: r["rps"])

    rounds = {
        "vs_inprocess_2proc": per_round(
            lambda i: runs["catdetector_c8"][i]["rps"] / runs["inprocess_2proc"][i]["rps"]
        ),
        "p50_c1_vs_inprocess": per_round(
            lambda i: statistics.median(runs["catdetector_c1"][i]["pair_ratios"])
        ),
    }
    if "mlflow_w1_c8" in runs:
        rounds["vs_mlflow_c8"] = per_round(
            lambda i: runs["catdetector_c8"][i]["rps"] / ml_best(8, i)["rps"]
        )
        rounds["vs_mlflow_p50_c1"] = per_round(
            lambda i: runs["catdetector_c1"][i]["p50_ms"] / ml_best(1, i)["p50_ms"]
        )
    for model in models[1:]:  # the first process model against each other, round by round
        tag = f"@{model}"
        rounds[f"c8_rps_vs{tag}"] = per_round(
            lambda i, t=tag: runs["catdetector_c8"][i]["rps"] / runs["catdetector_c8" + t][i]["rps"]
        )
        rounds[f"pss_after_c8_vs{tag}"] = per_round(
            lambda i, t=tag: (
                runs["catdetector_c8"][i]["pss_mb"] / runs["catdetector_c8" + t][i]["pss_mb"]
            )
        )
        rounds[f"p50_c1_pairs_vs{tag}"] = per_round(
            lambda i, t=tag: (
                statistics.median(runs["catdetector_c1"][i]["pair_ratios"])
                / statistics.median(runs["catdetector_c1" + t][i]["pair_ratios"])
            )
        )
    ratios = {key: statistics.median(values) for key, values in rounds.items()}
    ratios["rollback_s"] = max(rb["from_command_start_s"])
    results["ratios_per_round"] = rounds
    print("\nmedians over the rounds:")
    for name, got in runs.items():
        pss = [r["pss_mb"] for r in got if "pss_mb" in r]
        print(
            f"  {name:20s} {statistics.median(r['rps'] for r in got):7.1f} req/s"
            f"   p50 {statistics.median(r['p50_ms'] for r in got):6.2f} ms"
            f"   p99 {statistics.median(r['p99_ms'] for r in got):6.2f} ms"
            + (f"   Pss {statistics.median(pss):6.0f} MB" if pss else "")
        )
    results["ratios"] = ratios
    missed = []
    print("\nratios (same run):")
    for key, value in ratios.items():
        target = TARGETS.get(key)
        if target is None:
            each = ", ".join(f"{v:.2f}" for v in rounds.get(key, []))
            print(f"  {key:30s} {value:6.2f}" + (f"   (rounds: {each})" if each else ""))
            continue
        if key.startswith("vs_"):
            sign, ok = ">=", value >= target
        elif key.startswith("p50"):
            sign, ok = "<=", value <= target
        else:
            sign, ok = "<", value < target
        if not ok:
            missed.append(key)
        each = ", ".join(f"{v:.2f}" for v in rounds.get(key, []))
        print(
            f"  {key:24s} {value:6.2f}   target {sign} {target}   {'met' if ok else 'MISSED'}"
            + (f"   (rounds: {each})" if each else "")
        )
    failures = rb["failed"] + sum(
        r["failed"] for name in runs if name.startswith("catdetector_c") for r in runs[name]
    )
    if failures:
        missed.append("failed requests")
    print(f"  failed requests          {failures}")
    (OUT / "serve.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures in {OUT / 'serve.json'}")
    return 1 if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--rollbacks", type=int, default=3, help="rollbacks to time")
    parser.add_argument(
        "--pairs", type=int, default=4, help="concurrency 1: pass pairs over the photos per round"
    )
    parser.add_argument("--poll-interval", type=float, default=0.5, help="server's poll (s)")
    parser.add_argument("--mlflow-venv", type=Path, default=OUT / "mlflow-venv")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow reference")
    parser.add_argument(
        "--process-models",
        default="current",
        help="servers to compare in one run: 'current' (this checkout), 'gunicorn' (the "
        "same, gunicorn even for one worker) and/or git refs (their src/ on PYTHONPATH), "
        "e.g. current,main; the first is judged",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    # internal modes: the load generator and the in-process reference run as processes
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inproc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--bodies", default="", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--bundle", default="", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--lanes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--pass-of", choices=("inproc", "http"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main(args)
    elif args.inproc:
        inproc_main(args)
    elif args.pass_of:
        pass_main(args)
    else:
        sys.exit(bench(args))


if __name__ == "__main__":
    main()
