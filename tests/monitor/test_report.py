"""`catdetector monitor report`: per-version figures from a real SQLite log, alarms, HTML."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from catdetector.model.bundle import LoadedModel, load_bundle
from catdetector.monitor import store as store_mod
from catdetector.monitor.feedback import add
from catdetector.monitor.store import utcnow
from tests.monitor.shifted import (
    darken,
    error_row,
    fresh_sample,
    model_meta,
    prediction_rows,
    served_values,
)
from tests.support import cli

N = 120


@pytest.fixture(scope="module")
def served(trained_project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundle, and what it gives on fresh inputs and on the same inputs much darker."""
    model = load_bundle(trained_project / "models/catdetector")
    fresh = fresh_sample(tmp_path_factory.mktemp("fresh"), N, seed=777)
    return {
        "model": model,
        "fresh": served_values(model, fresh),
        "dark": served_values(model, [darken(b) for b in fresh]),
        "truth": ["cat" if i % 2 == 0 else "other" for i in range(N)],  # write_sample alternates
    }


def _log(tmp_path: Path, served: dict[str, Any], atc: bool = True) -> tuple[Path, list[str]]:
    """A log: v0.1.0 served fresh inputs 10 min ago, v0.2.0 dark ones 3 h ago; some labels."""
    model: LoadedModel = served["model"]
    path = tmp_path / "log.sqlite"
    db = store_mod.open(path)
    try:
        drop = () if atc else ("atc",)
        db.upsert_model("v0.1.0", "0" * 32, model_meta(model, drop))
        db.upsert_model("v0.2.0", "0" * 32, model_meta(model, drop))
        now = utcnow()
        good = prediction_rows(model, "v0.1.0", served["fresh"], now - timedelta(minutes=10))
        bad = prediction_rows(model, "v0.2.0", served["dark"], now - timedelta(hours=3))
        errors = [error_row("v0.1.0", now - timedelta(minutes=9)) for _ in range(6)]
        db.insert_predictions(good + bad + errors)
        truth = served["truth"]
        for i, row in enumerate(good[:60]):
            pred = db.prediction(row["request_id"])
            assert pred is not None
            # the last 20 labels come from a model and say the opposite: never counted
            if i < 40:
                add(db, pred, truth[i], "human", model.labels)
            else:
                add(db, pred, "other" if row["label"] == "cat" else "cat", "model:x", model.labels)
    finally:
        db.close()
    return path, [r["label"] for r in good[:40]]


def _versions(proc: Any) -> dict[str, dict[str, Any]]:
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return {v["version"]: v for v in data}


def test_report_per_version_flags_the_dark_one_and_exits_1(
    served: dict[str, Any], tmp_path: Path
) -> None:
    path, predicted = _log(tmp_path, served)
    proc = cli("monitor", "report", "--log-db", str(path), "--json", cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    versions = _versions(proc)
    assert set(versions) == {"v0.1.0", "v0.2.0"}
    good, bad = versions["v0.1.0"], versions["v0.2.0"]
    assert good["requests"] == N + 6 and good["errors"] == 6
    assert good["error_rate"] == pytest.approx(6 / (N + 6))
    assert bad["requests"] == N and bad["errors"] == 0
    assert good["alarm"] is False and good["alarms"] == [], good["alarms"]
    assert bad["alarm"] is True
    flagged = {d["name"] for d in bad["drift"] if d["drifted"]}
    assert "brightness" in flagged and any("drift of brightness" in a for a in bad["alarms"])
    assert [d["name"] for d in good["drift"] if d["drifted"]] == []
    assert good["prediction_drift"]["name"] == "probability"
    assert good["prediction_drift"]["n"] == N
    # latency percentiles of every record (5..14 ms for the predictions, 0.5 for errors)
    lat = good["latency_ms"]
    assert 0.5 <= lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"] == 14.0
    assert sum(good["confidence"]["counts"]) == N
    # accuracy on the human labels only: the 20 model-sourced labels are left out
    truth = served["truth"][:40]
    expected = sum(p == t for p, t in zip(predicted, truth, strict=True)) / 40
    assert good["feedback"]["n"] == 40
    assert good["feedback"]["accuracy"] == pytest.approx(expected)
    # ATC: the share of served predictions above the bundle's threshold
    model: LoadedModel = served["model"]
    threshold = model.meta["atc"]["threshold"]
    probs = served["fresh"]["probability"]
    share = sum(max(p, 1 - p) > threshold for p in probs) / N
    assert good["atc"]["threshold"] == threshold
    assert good["atc"]["estimated_accuracy"] == pytest.approx(share)
    # the human-readable form says the same
    text = cli("monitor", "report", "--log-db", str(path), cwd=tmp_path, check=False)
    assert text.returncode == 1
    assert "ALARM v0.2.0" in text.stdout and "ok v0.1.0" in text.stdout


def test_since_keeps_only_recent_predictions(served: dict[str, Any], tmp_path: Path) -> None:
    path, _ = _log(tmp_path, served)
    proc = cli("monitor", "report", "--log-db", str(path), "--since", "1h", "--json", cwd=tmp_path)
    assert list(_versions(proc)) == ["v0.1.0"]
    since = (utcnow() - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    proc = cli(
        "monitor",
        "report",
        "--log-db",
        str(path),
        "--since",
        since,
        "--json",
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1 and set(_versions(proc)) == {"v0.1.0", "v0.2.0"}


def test_html_report_is_one_self_contained_file(served: dict[str, Any], tmp_path: Path) -> None:
    path, _ = _log(tmp_path, served)
    out = tmp_path / "out" / "report.html"
    proc = cli(
        "monitor", "report", "--log-db", str(path), "--html", str(out), cwd=tmp_path, check=False
    )
    assert proc.returncode == 1
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 2 * 9
    assert "drift of brightness" in page and "v0.1.0" in page and "v0.2.0" in page
    # nothing to fetch: no scripts, stylesheets, images or fonts from anywhere
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert re.findall(r"(?:src|href)\s*=", page) == []
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}


def test_thresholds_come_from_params(served: dict[str, Any], tmp_path: Path) -> None:
    path, _ = _log(tmp_path, served)
    params = tmp_path / "lenient.yaml"
    params.write_text("monitor:\n  psi: 1000\n  min_accuracy: 0\n  max_accuracy_drop: 1\n")
    proc = cli(
        "monitor", "report", "--log-db", str(path), "--params", str(params), "--json", cwd=tmp_path
    )
    assert not any(v["alarm"] for v in _versions(proc).values())
    strict = tmp_path / "strict.yaml"
    strict.write_text("monitor:\n  min_accuracy: 0.99\n  min_samples: 10\n")
    proc = cli(
        "monitor",
        "report",
        "--log-db",
        str(path),
        "--params",
        str(strict),
        "--json",
        "--since",
        "1h",
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    alarms = _versions(proc)["v0.1.0"]["alarms"]
    assert any(a.startswith("accuracy on 40 labelled") for a in alarms), alarms
    assert any(a.startswith("ATC-estimated accuracy") for a in alarms), alarms


def test_a_model_without_atc_has_no_estimate(served: dict[str, Any], tmp_path: Path) -> None:
    path, _ = _log(tmp_path, served, atc=False)
    proc = cli("monitor", "report", "--log-db", str(path), "--since", "1h", "--json", cwd=tmp_path)
    good = _versions(proc)["v0.1.0"]
    assert good["atc"] is None and good["requests"] == N + 6


def test_an_empty_log_and_unknown_models(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    store_mod.open(path).close()
    proc = cli("monitor", "report", "--log-db", str(path), "--json", cwd=tmp_path)
    assert json.loads(proc.stdout) == []
    db = store_mod.open(path)
    try:
        db.insert_predictions([error_row("v9.9.9", utcnow())])
    finally:
        db.close()
    proc = cli("monitor", "report", "--log-db", str(path), "--json", cwd=tmp_path)
    [only] = json.loads(proc.stdout)
    assert only["version"] == "v9.9.9" and only["requests"] == 1 and only["error_rate"] == 1.0
    assert any("no `models` record" in n for n in only["notes"])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--since", "yesterday"], 2, "neither an ISO time nor a duration"),
        (["--since", "0m"], 2, "not a duration"),
        (["--log-db", "{missing}"], 14, "no prediction log at"),
        (["--log-db", "mysql://x/y"], 14, "unsupported database"),
        (["--log-db", "postgresql://bob:hunter2@h:port/db"], 14, "not a database URL"),
        (["--params", "{badparams}"], 3, "monitor.psi"),
    ],
)
def test_bad_input_gives_one_line_and_an_exit_code(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    path = tmp_path / "log.sqlite"
    store_mod.open(path).close()
    bad = tmp_path / "bad.yaml"
    bad.write_text("monitor:\n  psi: -1\n")
    args = [a.format(missing=tmp_path / "nope.sqlite", badparams=bad) for a in args]
    if "--log-db" not in args:
        args += ["--log-db", str(path)]
    proc = cli("monitor", "report", *args, cwd=tmp_path, check=False)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "nope.sqlite").exists()
