"""`monitor compare`: every figure of a log built row by row, checked against a recount.

The recount below is written from the definitions (Wilson's formula, inclusive
percentiles from ``statistics``, plain counting), not from the code under test.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.config import MonitorParams
from catdetector.core.errors import UsageError
from catdetector.monitor import compare, drift, schema
from catdetector.monitor import store as store_mod
from catdetector.monitor.store import Feedback
from tests.monitor.records import record
from tests.support import cli

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LABELS = ["cat", "other"]
PARAMS = MonitorParams(min_samples=5)


def _reference(values: list[float]) -> dict[str, Any]:
    edges = sorted({float(v) for v in statistics.quantiles(values, n=4)})
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = min(max(sum(e <= v for e in edges) - 1, 0), len(counts) - 1)
        counts[i] += 1
    return {"edges": edges, "counts": counts, "mean": statistics.fmean(values), "sample": values}


def _meta(shift: float) -> dict[str, Any]:
    probs = [0.1 + 0.8 * i / 49 + shift for i in range(50)]
    bright = [100 + i + 100 * shift for i in range(50)]
    return {
        "labels": LABELS,
        "positive_label": "cat",
        "reference": {"probability": _reference(probs), "brightness": _reference(bright)},
    }


def _row(version: str, i: int, label: str | None, conf: float, **kw: Any) -> dict[str, Any]:
    prob = conf if label == "cat" else 1 - conf
    return record(
        model_version=version,
        created_at=kw.pop("at", T0 + timedelta(seconds=i)),
        label=label,
        probability=prob if label else None,
        confidence=conf if label else None,
        latency_ms=kw.pop("latency", 1.0 + i),
        stats={"brightness": 100.0 + i},
        input_sha256=kw.pop("sha", f"{i:064d}"),
        **kw,
    )


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@pytest.fixture
def log(tmp_path: Path) -> dict[str, Any]:
    """40 primary answers of v1; v2 shadows them; v3 is a canary from second 5 to 24."""
    path = tmp_path / "log.sqlite"
    store = store_mod.open(path)
    primaries = [_row("v1", i, LABELS[i % 2], 0.6 + (i % 4) * 0.1) for i in range(40)]
    shadows = []
    for i, p in enumerate(primaries):
        if i in (3, 7):  # the shadow failed
            row = _row("v2", i, None, 0, status=500, error="boom", latency=50.0 + i)
        else:  # agrees except on every fifth request
            label = p["label"] if i % 5 else LABELS[(i + 1) % 2]
            row = _row("v2", i, label, 0.55 + (i % 3) * 0.1, latency=2.0 * i + 0.5)
        if i == 11:
            row["input_sha256"] = "f" * 64  # a re-sent request id: not the same input
        shadows.append(store_mod.with_role(row, "shadow", p["request_id"]))
    orphan = store_mod.with_role(_row("v2", 41, "cat", 0.9), "shadow", "9" * 32)
    canaries = [
        store_mod.with_role(_row("v3", 5 + j, LABELS[j % 3 == 0], 0.7, latency=9.0 + j), "canary")
        for j in range(20)
    ]
    store.insert_predictions(primaries + shadows + [orphan] + canaries)
    for version, shift in (("v1", 0.0), ("v2", 0.0), ("v3", 0.3)):
        store.upsert_model(version, "0" * 32, _meta(shift), T0)
    truth = {  # the primary is right but on every ninth request
        p["request_id"]: p["label"] if i % 9 else LABELS[(i + 1) % 2]
        for i, p in enumerate(primaries)
        if i % 3 == 0
    }
    truth |= {c["request_id"]: "cat" for j, c in enumerate(canaries) if j % 2 == 0}
    with store.session() as session, session.begin():
        for rid, label in truth.items():
            session.add(Feedback(request_id=rid, label=label, source="human", created_at=T0))
        session.add(  # a model's label is never truth
            Feedback(
                request_id=primaries[1]["request_id"], label="cat", source="model", created_at=T0
            )
        )
    store.close()
    return {
        "path": path,
        "primaries": primaries,
        "shadows": shadows,
        "canaries": canaries,
        "truth": truth,
    }


def test_shadow_figures_match_a_recount(log: dict[str, Any]) -> None:
    reader = schema.open_read(log["path"])
    try:
        built = compare.build(reader, PARAMS, stage="shadow")
    finally:
        reader.close()
    [c] = built.comparisons
    assert (c.stage, c.candidate, c.primary, c.paired) == ("shadow", "v2", ["v1"], True)
    assert "same requests" in c.note
    pairs = [(p, s) for p, s in zip(log["primaries"], log["shadows"], strict=True)]
    pairs = [(p, s) for p, s in pairs if s["input_sha256"] == p["input_sha256"]]
    assert (c.unpaired, c.mismatched) == (1, 1) and len(pairs) == 39
    ok = [(p, s) for p, s in pairs if s["status"] == 200]
    agree = sum(p["label"] == s["label"] for p, s in ok)
    assert c.agreement is not None
    assert (c.agreement["k"], c.agreement["n"]) == (agree, 37) == (29, 37)
    assert c.agreement["ci"] == pytest.approx(_wilson(agree, 37))
    assert c.confusion is not None and c.confusion["labels"] == LABELS
    assert c.confusion["matrix"] == [
        [sum(p["label"] == a and s["label"] == b for p, s in ok) for b in LABELS] for a in LABELS
    ]
    truth = log["truth"]
    labelled = [(p, s) for p, s in ok if p["request_id"] in truth]
    got = c.labelled
    assert got["same_requests"] and got["primary"]["n"] == got["candidate"]["n"] == len(labelled)
    assert got["primary"]["k"] == sum(p["label"] == truth[p["request_id"]] for p, _ in labelled)
    assert got["candidate"]["k"] == sum(s["label"] == truth[p["request_id"]] for p, s in labelled)
    assert got["candidate"]["ci"] == pytest.approx(_wilson(got["candidate"]["k"], len(labelled)))
    prim, cand = c.sides["primary"], c.sides["candidate"]
    assert (prim["requests"], prim["errors"], cand["requests"], cand["errors"]) == (39, 0, 39, 2)
    assert cand["error"]["rate"] == pytest.approx(2 / 39)
    assert cand["error"]["ci"] == pytest.approx(_wilson(2, 39))
    for side, rows in ((prim, [p for p, _ in pairs]), (cand, [s for _, s in pairs])):
        lat = [r["latency_ms"] for r in rows]
        conf = [r["confidence"] for r in rows if r["status"] == 200]
        for q in (50, 90, 99):
            assert side["latency_ms"][f"p{q}"] == pytest.approx(_pct(lat, q))
        for q in (10, 50, 90):
            assert side["confidence"][f"p{q}"] == pytest.approx(_pct(conf, q))
        assert side["confidence"]["mean"] == pytest.approx(statistics.fmean(conf))
        served = [r for r in rows if r["status"] == 200]
        samples = {
            "brightness": [r["stats"]["brightness"] for r in served],
            "probability": [r["probability"] for r in served],
        }
        expected = {d.name: d for d in drift.drift_all(_meta(0.0)["reference"], samples, PARAMS)}
        assert side["prediction_drift"]["psi"] == pytest.approx(expected["probability"].psi)
        assert [d["psi"] for d in side["drift"]] == pytest.approx([expected["brightness"].psi])
    assert not built.alarm, cand["alarms"]


def test_canary_is_set_beside_the_same_window_of_other_requests(log: dict[str, Any]) -> None:
    reader = schema.open_read(log["path"])
    try:
        [c] = compare.build(reader, PARAMS, stage="canary").comparisons
    finally:
        reader.close()
    assert (c.stage, c.candidate, c.paired, c.agreement, c.confusion) == (
        "canary",
        "v3",
        False,
        None,
        None,
    )
    assert "different requests" in c.note
    window = log["primaries"][5:25]  # seconds 5 to 24: the canary's first to last record
    truth = log["truth"]
    assert c.sides["primary"]["requests"] == len(window) == 20
    assert c.sides["candidate"]["requests"] == 20
    mine = [p for p in window if p["request_id"] in truth]
    assert c.labelled["primary"]["n"] == len(mine)
    assert c.labelled["primary"]["k"] == sum(p["label"] == truth[p["request_id"]] for p in mine)
    theirs = [x for x in log["canaries"] if x["request_id"] in truth]
    assert c.labelled["candidate"]["k"] == sum(x["label"] == truth[x["request_id"]] for x in theirs)
    shares = c.distributions["label_shares"]
    assert shares["candidate"] == {"cat": 13 / 20, "other": 7 / 20}
    assert shares["primary"] == {"cat": 0.5, "other": 0.5}
    assert c.sides["candidate"]["latency_ms"]["p50"] == pytest.approx(
        _pct([x["latency_ms"] for x in log["canaries"]], 50)
    )
    # v3's reference is shifted: its served probabilities drift against its own reference
    assert c.sides["candidate"]["prediction_drift"]["psi"] > 0.25


@pytest.mark.slow
def test_the_command_prints_json_and_html_and_refuses_a_primary_stage(
    log: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "compare.html"
    (tmp_path / "params.yaml").write_text("monitor:\n  min_samples: 5\n")
    db = str(log["path"])
    done = cli(
        "monitor",
        "compare",
        "--log-db",
        db,
        "--json",
        "--html",
        str(page),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the canary drifts against its own reference
    data = json.loads(done.stdout)
    assert data["alarm"] and [c["alarm"] for c in data["comparisons"]] == [False, True]
    assert [(c["stage"], c["candidate"]) for c in data["comparisons"]] == [
        ("shadow", "v2"),
        ("canary", "v3"),
    ]
    assert data["window"] == "all logged predictions"
    html = page.read_text()
    assert "agreement" in html and "different requests" in html and "<script" not in html
    text = cli("monitor", "compare", "--log-db", db, "--stage", "shadow", cwd=tmp_path)
    assert "agreement 0.784" in text.stdout and "same requests" in text.stdout
    refused = cli(
        "monitor", "compare", "--log-db", db, "--stage", "prod", cwd=tmp_path, check=False
    )
    assert refused.returncode == UsageError.exit_code
    assert "compare takes shadow or canary" in refused.stderr
