"""Benchmark: what a shadow costs the primary, in one run.

Over the 400 real photos (../shared/data/dogscats-sample, read in place; skipped with a
message when absent) it builds the registry of bench/serve.py (v1 in prod, v2 trained
with label noise), assigns v2 to the ``shadow`` stage, and starts two servers following
prod, one worker each, logging to SQLite (``--no-log``: neither logs): ``without``
(``--no-shadow``) and ``with`` (the default: it follows the shadow, whose process predicts a
copy of every request after the answer is sent).

Both servers are warmed by one pass over the photos at concurrency 1 (the shadow
process loads its model on its first copy). Each of ``--rounds`` rounds measures both
servers, in alternating order, each pair back to back (the load of a shared machine
swings within a minute):

- concurrency 1: ``--passes`` passes over the photos, one request at a time on a
  keep-alive connection (bench/serve.py's blocking client): p50;
- then concurrency 8 for ``--duration`` seconds (bench/serve.py's load generator):
  throughput, and for ``with`` the shadow copies shed meanwhile
  (``catdetector_shadow_shed_total``).

Before each measure the ``with`` server's shadow queue is drained, so its backlog never
runs during the other server's measure. The ratios ``with / without`` are the medians
of the per-round ratios. Targets: p50 within 1.1x, throughput at least 0.9x while spare
capacity lasts; when it does not (both cores busy at concurrency 8), the copies are shed,
and the count says how many. Figures also go to bench/out/shadow.json; exit status 1
when a target is missed.

    .venv/bin/python bench/shadow.py [--duration 8] [--rounds 3] [--passes 1] [--no-log] [--keep]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.serve as serve_bench
from bench.serve import (
    BIN,
    OUT,
    Proc,
    _free_port,
    _photos,
    _run,
    build_registry,
    run_c1_passes,
    run_load,
    write_bodies,
)

TARGETS = {"p50_c1_ratio": 1.1, "rps_c8_ratio": 0.9}  # at most, at least


def _metric(url: str, name: str) -> float:
    import httpx

    text = httpx.get(url + "/metrics", timeout=10, trust_env=False).text
    pattern = re.compile(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


def _queue(url: str) -> dict[str, Any]:
    import httpx

    roles = httpx.get(url + "/v1/model", timeout=10, trust_env=False).json()["roles"]
    return dict(roles.get("shadow", {}).get("queue") or {})


def _drain(url: str, timeout: float = 300) -> None:
    """Wait until the shadow queue of ``url`` is empty."""
    deadline = time.monotonic() + timeout
    while _queue(url).get("pending", 0) and time.monotonic() < deadline:
        time.sleep(0.1)


def _pss_kib(pid: int) -> int | None:
    """The proportional set size of ``pid`` (Linux smaps_rollup), None when unreadable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def _memory(proc: Proc, url: str) -> dict[str, Any]:
    """Pss of the server process and of its shadow process (after the load)."""
    child = _queue(url).get("process")
    return {
        "server_pss_mib": (_pss_kib(proc.proc.pid) or 0) / 1024,
        "shadow_pss_mib": (_pss_kib(int(child)) or 0) / 1024 if child else None,
    }


def _wait_shadow(url: str, version: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        roles = httpx.get(url + "/v1/model", timeout=10, trust_env=False).json()["roles"]
        if (roles.get("shadow") or {}).get("version") == version:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} does not follow the shadow {version}")


def _c1(url: str, shadowed: bool, bodies: Path, args: argparse.Namespace) -> dict[str, Any]:
    """p50 at concurrency 1 (the shadow's queue drained first)."""
    if shadowed:
        _drain(url)
    c1 = run_c1_passes(url, bodies, args.passes)
    if shadowed:  # its backlog must not run during the other server's measure
        _drain(url)
    return {"p50_c1_ms": c1["p50_ms"], "c1_failed": c1["failed"]}


def _c8(url: str, shadowed: bool, bodies: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Throughput at concurrency 8 (and the shadow copies made and shed meanwhile)."""
    if shadowed:
        _drain(url)
    shed_before = _metric(url, "catdetector_shadow_shed_total") if shadowed else 0.0
    done_before = _metric(url, "catdetector_shadow_predictions_total") if shadowed else 0.0
    out = {f"c8_{k}": v for k, v in run_load(url, bodies, 8, args.duration).items()}
    if shadowed:
        _drain(url)
        out["c8_shed"] = _metric(url, "catdetector_shadow_shed_total") - shed_before
        out["c8_shadowed"] = _metric(url, "catdetector_shadow_predictions_total") - done_before
    return out


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark; 1 when a target is missed."""
    if args.photos is not None:
        serve_bench.REAL = args.photos.resolve()
    photos = _photos()
    if len(photos) < 10:
        print("skipped: the real photos are absent")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shadow-bench-", dir=args.workdir))
    env = serve_bench.isolated_env(work)
    servers: dict[str, tuple[Proc, str]] = {}
    try:
        print(f"building a registry trained on the {len(photos)} photos in {work} ...")
        reg = build_registry(work, env)
        promote = ["catdetector", "promote", reg["v2"], "--stage", "shadow"]
        _run([*promote, "--force", "--reason", "shadow bench", "--push"], reg["proj"], env)
        for name, extra in (("without", ["--no-shadow"]), ("with", [])):
            port = _free_port()
            proc = Proc(
                [
                    str(BIN / "catdetector"),
                    "serve",
                    "--registry",
                    str(reg["origin"]),
                    "--port",
                    str(port),
                    "--cache-dir",
                    str(work / f"cache-{name}"),
                    "--poll-interval",
                    "30",
                    "--log-level",
                    "warning",
                    *(["--no-log"] if args.no_log else ["--log-db", str(work / f"{name}.sqlite")]),
                    *extra,
                ],
                work / f"serve-{name}.log",
                env,
                work,
            )
            url = f"http://127.0.0.1:{port}"
            servers[name] = (proc, url)
            proc.wait_http(url + "/readyz")
        _wait_shadow(servers["with"][1], reg["v2"])
        bodies = write_bodies(work / "bodies.json", "catdetector")
        for name, (_, url) in servers.items():  # warm both (the shadow process loads its model)
            run_c1_passes(url, bodies, 1)
            if name == "with":
                _drain(url)
        rounds: list[dict[str, Any]] = []
        for index in range(args.rounds):
            order = ["without", "with"] if index % 2 == 0 else ["with", "without"]
            # the two c1 passes back to back, then the two c8 runs: each pair close in time
            got = {n: _c1(servers[n][1], n == "with", bodies, args) for n in order}
            for n in order:
                got[n].update(_c8(servers[n][1], n == "with", bodies, args))
            load = Path("/proc/loadavg").read_text().split()[:3]
            rounds.append({"results": got, "loadavg": load})
            w, wo = got["with"], got["without"]
            print(
                f"round {index + 1}/{args.rounds}: p50 c1 {w['p50_c1_ms']:.2f} vs "
                f"{wo['p50_c1_ms']:.2f} ms, c8 {w['c8_rps']:.0f} vs {wo['c8_rps']:.0f} rps, "
                f"shadowed {w['c8_shadowed']:.0f}, shed {w['c8_shed']:.0f} of "
                f"{w['c8_requests']} (+ warm-up); failed {w['c8_failed']}+{wo['c8_failed']}; "
                f"load average {' '.join(load)}"
            )
        p50 = statistics.median(
            r["results"]["with"]["p50_c1_ms"] / r["results"]["without"]["p50_c1_ms"] for r in rounds
        )
        rps = statistics.median(
            r["results"]["with"]["c8_rps"] / r["results"]["without"]["c8_rps"] for r in rounds
        )
        shed = sum(r["results"]["with"]["c8_shed"] for r in rounds)
        failed = sum(
            r["results"][n]["c8_failed"] + r["results"][n]["c1_failed"]
            for r in rounds
            for n in ("with", "without")
        )
        memory = {n: _memory(*servers[n]) for n in ("without", "with")}
        ok = p50 <= TARGETS["p50_c1_ratio"] and rps >= TARGETS["rps_c8_ratio"] and failed == 0
        summary = {
            "p50_c1_ratio": p50,
            "rps_c8_ratio": rps,
            "c8_shed": shed,
            "failed": failed,
            "memory": memory,
        }
        (OUT / "shadow.json").write_text(json.dumps({"rounds": rounds, **summary}, indent=2))
        print(
            f"with a shadow / without: p50 at c1 {p50:.3f}x (target <= 1.1), throughput at c8 "
            f"{rps:.3f}x (target >= 0.9); {shed:.0f} shadow copies shed at c8; {failed} failed"
            f" -> {'OK' if ok else 'MISSED'}"
        )
        with_mem = memory["with"]
        print(
            f"Pss: server without a shadow {memory['without']['server_pss_mib']:.0f} MiB; "
            f"with: server {with_mem['server_pss_mib']:.0f} MiB + shadow process "
            f"{with_mem['shadow_pss_mib'] or 0:.0f} MiB"
        )
        return 0 if ok else 1
    finally:
        for proc, _ in servers.values():
            proc.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds at concurrency 8")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--passes", type=int, default=1, help="passes over the photos at c1")
    parser.add_argument("--photos", type=Path, default=None, help="the photos' folder")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temp folder goes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-log", action="store_true", help="both servers without the log")
    raise SystemExit(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
