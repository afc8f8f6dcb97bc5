"""The in-process reference: ``LoadedModel`` predict loops in processes of their own."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from bench.servebench import config
from bench.servebench.loadgen import _pct
from bench.servebench.project import _photos


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
                config.PYTHON,
                str(config.SCRIPT),
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
