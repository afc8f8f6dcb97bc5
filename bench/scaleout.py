"""Benchmark: throughput through nginx with 1, 2 and 3 replicas, against 1 replica direct.

Over the 400 real photos (../shared/data/dogscats-sample, or $BENCH_PHOTOS; skipped
with a message when absent) it builds the registry of bench/serve.py (trained on the
photos, v1 in prod) in a temporary folder, starts 3 `catdetector serve` replicas (one
worker each, following the registry, ``--no-log``: this measures the balancing, not the
log) and three nginx instances (Debian's package, tests/nginx.py's config: upstream
keep-alive, 1 worker) in front of 1, 2 and 3 of them. Then, in ``--rounds`` interleaved
rounds (the order rotates each round), the closed-loop load generator of bench/serve.py
(its own process, asyncio, keep-alive, concurrency 8) runs ``--duration`` seconds
against each of: replica 1 direct, nginx over 1, over 2, over 3 replicas.

For each run: requests per second, p50/p99, failed requests, and the CPU seconds per
second of wall time of the load generator, of nginx and of the replicas (from /proc).
Ratios are the medians of the per-round ratios against "direct" of the same round, so
a busy machine shifts both sides. Figures go to bench/out/scaleout.json.

    .venv/bin/python bench/scaleout.py [--duration 8] [--rounds 3] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench/serve.py and tests/nginx.py

from tests.nginx import Balancing, Nginx  # noqa: E402

import serve as serve_bench  # noqa: E402  (bench/serve.py: registry, load generator)

TICK = 100.0  # clock ticks per second of /proc/<pid>/stat (Linux's USER_HZ)
WARMUP = 2.0  # seconds of load before the measured ones (bench/serve.py run_load)
CONFIGS = ("direct", "nginx_1", "nginx_2", "nginx_3")


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) of ``pids`` and their children so far."""
    total = 0
    for pid in pids:
        for p in [pid, *serve_bench._children(pid)]:
            with contextlib.suppress(OSError):  # gone meanwhile
                total += serve_bench._cpu_ticks(p)
    return total / TICK


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    url: str, bodies: Path, duration: float, replicas: list[int], nginx: list[int]
) -> dict[str, Any]:
    """One closed-loop run at concurrency 8, with the CPU of each side per wall second."""
    before = (children_cpu(), cpu_seconds(replicas), cpu_seconds(nginx), time.monotonic())
    result = serve_bench.run_load(url, bodies, 8, duration, WARMUP)
    wall = time.monotonic() - before[3]
    result["wall_s"] = wall
    result["cpu_per_s"] = {
        "loadgen": (children_cpu() - before[0]) / wall,
        "replicas": (cpu_seconds(replicas) - before[1]) / wall,
        "nginx": (cpu_seconds(nginx) - before[2]) / wall,
    }
    return result


def start_replicas(reg: dict[str, Any], work: Path, env: dict[str, str]) -> list[tuple[Any, int]]:
    """Three replicas of `catdetector serve`, one worker each, ready."""
    procs = []
    for i in range(3):
        port = serve_bench._free_port()
        argv = [
            str(serve_bench.BIN / "catdetector"), "serve",
            "--registry", str(reg["origin"]), "--stage", "prod",
            "--port", str(port), "--workers", "1", "--no-log",
            "--cache-dir", str(work / f"cache-{i}"), "--log-level", "warning",
        ]  # fmt: skip
        procs.append((serve_bench.Proc(argv, work / f"replica-{i}.log", env, work), port))
    for proc, port in procs:
        proc.wait_http(f"http://127.0.0.1:{port}/readyz")
    return procs


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark."""
    photos = serve_bench._photos()
    if len(photos) < 10:
        print(f"skipped: the real photos are absent ({serve_bench.REAL})")
        return 0
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        print("skipped: nginx is not installed (apt-get install nginx)")
        return 0
    serve_bench.OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="scaleout-bench-"))
    env = serve_bench.isolated_env(work)
    replicas: list[tuple[Any, int]] = []
    balancers: dict[str, Nginx] = {}
    results: dict[str, Any] = {"duration_s": args.duration, "rounds": []}
    try:
        print(f"building a registry trained on the {len(photos)} photos in {work} ...")
        reg = serve_bench.build_registry(work, env)
        replicas = start_replicas(reg, work, env)
        ports = [port for _, port in replicas]
        for n in (1, 2, 3):
            lb = Nginx(work / f"nginx-{n}", ports[:n], Balancing(keepalive=16, workers=1))
            lb.start()
            balancers[f"nginx_{n}"] = lb
        bodies = serve_bench.write_bodies(work / "bodies.json", "catdetector")
        urls = {"direct": f"http://127.0.0.1:{ports[0]}"}
        urls.update({name: lb.url for name, lb in balancers.items()})
        replica_pids = [p.proc.pid for p, _ in replicas]
        nginx_pids = [lb.proc.pid for lb in balancers.values() if lb.proc is not None]
        for r in range(args.rounds):
            order = CONFIGS[r % len(CONFIGS) :] + CONFIGS[: r % len(CONFIGS)]
            row: dict[str, Any] = {}
            for name in order:
                row[name] = measure(urls[name], bodies, args.duration, replica_pids, nginx_pids)
                shown = serve_bench._fmt(row[name])
                print(f"round {r + 1} {name:8s} {shown}  cpu/s {cpu(row[name])}")
            results["rounds"].append(row)
    finally:
        for lb in balancers.values():
            lb.stop()
        for proc, _ in replicas:
            proc.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    summarize(results)
    (serve_bench.OUT / "scaleout.json").write_text(json.dumps(results, indent=2))
    print(f"figures: {serve_bench.OUT / 'scaleout.json'}")
    return 0


def cpu(run: dict[str, Any]) -> str:
    """CPU seconds per wall second, by side."""
    return " ".join(f"{k} {v:.2f}" for k, v in run["cpu_per_s"].items())


def server_cpu_ms(run: dict[str, Any]) -> float:
    """CPU ms of the replicas and nginx per request: their CPU over the whole run, over the
    requests of the measured seconds and of the warm-up (at the measured rate)."""
    spent = (run["cpu_per_s"]["replicas"] + run["cpu_per_s"]["nginx"]) * run["wall_s"]
    served = run["rps"] * (run["seconds"] + WARMUP)
    return 1000 * spent / max(1.0, served)


def summarize(results: dict[str, Any]) -> None:
    """Medians over rounds and the ratios against 1 replica direct; printed and stored."""
    rounds = results["rounds"]
    summary: dict[str, Any] = {}
    for name in CONFIGS:
        runs = [row[name] for row in rounds]
        summary[name] = {
            "rps_median": statistics.median(r["rps"] for r in runs),
            "p50_ms_median": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms_median": statistics.median(r["p99_ms"] for r in runs),
            "failed": sum(r["failed"] for r in runs),
            "vs_direct_median": statistics.median(
                row[name]["rps"] / row["direct"]["rps"] for row in rounds
            ),
            "server_cpu_ms_per_request_median": statistics.median(server_cpu_ms(r) for r in runs),
            "cpu_per_s_median": {
                side: statistics.median(r["cpu_per_s"][side] for r in runs)
                for side in ("loadgen", "replicas", "nginx")
            },
        }
    results["summary"] = summary
    print("\nmedians over rounds (ratio: median of the per-round ratios against direct)")
    for name, s in summary.items():
        c = s["cpu_per_s_median"]
        print(
            f"{name:8s} {s['rps_median']:7.1f} req/s  x{s['vs_direct_median']:.2f}  "
            f"p50 {s['p50_ms_median']:6.2f} ms  p99 {s['p99_ms_median']:6.2f} ms  "
            f"failed {s['failed']}  server cpu/req {s['server_cpu_ms_per_request_median']:.2f} ms"
            f"  cpu/s loadgen {c['loadgen']:.2f} "
            f"replicas {c['replicas']:.2f} nginx {c['nginx']:.2f}"
        )


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    raise SystemExit(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
