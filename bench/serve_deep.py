"""Benchmark: `catdetector serve` of the pretrained rung (onnxruntime) and adaptive batching.

Over the 400 real photos (../shared/data/dogscats-sample, read in place; skipped with a
message when absent) it trains a project whose ladder ends with the ``pretrained`` rung
(EfficientNet-Lite0 in ONNX plus a logistic head; needs ``catdetector[deep]``) in a
temporary folder, and measures in one run, in ``--rounds`` rounds:

- in-process ``LoadedModel.predict_bytes`` (decode, backbone in onnxruntime, head) on
  the same JPEG bytes: batch 1 (p50), and throughput for every batch size of
  ``--batches`` with 1 process of 1 and 2 onnxruntime threads, 2 processes of 1 thread
  and 1 process running 2 predicts of 1 thread at once ("both cores"); the best of
  these is the throughput reference;
- ``catdetector serve --bundle ...`` for each ``--server-workers`` (2 and 1), each
  ``--server-batching`` (auto, which batches this rung, and off) and each ``--onnx-threads`` of
  ``--server-threads`` (0: the default, one thread per predict): p50 at concurrency 1,
  paired chunk by chunk with in-process batch-1 predict with as many threads as one
  predict of the server (bench/serve.py's pairs and pinning), and throughput at
  concurrency 8; the peak memory of the server: the peak of its processes' summed Pss,
  sampled every 0.1 s (shared pages, such as the imports the forked workers share,
  counted once), and the sum of their peak RSS (VmHWM; each process's shared pages
  counted again);
- ``mlflow models serve`` (1 and 2 workers) of a pyfunc wrapping the same bundle
  (bench/serve.py's), at concurrency 1 and 8; the better of the two is the reference.

It reuses bench/serve.py's load generator, pairs, servers and MLflow set-up. Figures
also go to bench/out/serve_deep.json; exit status 1 when a target of the default
server configuration is missed.

    .venv/bin/python bench/serve_deep.py [--duration 6] [--rounds 2] [--pairs 2]
        [--batches 1,4,16] [--server-workers 2,1] [--server-batching auto,off]
        [--server-threads 0] [--mlflow-venv DIR] [--no-mlflow] [--process-models current,main]
    .venv/bin/python bench/serve_deep.py --compare [--rounds 5] [--batches 1,4]
        [--mlflow-torch-venv DIR]   # bench/deep_compare.py: int8, float32, MLflow, PyTorch
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve as sb  # isort: skip  (puts the repository on sys.path)
from bench.servebench.deepserver import (  # noqa: F401  (deep_compare uses them via sd)
    PssSampler,
    ensure_serve_venv,
    inprocess_sweep,
    peak_rss_mb,
    sb_metrics,
    start_server,
    tree,
)  # isort: skip

TARGETS = {
    "p50_c1_vs_inprocess_b1": 1.3,  # our p50 at c1 / in-process batch-1 p50: at most
    "c8_vs_inprocess_best": 0.80,  # our c8 throughput / best in-process on both cores: at least
    "c8_vs_mlflow": 3.0,  # our c8 throughput / MLflow's best: at least
    "server_peak_mb": 500.0,  # peak of the server processes' summed Pss (sampled): under
}
LADDER = {"rungs": ["dummy", "pretrained"]}


def measure_server(
    python: Path,
    bundle: Path,
    work: Path,
    env: dict[str, str],
    bodies: Path,
    args: argparse.Namespace,
    batching: str,
    threads: int,
    workers: int,
) -> dict[str, Any]:
    """c1 pairs, c8 load and peak memory of one server configuration (started and stopped)."""
    server, url = start_server(python, bundle, work, env, batching, threads, workers)
    try:
        per_predict = threads or 1  # the server's default: one onnxruntime thread per predict
        sampler = PssSampler(server.proc.pid)
        paired = sb.run_c1_paired(
            bundle, url, bodies, args.pairs, server.proc.pid, threads=per_predict
        )
        before = sb_metrics(url)
        c8 = sb.run_load(url, bodies, 8, args.duration)
        after = sb_metrics(url)
        c8_batches = {k: after[k] - before[k] for k in after}  # c8 (and its warm-up) only
        return {
            "batching": batching,
            "threads": threads,
            "workers": workers,
            "c1": paired["catdetector_c1"],
            "inprocess_b1": paired["inprocess_1proc"],
            "c8": c8,
            "peak_mb": peak_rss_mb(server.proc.pid),
            "peak_pss_mb": sampler.stop(),
            "batch_rows": c8_batches,
        }
    finally:
        server.stop()


def mlflow_runs(
    args: argparse.Namespace, bundle: Path, work: Path, env: dict[str, str]
) -> dict[str, Any]:
    """MLflow with 1 and 2 workers, concurrency 1 and 8 (one server at a time)."""
    if args.no_mlflow:
        print("mlflow: skipped (--no-mlflow)")
        return {}
    python, why = sb.ensure_mlflow(
        args.mlflow_venv, extra=("onnxruntime",), modules=("onnxruntime",)
    )
    if python is None:
        print(f"mlflow: skipped ({why})")
        return {}
    bodies = sb.write_bodies(work / "bodies-mlflow.json", "mlflow")
    out: dict[str, Any] = {}
    for workers in (1, 2):
        server, url = sb.start_mlflow(python, bundle, work, env, workers)
        try:
            out[f"w{workers}_c1"] = sb.run_c1_passes(url, bodies, args.pairs)
            out[f"w{workers}_c8"] = sb.run_load(url, bodies, 8, args.duration)
            out[f"w{workers}_peak_mb"] = peak_rss_mb(server.proc.pid)
        finally:
            server.stop()
        print(
            f"  mlflow {workers} worker(s): c1 p50 {out[f'w{workers}_c1']['p50_ms']:.2f} ms, "
            f"c8 {out[f'w{workers}_c8']['rps']:.1f} req/s, peak {out[f'w{workers}_peak_mb']:.0f} MB"
        )
    return out


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark; 1 when a target of the default configuration is missed."""
    if len(sb._photos()) < 10:
        print(f"skipped: the real photos are absent ({sb.REAL})")
        return 0
    sb.OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="serve-deep-bench-", dir=args.workdir))
    env = sb.isolated_env(work)
    batches = [int(b) for b in args.batches.split(",")]
    server_threads = [int(t) for t in args.server_threads.split(",")]
    server_workers = [int(w) for w in args.server_workers.split(",")]
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    try:
        print(f"training the pretrained rung on the photos in {work} ...")
        proj = sb.train_project(work, env, **LADDER)
        bundle = proj / "models" / "catdetector"
        meta = json.loads((bundle / "model.json").read_text())
        results["chosen_rung"] = meta["chosen_rung"]
        results["test_accuracy"] = meta["metrics"]["test"]["accuracy"]
        print(f"chosen rung {meta['chosen_rung']}, test accuracy {results['test_accuracy']:.3f}")
        bodies = sb.write_bodies(work / "bodies-catdetector.json", "catdetector")
        python = ensure_serve_venv(args.serve_venv)
        sb.PYTHON = str(python)  # in-process loops and clients run where the server runs
        rounds: list[dict[str, Any]] = []
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds}, load average {os.getloadavg()[0]:.2f}")
            one: dict[str, Any] = {"inprocess": inprocess_sweep(bundle, batches, args.duration)}
            one["servers"] = []
            models = args.process_models.split(",")
            models = models if round_ % 2 == 0 else models[::-1]  # alternate who goes first
            for workers, threads in itertools.product(server_workers, server_threads):
                for batching, model in itertools.product(args.server_batching.split(","), models):
                    menv = sb.code_env(model, work, env)
                    got = measure_server(
                        python, bundle, work, menv, bodies, args, batching, threads, workers
                    )
                    got["process_model"] = model
                    pair = statistics.median(got["c1"]["pair_ratios"])
                    calls, rows = got["batch_rows"]["calls"], got["batch_rows"]["rows"]
                    print(
                        f"  [{model}] serve workers {workers} batching {batching:3s} "
                        f"onnx-threads {threads}: "
                        f"c1 p50 {got['c1']['p50_ms']:.2f} ms ({pair:.2f}x in-process "
                        f"{got['inprocess_b1']['p50_ms']:.2f} ms), c8 {got['c8']['rps']:.1f} req/s "
                        f"(p50 {got['c8']['p50_ms']:.1f} ms, p99 {got['c8']['p99_ms']:.1f} ms), "
                        f"peak {got['peak_mb']:.0f} MB (Pss {got['peak_pss_mb']:.0f} MB), "
                        f"c8 batches {calls:.0f} ({rows / max(calls, 1):.2f} img each)"
                    )
                    one["servers"].append(got)
            one["mlflow"] = mlflow_runs(args, bundle, work, env) if round_ == 0 else {}
            one["load_average"] = os.getloadavg()
            rounds.append(one)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["rounds"] = rounds
    return report(results, args)


def report(results: dict[str, Any], args: argparse.Namespace) -> int:
    """Ratios per server configuration against the references of the same round."""
    mlflow = results["rounds"][0]["mlflow"]
    ml_best = max((v["rps"] for k, v in mlflow.items() if k.endswith("_c8")), default=None)
    table: dict[str, dict[str, list[float]]] = {}
    for one in results["rounds"]:
        best = max(one["inprocess"], key=lambda r: r["rps"])
        for got in one["servers"]:
            key = (
                f"workers {got['workers']}, batching {got['batching']}, "
                f"onnx-threads {got['threads']}"
            )
            if got.get("process_model", "current") != "current":
                key = f"[{got['process_model']}] {key}"
            row = table.setdefault(key, {k: [] for k in TARGETS})
            row.setdefault("c8_rps", []).append(got["c8"]["rps"])
            row["p50_c1_vs_inprocess_b1"].append(statistics.median(got["c1"]["pair_ratios"]))
            row["c8_vs_inprocess_best"].append(got["c8"]["rps"] / best["rps"])
            if ml_best:
                row["c8_vs_mlflow"].append(got["c8"]["rps"] / ml_best)
            row["server_peak_mb"].append(got["peak_pss_mb"])
            row.setdefault("server_peak_rss_sum_mb", []).append(got["peak_mb"])
        print(
            f"best in-process: {best['rps']:.1f} img/s ({best['processes']} proc x "
            f"{best.get('lanes', 1)} lane(s) x {best['threads']} thread(s), batch {best['batch']})"
        )
    results["ratios"] = {
        k: {m: statistics.median(v) for m, v in row.items() if v} for k, row in table.items()
    }
    default = (
        f"workers {args.default_workers}, batching {args.default_batching}, "
        f"onnx-threads {args.default_threads}"
    )
    missed = []
    print("\nratios (medians over the rounds; targets for the default configuration):")
    for key, row in results["ratios"].items():
        print(f"  {key}")
        for name, value in row.items():
            if name not in TARGETS:
                note = "   (VmHWM sum: counts shared pages per process)" if "rss" in name else ""
                print(f"    {name:24s} {value:7.2f}{note}")
                continue
            target = TARGETS[name]
            ok = value <= target if name.startswith(("p50", "server")) else value >= target
            sign = "<=" if name.startswith("p50") else "<" if name.startswith("server") else ">="
            if key == default and not ok:
                missed.append(name)
            print(
                f"    {name:24s} {value:7.2f}   target {sign} {target}   "
                + ("met" if ok else "MISSED")
            )
    results["load_average_end"] = os.getloadavg()
    (sb.OUT / "serve_deep.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nload average {results['load_average_start']} -> {results['load_average_end']}")
    print(f"figures in {sb.OUT / 'serve_deep.json'}")
    return 1 if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per throughput run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (medians)")
    parser.add_argument("--pairs", type=int, default=2, help="c1: pass pairs over the photos")
    parser.add_argument("--batches", default="1,4,16", help="in-process batch sizes")
    parser.add_argument(
        "--server-threads", default="0", help="--onnx-threads values to serve with (0: auto)"
    )
    parser.add_argument("--server-workers", default="2,1", help="--workers values to serve with")
    parser.add_argument("--default-workers", type=int, default=1, help="the configuration judged")
    parser.add_argument(
        "--server-batching", default="auto,off", help="--batching values to serve with"
    )
    parser.add_argument("--default-batching", default="auto", help="the configuration judged")
    parser.add_argument("--default-threads", type=int, default=0, help="the configuration judged")
    parser.add_argument("--serve-venv", type=Path, default=sb.OUT / "serve-venv")
    parser.add_argument("--mlflow-venv", type=Path, default=sb.OUT / "mlflow-venv")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow reference")
    parser.add_argument(
        "--process-models",
        default="current",
        help="servers to compare, interleaved: 'current' and/or git refs (bench/serve.py)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    add_compare_options(parser)
    args = parser.parse_args()
    sys.exit(run_compare(args) if args.compare else bench(args))


def add_compare_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``--compare`` (bench/deep_compare.py)."""
    parser.add_argument(
        "--compare",
        action="store_true",
        help="int8 vs float32 server, in-process, mlflow (ONNX pyfunc and mlflow.pytorch)",
    )
    parser.add_argument("--mlflow-torch-venv", type=Path, default=sb.OUT / "mlflow-torch-venv")
    parser.add_argument("--filed-venv", type=Path, default=sb.OUT / "serve-filed-venv")
    parser.add_argument(
        "--with-workers",
        type=int,
        default=0,
        help="also serve int8 and the filed float32 with this many workers (gunicorn)",
    )
    parser.add_argument(
        "--no-filed",
        action="store_true",
        help="skip serve-float32-filed (the float32 server of the commit issue 27 was filed at)",
    )


def run_compare(args: argparse.Namespace) -> int:
    """bench/deep_compare.py's comparison, in ``args.rounds`` interleaved rounds."""
    import deep_compare

    return deep_compare.compare(args)


if __name__ == "__main__":
    main()
