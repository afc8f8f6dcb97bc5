"""The serve bench's report: ratios per round and their medians against the targets,
printed, and every figure in bench/out/serve.json."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bench.servebench import config

TARGETS = {
    "vs_mlflow_c8": 2.5,  # our throughput / MLflow's, concurrency 8: at least
    "vs_inprocess_2proc": 0.70,  # our c8 throughput / in-process on both cores: at least
    "p50_c1_vs_inprocess": 1.3,  # our p50 at c1 / in-process p50: at most
    "rollback_s": 2.0,  # rollback -> answering with the old version: under
}


def _fmt(r: dict[str, Any]) -> str:
    return f"{r['rps']:7.1f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms"


def report(
    runs: dict[str, list[dict[str, Any]]],
    rb: dict[str, Any],
    rounds_n: int,
    models: list[str],
    results: dict[str, Any],
) -> int:
    """Print the medians and ratios of ``runs`` (and the rollbacks ``rb``), write
    ``results`` with them to serve.json; 1 when a target is missed."""

    def per_round(fn: Any) -> list[float]:
        return [fn(i) for i in range(rounds_n)]

    def ml_best(conc: int, i: int) -> dict[str, Any]:
        found = [runs[f"mlflow_w{w}_c{conc}"][i] for w in (1, 2) if f"mlflow_w{w}_c{conc}" in runs]
        if conc == 1:
            return min(found, key=lambda r: r["p50_ms"])
        return max(found, key=lambda r: r["rps"])

    rounds = {
        "vs_inprocess_2proc": per_round(
            lambda i: runs["catdetector_c8"][i]["rps"] / runs["inprocess_2proc"][i]["rps"]
        ),
        "p50_c1_vs_inprocess": per_round(
            lambda i: statistics.median(runs["catdetector_c1"][i]["pair_ratios"])
        ),
    }
    if "mlflow_w1_c8" in runs:
        rounds["vs_mlflow_c8"] = per_round(
            lambda i: runs["catdetector_c8"][i]["rps"] / ml_best(8, i)["rps"]
        )
        rounds["vs_mlflow_p50_c1"] = per_round(
            lambda i: runs["catdetector_c1"][i]["p50_ms"] / ml_best(1, i)["p50_ms"]
        )
    for model in models[1:]:  # the first process model against each other, round by round
        tag = f"@{model}"
        rounds[f"c8_rps_vs{tag}"] = per_round(
            lambda i, t=tag: runs["catdetector_c8"][i]["rps"] / runs["catdetector_c8" + t][i]["rps"]
        )
        rounds[f"pss_after_c8_vs{tag}"] = per_round(
            lambda i, t=tag: (
                runs["catdetector_c8"][i]["pss_mb"] / runs["catdetector_c8" + t][i]["pss_mb"]
            )
        )
        rounds[f"p50_c1_pairs_vs{tag}"] = per_round(
            lambda i, t=tag: (
                statistics.median(runs["catdetector_c1"][i]["pair_ratios"])
                / statistics.median(runs["catdetector_c1" + t][i]["pair_ratios"])
            )
        )
    ratios = {key: statistics.median(values) for key, values in rounds.items()}
    ratios["rollback_s"] = max(rb["from_command_start_s"])
    results["ratios_per_round"] = rounds
    print("\nmedians over the rounds:")
    for name, got in runs.items():
        pss = [r["pss_mb"] for r in got if "pss_mb" in r]
        print(
            f"  {name:20s} {statistics.median(r['rps'] for r in got):7.1f} req/s"
            f"   p50 {statistics.median(r['p50_ms'] for r in got):6.2f} ms"
            f"   p99 {statistics.median(r['p99_ms'] for r in got):6.2f} ms"
            + (f"   Pss {statistics.median(pss):6.0f} MB" if pss else "")
        )
    results["ratios"] = ratios
    missed = []
    print("\nratios (same run):")
    for key, value in ratios.items():
        target = TARGETS.get(key)
        if target is None:
            each = ", ".join(f"{v:.2f}" for v in rounds.get(key, []))
            print(f"  {key:30s} {value:6.2f}" + (f"   (rounds: {each})" if each else ""))
            continue
        if key.startswith("vs_"):
            sign, ok = ">=", value >= target
        elif key.startswith("p50"):
            sign, ok = "<=", value <= target
        else:
            sign, ok = "<", value < target
        if not ok:
            missed.append(key)
        each = ", ".join(f"{v:.2f}" for v in rounds.get(key, []))
        print(
            f"  {key:24s} {value:6.2f}   target {sign} {target}   {'met' if ok else 'MISSED'}"
            + (f"   (rounds: {each})" if each else "")
        )
    failures = rb["failed"] + sum(
        r["failed"] for name in runs if name.startswith("catdetector_c") for r in runs[name]
    )
    if failures:
        missed.append("failed requests")
    print(f"  failed requests          {failures}")
    (config.OUT / "serve.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures in {config.OUT / 'serve.json'}")
    return 1 if missed else 0
