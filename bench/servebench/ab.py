"""A/B of ``catdetector serve`` variants on one bundle: CPU per request at c8, interleaved.

Each variant is a server of the serving venv (1 worker, batching auto, one onnxruntime
thread) with its own ``PYTHONPATH`` (another checkout's ``src``), extra ``serve`` options,
``uvloop`` blocked, or another interpreter switch interval; the variants' order rotates per
round, each starts with a fresh HOME (every input new to the prediction log's image keeper).
Per run: c8 req/s, the server's CPU ms per request (its process tree's user + system time),
the cores it used, optionally the c1 p50; medians per variant, the load average printed.

    BENCH_PHOTOS=... .venv/bin/python bench/servebench/ab.py --bundle DIR \\
        --variants '{"5ms": {}, "1ms": {"switch_interval": 0.001}}' [--rounds 5] [--duration 6]
        [--c1] [--refused] [--profile OUT.svg]

A variant is ``{"pythonpath": "...", "args": ["--no-log"], "no_uvloop": true,
"switch_interval": 0.001, "workers": 2}`` (every key optional; workers 1 unless given).
``--profile`` records the first variant's server at c8 with ``py-spy record --native --idle``
(py-spy from this interpreter's venv; its subprocesses too) instead of the A/B.
``--refused`` sends the photos as ``text/plain``: every request is refused (415), which
times the HTTP path alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # bench/: serve, deep_compare
import serve as sb  # noqa: E402  # isort: skip  (puts the repository on sys.path)
import deep_compare as dc  # noqa: E402  # isort: skip


def variant_env(work: Path, variant: dict[str, Any]) -> dict[str, str]:
    """The environment of one variant's server."""
    env = sb.isolated_env(Path(tempfile.mkdtemp(dir=work)))
    paths = []
    if variant.get("no_uvloop"):
        blocked = work / "no-uvloop" / "uvloop"
        blocked.mkdir(parents=True, exist_ok=True)
        (blocked / "__init__.py").write_text('raise ImportError("uvloop blocked by the A/B")\n')
        paths.append(str(blocked.parent))
    if variant.get("switch_interval"):
        site = Path(tempfile.mkdtemp(dir=work))
        (site / "sitecustomize.py").write_text(
            f"import sys\nsys.setswitchinterval({float(variant['switch_interval'])!r})\n"
        )
        paths.append(str(site))
    if variant.get("pythonpath"):
        paths.append(str(variant["pythonpath"]))
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_one(
    python: Path, bundle: Path, work: Path, bodies: Path, variant: dict[str, Any], args: Any
) -> dict[str, float]:
    """One server of ``variant``: c8 (and c1), then stopped."""
    port = sb._free_port()
    argv = [
        str(python.parent / "catdetector"), "serve", "--bundle", str(bundle),
        "--port", str(port), "--workers", str(variant.get("workers", 1)),
        "--batching", "auto", "--onnx-threads", "0", "--log-level", "warning",
        *variant.get("args", []),
    ]  # fmt: skip
    server = sb.Proc(argv, work / "ab-server.log", variant_env(work, variant), work)
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(url + "/readyz")
        row: dict[str, float] = {"load": os.getloadavg()[0]}
        spy = profiler(server.proc.pid, args) if args.profile else None
        got = dc.load_with_cpu(url, bodies, 8, args.duration, server.proc.pid)
        if spy is not None:
            spy.wait()
        row.update(rps=got["rps"], cpu_ms=got.get("server_cpu_ms_per_req", float("nan")))
        row["cores"] = row["rps"] * row["cpu_ms"] / 1000
        if args.c1:
            row["c1_p50"] = sb.run_c1_passes(url, bodies, 1)["p50_ms"]
    finally:
        server.stop()
    return row


def profiler(pid: int, args: Any) -> subprocess.Popen[bytes]:
    """``py-spy record`` of the server ``pid`` and its workers for the c8 run (warm-up included)."""
    spy = Path(sys.executable).parent / "py-spy"
    argv = [
        str(spy), "record", "--native", "--idle", "--subprocesses", "-r", "200",
        "-d", str(int(args.duration + 2)), "-p", str(pid), "-o", str(args.profile),
    ]  # fmt: skip
    if str(args.profile).endswith(".txt"):
        argv += ["-f", "raw"]
    return subprocess.Popen(argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--variants", required=True, help="JSON: name -> variant")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--c1", action="store_true", help="also c1 p50 (one pass)")
    parser.add_argument("--refused", action="store_true", help="send text/plain: all 415")
    parser.add_argument("--profile", type=Path, help="py-spy the first variant (.svg or .txt)")
    parser.add_argument("--serve-venv", type=Path, default=sb.OUT / "serve-venv")
    args = parser.parse_args()
    import serve_deep as sd

    variants: dict[str, dict[str, Any]] = json.loads(args.variants)
    python = sd.ensure_serve_venv(args.serve_venv)
    sb.PYTHON = str(python)
    work = Path(tempfile.mkdtemp(prefix="serve-ab-"))
    bodies = sb.write_bodies(work / "bodies.json", "catdetector")
    if args.refused:
        doc = json.loads(bodies.read_text())
        doc.update(ctype="text/plain", expect="unsupported")
        bodies.write_text(json.dumps(doc))
    names = list(variants)
    if args.profile:
        names, args.rounds = names[:1], 1
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            row = run_one(python, args.bundle, work, bodies, variants[name], args)
            results[name].append(row)
            print(
                f"round {round_ + 1} {name:12s} "
                + ", ".join(f"{k} {v:.2f}" for k, v in row.items())
            )
    print("medians:")
    for name, rows in results.items():
        keys = rows[0].keys()
        print(f"  {name:12s} " + ", ".join(
            f"{k} {statistics.median(r[k] for r in rows):.2f}" for k in keys
        ))  # fmt: skip
    print(f"load average now {os.getloadavg()}")


if __name__ == "__main__":
    main()
