"""Benchmark: throughput of `catdetector serve` with the prediction log on vs off.

Over the 400 real photos (../shared/data/dogscats-sample, read in place; skipped with
a message when absent) it builds the same registry as bench/serve.py, then starts
three servers following prod, ``--workers 2`` each:

- ``off``: ``--no-log``;
- ``sqlite``: ``--log-db`` a SQLite file (WAL), the default kind of log;
- ``postgres``: ``--log-db`` a private PostgreSQL cluster (Debian's binaries, started
  as in the tests; this configuration is skipped with a message when they are absent).

Each of ``--rounds`` rounds measures every server at concurrency 8 for ``--duration``
seconds (bench/serve.py's load generator, its own process), in a rotating order, and
the CPU time that the server's processes (and, for ``postgres``, the cluster's) used
per request, from /proc. The ratios of a logging server to ``off`` are medians of the
per-round ratios. On this shared 2-core machine throughput swings with the other work
between rounds (100-500 rps), so the cost is judged by the CPU per request, which
bounds throughput on a machine of its own; both are printed. At the end every server
is stopped with SIGTERM and its log is counted: dropped records (from /metrics, before
the stop) and stored records.
Targets: logging costs under 10 % of throughput, and drops no record.
Figures also go to bench/out/monitor.json. Exit status 1 when a target is missed.

    .venv/bin/python bench/monitor.py [--duration 8] [--rounds 3] [--photos DIR] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.monitor.pg

import bench.serve as serve_bench
from bench.serve import (
    BIN,
    OUT,
    Proc,
    _children,
    _cpu_ticks,
    _free_port,
    _photos,
    build_registry,
    run_load,
    write_bodies,
)

MAX_COST = 0.10  # 1 - throughput(log on) / throughput(log off): under


def _tree(pid: int) -> list[int]:
    return [pid, *(d for c in _children(pid) for d in _tree(c))]


def _ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += _cpu_ticks(pid)
    return total


def measure(
    url: str, bodies: Path, duration: float, pids: list[int], db_pids: list[int]
) -> dict[str, Any]:
    """Concurrency 8 for ``duration`` s (no warm-up); CPU ms per request of the server's
    processes ``pids``, and of those plus the database's ``db_pids``."""
    before, db_before = _ticks(pids), _ticks(db_pids)
    got = run_load(url, bodies, 8, duration, warmup=0.0)
    ticks, db_ticks = _ticks(pids) - before, _ticks(db_pids) - db_before
    per = 1000 / os.sysconf("SC_CLK_TCK") / max(1, got["requests"])
    got["server_cpu_ms_per_request"] = ticks * per
    got["cpu_ms_per_request"] = (ticks + db_ticks) * per
    return got


def _dropped(url: str) -> float:
    import httpx

    text = httpx.get(url + "/metrics", trust_env=False, timeout=10).text
    pattern = r"^catdetector_predlog_dropped_total\{[^}]*\} (\S+)$"
    return sum(float(m.group(1)) for m in re.finditer(pattern, text, re.M))


def _stored(kind: str, target: str) -> int:
    if kind == "sqlite":
        con = sqlite3.connect(target)
        try:
            return int(con.execute("SELECT count(*) FROM predictions").fetchone()[0])
        finally:
            con.close()
    from catdetector.monitor import store

    log = store.open(target)
    try:
        return log.count_predictions()
    finally:
        log.close()


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark; 1 when a target is missed."""
    if args.photos is not None:
        serve_bench.REAL = args.photos.resolve()  # what _photos() reads
    photos = _photos()
    if len(photos) < 10:
        print("skipped: the real photos are absent")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="monitor-bench-", dir=args.workdir))
    home = work / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@catdetector.test\n[init]\n\tdefaultBranch = main\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CATDETECTOR_")},
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    from tests.monitor.pg import Postgres, pg_bin

    cluster = None
    servers: dict[str, tuple[Proc, str, str | None]] = {}
    results: dict[str, Any] = {"photos": len(photos), "duration_s": args.duration}
    try:
        print(f"building a registry trained on the {len(photos)} photos in {work} ...")
        reg = build_registry(work, env)
        logs: dict[str, list[str]] = {"off": ["--no-log"]}
        logs["sqlite"] = ["--log-db", str(work / "log.sqlite")]
        bindir = pg_bin()
        if bindir is None:
            print("postgres: skipped (PostgreSQL server binaries absent)")
        else:
            cluster = Postgres(bindir)
            cluster.start()
            logs["postgres"] = ["--log-db", cluster.url]
        for name, log_args in logs.items():
            port = _free_port()
            proc = Proc(
                [
                    str(BIN / "catdetector"),
                    "serve",
                    "--registry",
                    str(reg["origin"]),
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--cache-dir",
                    str(work / f"cache-{name}"),
                    "--poll-interval",
                    "30",  # registry polls (git processes) would add noise to every measure
                    "--log-level",
                    "warning",
                    *log_args,
                ],
                work / f"serve-{name}.log",
                env,
                work,
            )
            url = f"http://127.0.0.1:{port}"
            servers[name] = (proc, url, log_args[1] if name != "off" else None)
            proc.wait_http(url + "/readyz")
        bodies = write_bodies(work / "bodies.json", "catdetector")
        names = list(servers)
        rounds: list[dict[str, Any]] = []
        for index in range(args.rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            got = {}
            for name in order:
                pids = _tree(servers[name][0].proc.pid)
                db_pids = []
                if name == "postgres" and cluster is not None:
                    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
                    db_pids = _tree(postmaster)
                got[name] = measure(servers[name][1], bodies, args.duration, pids, db_pids)
            load = Path("/proc/loadavg").read_text().split()[:3]
            rounds.append({"results": got, "loadavg": load})
            line = ", ".join(
                f"{n} {got[n]['rps']:.0f} rps {got[n]['cpu_ms_per_request']:.2f} cpu-ms/req "
                f"(p50 {got[n]['p50_ms']:.1f} ms, failed {got[n]['failed']})"
                for n in names
            )
            print(f"round {index + 1}/{args.rounds}: {line}; load average {' '.join(load)}")
        results["rounds"] = rounds
        missed = []
        for name in names:
            if name == "off":
                continue
            ratios = [r["results"][name]["rps"] / r["results"]["off"]["rps"] for r in rounds]
            cpu = [
                r["results"][name]["cpu_ms_per_request"] / r["results"]["off"]["cpu_ms_per_request"]
                for r in rounds
            ]
            # The CPU a request costs (the servers' processes, and PostgreSQL's) is what
            # bounds throughput on a machine of its own; throughput on this shared one
            # swings with the other work between rounds.
            cost = statistics.median(cpu) - 1
            server_cpu = statistics.median(
                r["results"][name]["server_cpu_ms_per_request"]
                / r["results"]["off"]["server_cpu_ms_per_request"]
                for r in rounds
            )
            proc, url, target = servers[name]
            dropped = _dropped(url)
            proc.stop()  # SIGTERM: the writers flush what is queued
            stored = _stored(name, target or "")
            results[name] = {
                "throughput_ratio_median": statistics.median(ratios),
                "ratios": ratios,
                "cpu_per_request_ratio_median": statistics.median(cpu),
                "cpu_ratios": cpu,
                "server_cpu_per_request_ratio_median": server_cpu,
                "cost": cost,
                "dropped": dropped,
                "stored": stored,
            }
            answered = sum(r["results"][name]["requests"] for r in rounds)  # warm-ups not counted
            ok = cost < MAX_COST and dropped == 0 and stored >= answered
            if not ok:
                missed.append(name)
            print(
                f"{name}: throughput {statistics.median(ratios):.3f}x of off, CPU per request "
                f"{statistics.median(cpu):.3f}x (the servers alone {server_cpu:.3f}x; cost "
                f"{cost:.1%}, target < {MAX_COST:.0%}); "
                f"{stored} records stored, {dropped:.0f} dropped "
                f"-> {'OK' if ok else 'MISSED'}"
            )
        (OUT / "monitor.json").write_text(json.dumps(results, indent=2))
        return 1 if missed else 0
    finally:
        for proc, _, _ in servers.values():
            proc.stop()
        if cluster is not None:
            cluster.destroy()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measure")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--photos", type=Path, default=None, help="the photos folder, if not ../shared/data/..."
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the work folder")
    sys.exit(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
