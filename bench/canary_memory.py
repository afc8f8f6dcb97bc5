"""Benchmark: the memory a canary adds to the server, by rung.

A server with a registry follows the registry's ``canary`` stage too (the default of
``catdetector serve``), and a canary is served in the same process: a second loaded
bundle (for the pretrained rung a second onnxruntime session, backbone and head). For
each rung of ``--rungs`` (``pretrained``: ``ladder.rungs: [dummy, pretrained]``;
``linear``: ``[dummy, linear]``; ``float32``: the pretrained rung with the canary's backbone
in float32, prod's in int8) it trains a project on the real photos in a temporary
folder (``BENCH_PHOTOS=DIR`` from a worktree; when they are absent, a synthetic sample
written as JPEG), registers v1 and v2 (v2 trained with label noise: another model), puts
v1 in ``prod`` and v2 in ``canary`` with ``--share`` per cent, and starts two servers
following prod from the serving-only venv of bench/serve_deep.py (no torch), one worker,
logging to SQLite, ``--no-shadow`` both (the shadow process is counted apart:
bench/shadow_memory.py): ``canary`` (the default: follows the canary, which answers its
share of the requests) and ``alone`` (``--no-canary``: the figures of a server while no
canary is assigned).

Each of ``--rounds`` rounds runs concurrency 8 for ``--duration`` seconds against both
servers, in alternating order, and takes each server's peak Pss over its run (the
process tree's summed Pss sampled every 0.1 s, as bench/serve_deep.py) and its Pss after
it. Printed: per round the figures, the load average and the requests the canary
answered; at the end the medians and the canary's share (median of the per-round
differences). Figures also go to bench/out/canary_memory.json. The rung printed is the one
the ladder chose for v2: with the synthetic sample it may be ``dummy`` (label noise on
easy images), which measures no model worth the name.

    BENCH_PHOTOS=/work/shared/data/dogscats-sample .venv/bin/python bench/canary_memory.py \
        [--rungs pretrained,linear] [--rounds 3] [--duration 5] [--share 50] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve as sb  # isort: skip  (puts the repository on sys.path)
from bench.servebench import deepserver as deep  # isort: skip

LADDERS = {
    "pretrained": ["dummy", "pretrained"],
    "linear": ["dummy", "linear"],
    "float32": ["dummy", "pretrained"],  # v2, the canary, with a float32 backbone
}


def _metric(url: str, name: str, labels: str = "") -> float:
    import httpx

    text = httpx.get(url + "/metrics", timeout=10, trust_env=False).text
    pattern = re.compile(rf"^{name}\{{[^}}]*{labels}[^}}]*\}} (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


def _synthetic_photos(work: Path) -> Path:
    """A synthetic sample (catdetector's generator) written as JPEG, where the bench reads."""
    from PIL import Image

    from catdetector.training.synthetic import write_sample

    folder = work / "synthetic"
    for png in write_sample(work / "synthetic-png", 200, 0):
        jpg = folder / png.parent.name / (png.stem + ".jpg")
        jpg.parent.mkdir(parents=True, exist_ok=True)
        Image.open(png).convert("RGB").save(jpg, quality=90)
    return folder


def _float32(proj: Path) -> None:
    """``pretrained.precision: float32`` in the project's params."""
    import yaml

    path = proj / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params.setdefault("pretrained", {})["precision"] = "float32"
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def build(
    work: Path, env: dict[str, str], rungs: list[str], share: int, float32: bool = False
) -> dict[str, Any]:
    """A registry (bare origin) trained with ``rungs``: v1 in prod, v2 in canary (with a
    float32 backbone when ``float32``)."""
    work.mkdir(parents=True)
    proj = sb.train_project(work, env, rungs=rungs)
    origin = work / "origin.git"
    sb._run(["git", "init", "-q", "--bare", str(origin)], work, env)
    sb._run(["git", "remote", "add", "origin", str(origin)], proj, env)
    sb._run(["git", "push", "-q", "origin", "main"], proj, env)
    sb._run(["dvc", "push", "-q"], proj, env)
    register = ["catdetector", "register", "--push", "--json"]
    v1 = json.loads(sb._run(register, proj, env))["version"]
    sb._set_params(proj, "train", label_noise=0.3)
    if float32:
        _float32(proj)
    sb._run(["dvc", "repro", "-q"], proj, env)
    sb._run(["git", "add", "-A"], proj, env)
    sb._run(["git", "commit", "-qm", "train with label noise"], proj, env)
    sb._run(["dvc", "push", "-q"], proj, env)
    v2 = json.loads(sb._run(register, proj, env))["version"]
    sb._run(["catdetector", "promote", v1, "--stage", "prod", "--push"], proj, env)
    canary = ["catdetector", "promote", v2, "--stage", "canary", "--share", str(share)]
    sb._run([*canary, "--force", "--reason", "canary memory bench", "--push"], proj, env)
    meta = json.loads((proj / "models/catdetector/model.json").read_text())
    return {"origin": origin, "v1": v1, "v2": v2, "rung": meta["chosen_rung"]}


def start(
    python: Path, origin: Path, work: Path, env: dict[str, str], name: str
) -> tuple[sb.Proc, str]:
    """A server following prod (``alone``: ``--no-canary``), ready; its URL."""
    port = sb._free_port()
    proc = sb.Proc(
        [
            str(python.parent / "catdetector"),
            "serve",
            "--registry", str(origin),
            "--port", str(port),
            "--workers", "1",
            "--cache-dir", str(work / f"cache-{name}"),
            "--log-db", str(work / f"{name}.sqlite"),
            "--poll-interval", "30",
            "--log-level", "warning",
            "--no-shadow",
            *(["--no-canary"] if name == "alone" else []),
        ],
        work / f"serve-{name}.log",
        env,
        work,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    proc.wait_http(url + "/readyz")
    return proc, url


def wait_canary(url: str, version: str, timeout: float = 180) -> None:
    """Until the server at ``url`` has loaded ``version`` as its canary."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        roles = httpx.get(url + "/v1/model", timeout=10, trust_env=False).json().get("roles", {})
        if (roles.get("canary") or {}).get("version") == version:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} does not follow the canary {version}")


def measure(proc: sb.Proc, url: str, bodies: Path, duration: float) -> dict[str, Any]:
    """c8 for ``duration`` s: peak Pss over it, Pss after, requests the canary answered."""
    before = _metric(url, "catdetector_routed_requests_total", 'role="canary"')
    sampler = deep.PssSampler(proc.proc.pid)
    c8 = sb.run_load(url, bodies, 8, duration)
    peak = sampler.stop()
    return {
        "peak_pss_mb": peak,
        "after_pss_mb": deep.pss_mb(proc.proc.pid),
        "rps": c8["rps"],
        "failed": c8["failed"],
        "canary_requests": _metric(url, "catdetector_routed_requests_total", 'role="canary"')
        - before,
    }


def bench_rung(
    rung: str, work: Path, python: Path, args: argparse.Namespace, bodies: Path
) -> dict[str, Any]:
    """Both servers of one rung, ``--rounds`` interleaved rounds."""
    work.mkdir(parents=True)
    env = sb.isolated_env(work)
    env["CATDETECTOR_EMBED_CACHE"] = str(args.embed_cache)  # the backbone's cache across runs
    print(f"[{rung}] training v1 and v2 in {work} ...", flush=True)
    reg = build(work / "registry", env, LADDERS[rung], args.share, rung == "float32")
    print(f"[{rung}] chosen rung {reg['rung']}; v1 {reg['v1']} in prod, v2 {reg['v2']} in canary")
    servers: dict[str, tuple[sb.Proc, str]] = {}
    try:
        for name in ("canary", "alone"):
            servers[name] = start(python, reg["origin"], work, env, name)
        wait_canary(servers["canary"][1], reg["v2"])
        for _, url in servers.values():  # warm both: one pass over the photos
            sb.run_c1_passes(url, bodies, 1)
        rounds: list[dict[str, Any]] = []
        for index in range(args.rounds):
            order = ["alone", "canary"] if index % 2 == 0 else ["canary", "alone"]
            got = {name: measure(*servers[name], bodies, args.duration) for name in order}
            load = os.getloadavg()
            rounds.append({**got, "loadavg": load})
            print(
                f"[{rung}] round {index + 1}/{args.rounds} ({' then '.join(order)}): peak Pss "
                f"with the canary {got['canary']['peak_pss_mb']:.0f} MB, without "
                f"{got['alone']['peak_pss_mb']:.0f} MB (after: {got['canary']['after_pss_mb']:.0f}"
                f" / {got['alone']['after_pss_mb']:.0f}); c8 {got['canary']['rps']:.0f} / "
                f"{got['alone']['rps']:.0f} req/s, {got['canary']['canary_requests']:.0f} answered"
                f" by the canary; failed {got['canary']['failed']}+{got['alone']['failed']}; "
                f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
                flush=True,
            )
    finally:
        for proc, _ in servers.values():
            proc.stop()

    def med(name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rounds)

    summary = {
        "rung": reg["rung"],
        "with_canary_peak_mb": med("canary", "peak_pss_mb"),
        "without_canary_peak_mb": med("alone", "peak_pss_mb"),
        "canary_share_mb": statistics.median(
            r["canary"]["peak_pss_mb"] - r["alone"]["peak_pss_mb"] for r in rounds
        ),
        "canary_share_after_mb": statistics.median(
            r["canary"]["after_pss_mb"] - r["alone"]["after_pss_mb"] for r in rounds
        ),
        "failed": sum(r[n]["failed"] for r in rounds for n in ("canary", "alone")),
    }
    print(
        f"[{rung}] medians: peak Pss {summary['with_canary_peak_mb']:.0f} MB with the canary, "
        f"{summary['without_canary_peak_mb']:.0f} MB without: the canary adds "
        f"{summary['canary_share_mb']:.0f} MB at the peak ({summary['canary_share_after_mb']:.0f}"
        f" MB after the load); {summary['failed']} failed",
        flush=True,
    )
    return {"rounds": rounds, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", default="pretrained,linear", help="of: " + ", ".join(LADDERS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of c8 per measure")
    parser.add_argument("--share", type=int, default=50, help="the canary's per cent")
    parser.add_argument("--serve-venv", type=Path, default=sb.OUT / "serve-venv")
    parser.add_argument("--embed-cache", type=Path, default=sb.OUT / "embed-cache")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    rungs = args.rungs.split(",")
    if unknown := set(rungs) - set(LADDERS):
        parser.error(f"unknown rungs: {', '.join(sorted(unknown))} (of: {', '.join(LADDERS)})")
    sb.OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="canary-memory-", dir=args.workdir))
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    try:
        if len(sb._photos()) < 10:
            print(f"the real photos are absent ({sb.REAL}): a synthetic sample instead")
            sb.REAL = _synthetic_photos(work)
        results["photos"] = str(sb.REAL)
        python = deep.ensure_serve_venv(args.serve_venv)
        sb.PYTHON = str(python)  # the load generator runs where the server runs
        bodies = sb.write_bodies(work / "bodies.json", "catdetector")
        print(f"load average at the start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for rung in rungs:
            results[rung] = bench_rung(rung, work / rung, python, args, bodies)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    (sb.OUT / "canary_memory.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
