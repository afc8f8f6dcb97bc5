"""bench/deep_compare.py's verdict: medians over the rounds, ratios against issue 27's targets."""

from __future__ import annotations

import json
import os
import statistics
from typing import Any

import serve as sb

COMPARE_TARGETS = {
    "int8_vs_float32_accuracy_points": -0.5,  # int8 test accuracy - float32's, in points: >=
    "int8_test_accuracy": 0.95,  # >=
    "c8_vs_float32_filed_server": 1.8,  # >= (the "today's float32 server")
    "c8_vs_mlflow_pytorch": 6.0,  # >=
    "p50_c1_vs_inprocess_b1": 1.3,  # <=
    "c8_vs_inprocess_best": 0.85,  # >=
    "server_peak_mb": 400.0,  # <
}


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
    if "accuracy_filed" in results:
        print(f"test accuracy of the filed commit's float32 bundle: {results['accuracy_filed']}")
    nan = float("nan")

    def c8(name: str) -> float:
        return float(medians.get(name, {}).get("c8_rps", nan))

    serve = medians["serve-int8"]
    ratios: dict[str, float | None] = {
        "int8_vs_float32_accuracy_points": 100 * (acc["int8"] - acc["float32"]),
        "int8_test_accuracy": acc["int8"],
        # the 1.8x: against the float32 server of the commit the issue was filed at
        "c8_vs_float32_filed_server": (
            c8("serve-int8") / c8("serve-float32-filed")
            if "serve-float32-filed" in medians
            else None
        ),
        # today's float32 server (this checkout's code, the float32 bundle): no target
        "c8_vs_float32_server_now": c8("serve-int8") / c8("serve-float32"),
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
    ratios.update(workers_ratios(medians, c8))
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


def workers_ratios(medians: dict[str, dict[str, Any]], c8: Any) -> dict[str, float | None]:
    """With ``--with-workers N``: the throughput and latency ratios of the int8 server with N
    workers, against the filed float32 server with 1 worker (the issue's "today") and with N;
    printed without a target (the targets are judged on the default server, 1 worker)."""
    out: dict[str, float | None] = {}
    for name in medians:
        if not name.startswith("serve-int8-w"):
            continue
        n = name.removeprefix("serve-int8-w")
        row = medians[name]
        out[f"w{n}_c8_vs_float32_filed_server"] = c8(name) / c8("serve-float32-filed")
        if f"serve-float32-filed-w{n}" in medians:
            out[f"w{n}_c8_vs_float32_filed_w{n}"] = c8(name) / c8(f"serve-float32-filed-w{n}")
        out[f"w{n}_c8_vs_mlflow_pytorch"] = c8(name) / c8("mlflow-pytorch")
        out[f"w{n}_p50_c1_vs_inprocess_b1"] = row.get("c1_vs_inprocess_b1")
        out[f"w{n}_c8_vs_inprocess_best"] = c8(name) / medians.get("inprocess-int8", {}).get(
            "best_rps", float("nan")
        )
        out[f"w{n}_server_peak_mb"] = row.get("peak_pss_mb")
    return out


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
