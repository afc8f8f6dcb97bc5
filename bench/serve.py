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

The pieces live in ``bench/servebench/`` (load generator, in-process reference, c1 client,
registry and servers, MLflow reference, rollback timing); this script runs them, and
keeps every name other benches import from it (``PYTHON`` and ``REAL`` set here are set
where those pieces read them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # run as a script, or by path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servebench import config
from bench.servebench.client import (
    KeepAlive,
    Passes,
    pass_main,
    run_c1_paired,
    run_c1_passes,
)
from bench.servebench.inproc import inproc_main, load_model, run_inproc
from bench.servebench.loadgen import loadgen_main, run_load
from bench.servebench.mlflowref import MLFLOW_PINS, ensure_mlflow, start_mlflow
from bench.servebench.project import (
    Proc,
    _children,
    _cpu_ticks,
    _free_port,
    _photos,
    _run,
    _set_params,
    build_registry,
    code_env,
    isolated_env,
    train_project,
    tree_pss_mb,
    write_bodies,
)
from bench.servebench.report import TARGETS, _fmt, report
from bench.servebench.rollbacks import measure_rollbacks

__all__ = [
    "BIN",
    "MLFLOW_PINS",
    "OUT",
    "REPO",
    "TARGETS",
    "KeepAlive",
    "Passes",
    "Proc",
    "_children",
    "_cpu_ticks",
    "_fmt",
    "_free_port",
    "_photos",
    "_run",
    "_set_params",
    "bench",
    "build_registry",
    "code_env",
    "ensure_mlflow",
    "inproc_main",
    "isolated_env",
    "load_model",
    "loadgen_main",
    "main",
    "measure_rollbacks",
    "pass_main",
    "report",
    "run_c1_paired",
    "run_c1_passes",
    "run_inproc",
    "run_load",
    "start_mlflow",
    "train_project",
    "tree_pss_mb",
    "write_bodies",
]  # fmt: skip

REPO = config.REPO
OUT = config.OUT
BIN = config.BIN
SHARED = ("PYTHON", "REAL")  # read here, set here: both live in config


class _Shared(types.ModuleType):
    """This module: ``serve.PYTHON = ...`` (another bench) sets ``config.PYTHON``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in SHARED:
            setattr(config, name, value)
        else:
            super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    """``PYTHON`` and ``REAL``: read from config (PEP 562)."""
    if name in SHARED:
        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ in sys.modules:  # not when loaded from its path without a name (a test)
    sys.modules[__name__].__class__ = _Shared


def bench(args: argparse.Namespace) -> int:
    """The whole benchmark; 1 when a target is missed."""
    import httpx

    photos = _photos()
    if len(photos) < 10:
        print(f"skipped: the real photos are absent ({config.REAL}/{{cat,other}}/*.jpg)")
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

    return report(runs, rb, args.rounds, models, results)


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
