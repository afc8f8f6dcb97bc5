"""The monitoring report: per model version, what was served and whether it still holds.

Everything comes from the prediction log (11a's :mod:`catdetector.monitor.store`):
the ``predictions`` and ``feedback`` tables, and the ``models`` table, where each
server records the meta (reference statistics, ATC threshold) of the model it loaded.

It counts what was served: the primary's answers and a canary's (each under its own
version; ``roles`` says how many of each), never a shadow's, which no client saw
(``monitor compare`` sets those beside the primary's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.config import MonitorParams
from catdetector.core.errors import StoreError
from catdetector.monitor.drift import drift_all
from catdetector.monitor.rows import ModelInfo, Row, read_models, read_rows, read_true_labels
from catdetector.monitor.store import Store
from catdetector.monitor.window import window_text

__all__ = [
    "ModelInfo",
    "Report",
    "Row",
    "VersionReport",
    "build",
    "read_models",
    "read_rows",
    "read_true_labels",
    "version_report",
]

PREDICTION_STAT = "probability"  # the reference entry of the prediction distribution
CONFIDENCE_BINS = 20


@dataclass
class VersionReport:
    """The report of one model version."""

    version: str
    requests: int
    errors: int
    error_rate: float
    first_seen: str | None
    last_seen: str | None
    model_md5: list[str]
    loaded_at: str | None
    labels: dict[str, int]
    test_accuracy: float | None
    latency_ms: dict[str, float | None]
    confidence: dict[str, Any]
    feedback: dict[str, Any]
    atc: dict[str, Any] | None
    drift: list[dict[str, Any]]
    prediction_drift: dict[str, Any] | None
    verdict: bool = False  # enough served predictions (monitor.min_samples) to judge
    roles: dict[str, int] = field(default_factory=dict)  # records per role (primary, canary)
    alarms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def alarm(self) -> bool:
        """True when a threshold is crossed."""
        return bool(self.alarms)

    def to_dict(self) -> dict[str, Any]:
        """JSON view (what ``monitor report --json`` prints, one per version)."""
        return {**asdict(self), "alarm": self.alarm}


@dataclass
class Report:
    """The whole report: one entry per model version, oldest first."""

    generated_at: str
    since: str | None
    thresholds: dict[str, Any]
    versions: list[VersionReport]

    @property
    def window(self) -> str:
        """Which predictions the report counts, in words (every output names it)."""
        return window_text(self.since)

    @property
    def alarm(self) -> bool:
        """True when any version crosses a threshold."""
        return any(v.alarm for v in self.versions)

    def to_dict(self) -> dict[str, Any]:
        """JSON view of everything (what the HTML renderer reads)."""
        return {
            "generated_at": self.generated_at,
            "since": self.since,
            "window": self.window,
            "thresholds": self.thresholds,
            "alarm": self.alarm,
            "versions": [v.to_dict() for v in self.versions],
        }


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


# ---------------------------------------------------------------- computing


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None}
    arr = np.asarray(values, dtype=np.float64)
    out: dict[str, float | None] = {f"p{q}": float(np.percentile(arr, q)) for q in (50, 90, 95, 99)}
    out["max"] = float(arr.max())
    return out


def _shares(values: Sequence[float], edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(np.asarray(values, dtype=np.float64), bins=edges)
    return [float(c) / len(values) for c in counts] if len(values) else [0.0] * len(counts)


def _confidence(values: Sequence[float], meta: dict[str, Any]) -> dict[str, Any]:
    """Histogram of the served confidence, beside the held-out one of a binary model.

    The reference is the bundle's held-out ``probability`` sample (p of the positive
    label), folded into confidence (max(p, 1 - p)); none for more than two labels.
    """
    edges = np.linspace(0.0, 1.0, CONFIDENCE_BINS + 1)
    counts, _ = np.histogram(np.asarray(values, dtype=np.float64), bins=edges)
    sample = ((meta.get("reference") or {}).get(PREDICTION_STAT) or {}).get("sample")
    binary = len(meta.get("labels") or []) == 2
    reference = [max(p, 1 - p) for p in sample] if sample and binary else None
    return {
        "n": len(values),
        "mean": float(np.mean(values)) if values else None,
        "p10": float(np.percentile(values, 10)) if values else None,
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "shares": _shares(values, edges),
        "reference_shares": _shares(reference, edges) if reference else None,
    }


def _test_accuracy(meta: dict[str, Any]) -> float | None:
    value = ((meta.get("metrics") or {}).get("test") or {}).get("accuracy")
    return float(value) if isinstance(value, int | float) else None


def _feedback(ok: list[Row], truth: dict[str, str], params: MonitorParams) -> dict[str, Any]:
    pairs = [(r.label, truth[r.request_id]) for r in ok if r.request_id in truth]
    accuracy = float(np.mean([p == t for p, t in pairs])) if pairs else None
    return {"n": len(pairs), "accuracy": accuracy, "enough": len(pairs) >= params.min_samples}


def degenerate_atc(threshold: float, test_accuracy: Any, n_labels: int) -> str | None:
    """Why an ATC threshold can estimate nothing (None when it can).

    A threshold at or below the lowest possible confidence (1/labels) counts every
    prediction, one at 1 counts none, and a test accuracy of 1.0 gives such a
    threshold (often 0): the estimate would be that accuracy, whatever is served.
    """
    if isinstance(test_accuracy, int | float) and test_accuracy >= 1.0:
        return f"test accuracy {test_accuracy:g}: the threshold ({threshold:.3f}) cannot separate"
    if threshold <= 1 / max(n_labels, 2):
        return f"threshold {threshold:.3f} is below every possible confidence"
    if threshold >= 1:
        return f"threshold {threshold:.3f} is above every possible confidence"
    return None


def _atc(ok: list[Row], meta: dict[str, Any], params: MonitorParams) -> dict[str, Any] | None:
    atc = meta.get("atc")
    if not isinstance(atc, dict) or "threshold" not in atc:
        return None
    threshold = float(atc["threshold"])
    conf = [r.confidence for r in ok if r.confidence is not None]
    why = degenerate_atc(threshold, atc.get("test_accuracy"), len(meta.get("labels") or []))
    estimate = None
    if conf and why is None:
        estimate = float(np.mean(np.asarray(conf) > threshold))
    return {
        "threshold": threshold,
        "test_accuracy": atc.get("test_accuracy"),
        "estimated_accuracy": estimate,
        "no_estimate": f"no estimate: {why}" if why else None,
        "n": len(conf),
        "enough": len(conf) >= params.min_samples and why is None,
    }


def version_report(
    version: str,
    rows: list[Row],
    model: ModelInfo,
    truth: dict[str, str],
    params: MonitorParams,
) -> VersionReport:
    """The report of one version from its rows and what is known of its model."""
    meta: dict[str, Any] = model.meta or {}
    ok = [r for r in rows if r.status < 400 and r.probability is not None]
    errors = sum(1 for r in rows if r.status >= 400)
    conf = [r.confidence for r in ok if r.confidence is not None]
    notes: list[str] = []
    reference: dict[str, Any] = dict(meta.get("reference") or {})
    if model.meta is None:
        notes.append("no `models` record for this version: no reference, no ATC")
    elif not reference:
        notes.append("the bundle holds no reference statistics: no drift test")
    samples: dict[str, list[float]] = {}
    for r in ok:
        for name, value in (r.stats or {}).items():
            samples.setdefault(name, []).append(value)
    samples[PREDICTION_STAT] = [r.probability for r in ok if r.probability is not None]
    drifts = [d.to_dict() for d in drift_all(reference, samples, params)]
    prediction = next((d for d in drifts if d["name"] == PREDICTION_STAT), None)
    inputs = [d for d in drifts if d["name"] != PREDICTION_STAT]
    report = VersionReport(
        version=version,
        requests=len(rows),
        errors=errors,
        error_rate=errors / len(rows) if rows else 0.0,
        first_seen=_iso(rows[0].created_at) if rows else None,
        last_seen=_iso(rows[-1].created_at) if rows else None,
        model_md5=sorted({r.model_md5 for r in rows} | set(model.md5s)),
        loaded_at=_iso(model.loaded_at),
        labels=dict(Counter(r.label for r in ok if r.label is not None)),
        test_accuracy=_test_accuracy(meta),
        latency_ms=_percentiles([r.latency_ms for r in rows]),
        confidence=_confidence(conf, meta),
        verdict=len(ok) >= params.min_samples,
        feedback=_feedback(ok, truth, params),
        atc=_atc(ok, meta, params),
        drift=inputs,
        prediction_drift=prediction,
        notes=notes,
        roles=dict(Counter(r.role for r in rows)),
    )
    report.alarms = alarms(report, params)
    if len(ok) < params.min_samples:
        notes.append(
            f"{len(ok)} served predictions, fewer than monitor.min_samples "
            f"({params.min_samples}): no drift or ATC verdict yet"
        )
    return report


def alarms(report: VersionReport, params: MonitorParams) -> list[str]:
    """The thresholds that ``report`` crosses, one readable line each."""
    out = []
    for d in [*report.drift, *([report.prediction_drift] if report.prediction_drift else [])]:
        if d["drifted"]:
            out.append(
                f"drift of {d['name']}: PSI {d['psi']:.3f} >= {params.psi} and "
                f"KS p {d['ks_p']:.2g} < {params.ks_p} (mean {d['mean']:.3g}, "
                f"reference {d['reference_mean']:.3g})"
            )
    floor, why = params.min_accuracy, f"< monitor.min_accuracy {params.min_accuracy}"
    if report.test_accuracy is not None and report.test_accuracy - params.max_accuracy_drop > floor:
        floor = report.test_accuracy - params.max_accuracy_drop
        why = (
            f"more than monitor.max_accuracy_drop {params.max_accuracy_drop} below the "
            f"test accuracy {report.test_accuracy:.3f}"
        )
    fb = report.feedback
    if fb["enough"] and fb["accuracy"] < floor:
        out.append(f"accuracy on {fb['n']} labelled predictions {fb['accuracy']:.3f}: {why}")
    atc = report.atc
    if atc and atc["enough"] and atc["estimated_accuracy"] < floor:
        out.append(
            f"ATC-estimated accuracy {atc['estimated_accuracy']:.3f} (threshold "
            f"{atc['threshold']:.3f}, {atc['n']} predictions): {why}"
        )
    return out


def build(
    store: Store,
    params: MonitorParams | None = None,
    since: datetime | None = None,
    versions: Sequence[str] | None = None,
) -> Report:
    """The report of every version logged since ``since`` (or of ``versions`` only)."""
    params = params or MonitorParams()
    try:
        rows = read_rows(store, since, versions)
        models = read_models(store)
        truth = read_true_labels(store, (r.request_id for r in rows))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the prediction log {store.url}: {exc}") from exc
    by_version: dict[str, list[Row]] = {}
    for r in rows:
        by_version.setdefault(r.version, []).append(r)
    for version in versions or []:
        by_version.setdefault(version, [])
    reports = [
        version_report(v, vrows, ModelInfo.from_rows(models.get(v, [])), truth, params)
        for v, vrows in by_version.items()
    ]
    reports.sort(key=lambda r: (r.first_seen or r.loaded_at or "~", r.version))
    return Report(
        generated_at=_iso(datetime.now(UTC)) or "",
        since=_iso(since),
        thresholds=params.model_dump(),
        versions=reports,
    )
