"""`bench/serve_deep.py --compare`: the pretrained rung against what a team would compare it to.

In one run, on the same photos, with the same load generator (bench/serve.py's, in its own
process, its CPU time measured), in ``--rounds`` interleaved rounds (the order of the
contenders rotates from round to round, so a slow minute of the shared machine falls on
each in turn):

- ``serve-int8``: the default ``catdetector serve`` (1 worker) of the int8 bundle;
- ``serve-float32``: the same server of the float32 bundle (same data, ``pretrained.precision``);
- ``serve-float32-filed``: the float32 server as it was when issue 27 was filed (the code of
  ``servebench.filed.FILED_COMMIT``, its own venv ``--filed-venv``, the float32 bundle its own
  code trains on the same photos): the issue's "1.8x today's float32 server" is judged against
  it (``--no-filed`` skips it);
- with ``--with-workers N``: ``serve-int8-wN`` and ``serve-float32-filed-wN``, the same two
  servers with N workers (gunicorn), reported beside the targets (memory is judged on 1);
- ``inprocess-int8``: in-process ``predict_bytes`` of the int8 bundle: batch-1 p50 (paired
  chunk by chunk with the server's c1, as bench/serve.py does) and the best throughput over
  1 and 2 processes / lanes and ``--batches``;
- ``mlflow-onnx``: ``mlflow models serve`` (1 worker) of a pyfunc wrapping the int8 bundle;
- ``mlflow-pytorch``: ``mlflow models serve`` (1 worker) of the same backbone (torch, float32)
  and the float32 bundle's head, logged with ``mlflow.pytorch``, behind a pyfunc that decodes
  with catdetector's preprocessing (torch CPU; its own venv, never a project dependency).

Per contender: p50 at concurrency 1, throughput at concurrency 8, the server's CPU per request
at concurrency 8 (its process tree's user + system time: unlike req/s, it hardly depends on
what else the shared machine runs), the server's peak memory (summed Pss, sampled), and the
load generator's CPU seconds per second of load. Medians
over the rounds go to bench/out/serve_deep_compare.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import serve as sb  # isort: skip  (puts the repository on sys.path)
import serve_deep as sd  # isort: skip
from bench.servebench import filed  # isort: skip
from bench.servebench.comparereport import compare_report  # isort: skip
from bench.servebench.mlflowtorch import (  # isort: skip
    TORCH_EXTRA,
    TORCH_MODULES,
    start_mlflow_torch,
)


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the process ``pid`` and its descendants."""
    ticks = 0
    for one in sd.tree(pid):
        try:
            ticks += sb._cpu_ticks(one)
        except (OSError, IndexError, ValueError):  # a process that just ended
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def load_with_cpu(
    url: str, bodies: Path, concurrency: int, duration: float, server_pid: int | None = None
) -> dict[str, Any]:
    """:func:`sb.run_load`, plus the load generator's own CPU (it shares the 2 cores) and,
    with ``server_pid``, the server's CPU per request: CPU time, unlike req/s, hardly
    depends on what else the shared machine runs."""
    warmup = 2.0  # sb.run_load's: its requests run at the measured pace and use CPU too
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu_s(server_pid) if server_pid else 0.0
    got = sb.run_load(url, bodies, concurrency, duration, warmup=warmup)
    server_used = server_cpu_s(server_pid) - server_before if server_pid else 0.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = {**got, "loadgen_cpu_s": cpu, "loadgen_cores": cpu / (duration + warmup)}
    if server_pid and got["rps"] > 0:
        out["server_cpu_ms_per_req"] = 1000 * server_used / (got["rps"] * (duration + warmup))
    return out


def failures(c1: dict[str, Any], c8: dict[str, Any]) -> dict[str, Any]:
    """A contender's failed requests at c1 and c8 (with the first reasons), and how often
    the c1 client reconnected to an idle connection the server had closed or resent."""
    return {
        "c1_failed": c1["failed"],
        "c1_reconnects": c1.get("reconnects", 0),
        "c1_resent": c1.get("resent", 0),
        "c8_failed": c8["failed"],
        "errors": [*c1.get("errors", []), *c8.get("errors", [])][:5],
    }


def serve_contender(
    python: Path,
    bundle: Path,
    work: Path,
    env: dict[str, str],
    bodies: Path,
    args: Any,
    workers: int = 1,
) -> dict[str, Any]:
    """The default server (batching auto, one thread per predict) of ``bundle``, with
    ``workers`` workers (1 is the default; more run under gunicorn)."""
    server, url = sd.start_server(python, bundle, work, env, "auto", 0, workers)
    try:
        sampler = sd.PssSampler(server.proc.pid)
        paired = sb.run_c1_paired(bundle, url, bodies, args.pairs, server.proc.pid, threads=1)
        c8 = load_with_cpu(url, bodies, 8, args.duration, server.proc.pid)
        return {
            "c1_p50_ms": paired["catdetector_c1"]["p50_ms"],
            "c1_vs_inprocess_b1": statistics.median(paired["catdetector_c1"]["pair_ratios"]),
            "inprocess_b1_p50_ms": paired["inprocess_1proc"]["p50_ms"],
            "c8_rps": c8["rps"],
            "c8_server_cpu_ms_per_req": c8.get("server_cpu_ms_per_req", float("nan")),
            "loadgen_cores": c8["loadgen_cores"],
            "peak_pss_mb": sampler.stop(),
            **failures(paired["catdetector_c1"], c8),
        }
    finally:
        server.stop()


def started_contender(server: sb.Proc, url: str, bodies: Path, args: Any) -> dict[str, Any]:
    """c1 passes, c8 load and peak memory of a started server (then stopped): ``mlflow models
    serve``, or the filed commit's server (whose bundle today's in-process code cannot pair)."""
    try:
        sampler = sd.PssSampler(server.proc.pid)
        c1 = sb.run_c1_passes(url, bodies, args.pairs)
        c8 = load_with_cpu(url, bodies, 8, args.duration, server.proc.pid)
        return {
            "c1_p50_ms": c1["p50_ms"],
            "c8_rps": c8["rps"],
            "c8_server_cpu_ms_per_req": c8.get("server_cpu_ms_per_req", float("nan")),
            "loadgen_cores": c8["loadgen_cores"],
            "peak_pss_mb": sampler.stop(),
            **failures(c1, c8),
        }
    finally:
        server.stop()


def inprocess_best(bundle: Path, args: Any) -> dict[str, Any]:
    """The best in-process throughput of ``bundle`` over processes, lanes and batch sizes."""
    batches = [int(b) for b in args.batches.split(",")]
    runs = sd.inprocess_sweep(bundle, batches, args.duration)
    best = max(runs, key=lambda r: r["rps"])
    return {
        "best_rps": best["rps"],
        "best": {k: best.get(k) for k in ("processes", "lanes", "threads", "batch")},
    }


def train_both(work: Path, env: dict[str, str]) -> dict[str, Path]:
    """The int8 (default) and float32 bundles of one project trained on the photos."""
    proj = sb.train_project(work, env, **sd.LADDER)
    out = {"int8": work / "bundle-int8", "float32": work / "bundle-float32"}
    shutil.copytree(proj / "models" / "catdetector", out["int8"])
    sb._set_params(proj, "pretrained", precision="float32")
    sb._run(["dvc", "repro", "-q"], proj, env)
    shutil.copytree(proj / "models" / "catdetector", out["float32"])
    return out


def wait_for_pip(venv: Path) -> None:
    """Wait while another process pip-installs into ``venv`` (e.g. a venv made ahead of time)."""
    import time

    marker = f"{venv}/bin/python\0-m\0pip".encode()
    while True:
        busy = False
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                busy = busy or marker in cmdline.read_bytes()
            except OSError:
                continue
        if not busy:
            return
        print(f"waiting for the pip install running in {venv} ...")
        time.sleep(10)


def compare(args: argparse.Namespace) -> int:
    """The whole comparison; 1 when a target is missed."""
    if len(sb._photos()) < 10:
        print(f"skipped: the real photos are absent ({sb.REAL})")
        return 0
    sb.OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="serve-deep-compare-", dir=args.workdir))
    env = sb.isolated_env(work)
    results: dict[str, Any] = {"load_average_start": os.getloadavg(), "rounds": []}
    try:
        print(f"training the int8 and float32 bundles on the photos in {work} ...")
        bundles = train_both(work, env)
        results["accuracy"] = accuracies(bundles)
        print(f"test accuracy: {results['accuracy']}")
        bodies = sb.write_bodies(work / "bodies-catdetector.json", "catdetector")
        ml_bodies = sb.write_bodies(work / "bodies-mlflow.json", "mlflow")
        python = sd.ensure_serve_venv(args.serve_venv)
        sb.PYTHON = str(python)
        ml_onnx, why, ml_torch, why_torch = None, "skipped", None, "skipped"
        if not args.no_mlflow:
            wait_for_pip(args.mlflow_venv)
            wait_for_pip(args.mlflow_torch_venv)
            ml_onnx, why = sb.ensure_mlflow(
                args.mlflow_venv, extra=("onnxruntime",), modules=("onnxruntime",)
            )
            ml_torch, why_torch = sb.ensure_mlflow(
                args.mlflow_torch_venv, extra=TORCH_EXTRA, modules=TORCH_MODULES
            )
        print(f"mlflow venvs: onnx {why}, pytorch {why_torch}")
        filed_python = None
        if not args.no_filed:  # the float32 server of the commit issue 27 was filed at
            src = filed.filed_source(sb.OUT)
            filed_python = filed.ensure_filed_venv(args.filed_venv, src)
            bundles["float32-filed"] = filed.train_filed(work, env, sd.LADDER)
            results["accuracy_filed"] = accuracies({"float32": bundles["float32-filed"]})
        contenders: dict[str, Any] = {
            "serve-int8": lambda: serve_contender(python, bundles["int8"], work, env, bodies, args),
            "serve-float32": lambda: serve_contender(
                python, bundles["float32"], work, env, bodies, args
            ),
            "inprocess-int8": lambda: inprocess_best(bundles["int8"], args),
        }
        if filed_python is not None:
            contenders["serve-float32-filed"] = lambda: started_contender(
                *sd.start_server(filed_python, bundles["float32-filed"], work, env, "auto", 0, 1),
                bodies,
                args,
            )
        if args.with_workers > 1:  # the same servers with one process per core
            n = args.with_workers
            contenders[f"serve-int8-w{n}"] = lambda: serve_contender(
                python, bundles["int8"], work, env, bodies, args, workers=n
            )
            if filed_python is not None:
                contenders[f"serve-float32-filed-w{n}"] = lambda: started_contender(
                    *sd.start_server(
                        filed_python, bundles["float32-filed"], work, env, "auto", 0, n
                    ),
                    bodies,
                    args,
                )
        if ml_onnx is not None:
            contenders["mlflow-onnx"] = lambda: started_contender(
                *sb.start_mlflow(ml_onnx, bundles["int8"], work, env, 1), ml_bodies, args
            )
        if ml_torch is not None:
            contenders["mlflow-pytorch"] = lambda: started_contender(
                *start_mlflow_torch(ml_torch, bundles["float32"], work, env), ml_bodies, args
            )
        names = list(contenders)
        for round_ in range(args.rounds):
            shift = round_ % len(names)
            order = names[shift:] + names[:shift]
            print(
                f"round {round_ + 1}/{args.rounds} ({', '.join(order)}), "
                f"load average {os.getloadavg()[0]:.2f}"
            )
            one: dict[str, Any] = {"load_average": os.getloadavg()[0]}
            for name in order:
                try:
                    one[name] = contenders[name]()
                except (Exception, SystemExit) as exc:  # reported; the run goes on
                    one[name] = {"error": f"{type(exc).__name__}: {exc}"[-2000:]}
                print(f"  {name:15s} {json.dumps(one[name])}")
            one["load_average_end"] = os.getloadavg()[0]
            print(f"  load average {one['load_average']:.2f} -> {one['load_average_end']:.2f}")
            results["rounds"].append(one)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return compare_report(results)


def accuracies(bundles: dict[str, Path]) -> dict[str, float]:
    """Test accuracy of each bundle (from its model.json)."""
    out = {}
    for precision, bundle in bundles.items():
        meta = json.loads((bundle / "model.json").read_text())
        out[precision] = meta["metrics"]["test"]["accuracy"]
    return out
