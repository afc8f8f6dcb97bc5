"""``monitor compare``: a candidate (shadow or canary) set beside the primary it would replace.

A **shadow** answered a copy of each request it got: its record names the primary's
request id, so the two answers pair up and the comparison is on the same requests
(agreement with its Wilson interval, the confusion between the two, accuracy on the
pairs a human labelled). A **canary** answered other requests than the primary: no
pairs, so the comparison is of distributions over the same window (the candidate's
first to last record, or from ``--since``), and each side's labelled accuracy on
its own requests; the output says so.

Each side's own figures (error rate, latency, confidence, feedback accuracy, drift
against its own reference, alarms) come from :func:`catdetector.monitor.report.version_report`,
the code of ``monitor report``: there is one drift implementation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.config import MonitorParams
from catdetector.core.errors import StoreError
from catdetector.monitor import report
from catdetector.monitor.rows import (
    ModelInfo,
    Row,
    read_by_ids,
    read_models,
    read_rows,
    read_true_labels,
)
from catdetector.monitor.store import CANARY, PRIMARY, SHADOW, Store
from catdetector.monitor.window import window_text

CANDIDATES = (SHADOW, CANARY)
LEVEL = 0.95  # of every confidence interval
QUANTILES = (10, 50, 90, 99)
SIDE_KEYS = (
    *("requests", "errors", "error_rate", "latency_ms", "feedback", "atc", "labels"),
    *("drift", "prediction_drift", "alarms", "notes", "verdict", "test_accuracy"),
)


def wilson(k: int, n: int, level: float = LEVEL) -> list[float] | None:
    """The Wilson score interval of k successes in n trials (None when n is 0)."""
    if n == 0:
        return None
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return [float(ci.low), float(ci.high)]


def proportion(k: int, n: int) -> dict[str, Any]:
    """k of n, the rate and its Wilson interval."""
    return {"n": n, "k": k, "rate": k / n if n else None, "ci": wilson(k, n), "level": LEVEL}


def difference(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a``'s rate minus ``b``'s (two :func:`proportion` of independent samples) with
    Newcombe's hybrid score interval (his method 10, from the two Wilson intervals)."""
    if a["rate"] is None or b["rate"] is None:
        return {"rate": None, "ci": None, "level": LEVEL}
    (la, ua), (lb, ub) = a["ci"], b["ci"]
    d = a["rate"] - b["rate"]
    low = d - float(np.hypot(a["rate"] - la, ub - b["rate"]))
    high = d + float(np.hypot(ua - a["rate"], b["rate"] - lb))
    return {"rate": d, "ci": [max(low, -1.0), min(high, 1.0)], "level": LEVEL}


def agreement_ceiling(primary: list[Row], candidate: list[Row]) -> dict[str, Any] | None:
    """The most two models can agree given the label shares they gave one input stream.

    On requests from one stream, P(A != B) >= |P(A = l) - P(B = l)| for every label l,
    so 1 - |share difference| bounds the agreement from above; with the interval of the
    label whose difference is surest (None when either side has no answer).
    """
    ok_p, ok_c = [r for r in primary if _ok(r)], [r for r in candidate if _ok(r)]
    if not ok_p or not ok_c:
        return None
    best: tuple[float, float, float, str] | None = None
    for label in sorted({str(r.label) for r in ok_p + ok_c}):
        diff = difference(
            proportion(sum(str(r.label) == label for r in ok_c), len(ok_c)),
            proportion(sum(str(r.label) == label for r in ok_p), len(ok_p)),
        )
        lo, hi = diff["ci"]
        gap = (lo, hi) if lo > 0 else ((-hi, -lo) if hi < 0 else (0.0, max(-lo, hi)))
        key = (gap[0], abs(diff["rate"]), gap[1], label)
        best = key if best is None or key[:2] > best[:2] else best
    assert best is not None
    surest, point, widest, label = best
    return {
        "rate": 1 - point,
        "ci": [1 - widest, 1 - surest],
        "level": LEVEL,
        "label": label,
        "note": "an upper bound: 1 - |difference of the label's shares| (other requests)",
    }


def quantiles(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, mean and the :data:`QUANTILES` of ``values`` (numpy's linear interpolation)."""
    out: dict[str, float | int | None] = {"n": len(values)}
    arr = np.asarray(values, dtype=np.float64)
    out["mean"] = float(arr.mean()) if len(arr) else None
    for q in QUANTILES:
        out[f"p{q}"] = float(np.percentile(arr, q)) if len(arr) else None
    return out


def _ok(row: Row) -> bool:
    return row.status < 400 and row.label is not None


def _ks(a: Sequence[float], b: Sequence[float]) -> dict[str, float | None]:
    """Two-sample KS between the two sides' values (None when either is empty)."""
    if not a or not b:
        return {"statistic": None, "p": None}
    res = stats.ks_2samp(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return {"statistic": float(res.statistic), "p": float(res.pvalue)}


@dataclass
class Comparison:
    """One candidate version in one role, beside the primary."""

    stage: str
    candidate: str
    primary: list[str]  # the primary version(s) it is compared with, most records first
    paired: bool
    note: str
    first: str | None
    last: str | None
    unpaired: int = 0  # shadow records whose primary record is not in the log
    mismatched: int = 0  # pairs whose inputs differ (a re-sent request id): left out
    agreement: dict[str, Any] | None = None
    agreement_ceiling: dict[str, Any] | None = None  # canary: at most this agreement
    confusion: dict[str, Any] | None = None
    labelled: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Any] = field(default_factory=dict)
    sides: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def alarms(self) -> list[str]:
        """The candidate's own alarms (drift against its reference, accuracy)."""
        return list(self.sides.get("candidate", {}).get("alarms", []))

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {**asdict(self), "alarm": bool(self.alarms)}


@dataclass
class Compared:
    """Every comparison of a window."""

    generated_at: str
    since: str | None
    comparisons: list[Comparison]

    @property
    def window(self) -> str:
        """Which predictions the comparison counts, in words."""
        return window_text(self.since)

    @property
    def alarm(self) -> bool:
        """True when a candidate crosses a threshold of its own."""
        return any(c.alarms for c in self.comparisons)

    def to_dict(self) -> dict[str, Any]:
        """JSON view (what ``monitor compare --json`` prints)."""
        return {
            "generated_at": self.generated_at,
            "since": self.since,
            "window": self.window,
            "alarm": self.alarm,
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


class _Context:
    """What every side needs: the models' meta, the true labels, the thresholds."""

    def __init__(self, store: Store, params: MonitorParams) -> None:
        self.store = store
        self.params = params
        self.models = read_models(store)

    def side(
        self, version: str, role: str, rows: list[Row], truth: dict[str, str]
    ) -> dict[str, Any]:
        """One side's figures: the report of its rows, confidence quantiles added."""
        info = ModelInfo.from_rows(self.models.get(version, []))
        built = report.version_report(version, rows, info, truth, self.params).to_dict()
        out = {k: built[k] for k in SIDE_KEYS}
        confidence = [r.confidence for r in rows if _ok(r) and r.confidence is not None]
        out.update(
            version=version,
            role=role,
            confidence=quantiles(confidence),
            error=proportion(built["errors"], built["requests"]),
        )
        return out


def _labelled(rows: list[Row], truth: dict[str, str]) -> dict[str, Any]:
    hits = [r.label == truth[r.request_id] for r in rows if _ok(r) and r.request_id in truth]
    return proportion(sum(hits), len(hits))


def _distributions(primary: list[Row], candidate: list[Row]) -> dict[str, Any]:
    def values(rows: list[Row], name: str) -> list[float]:
        return [v for r in rows if _ok(r) and (v := getattr(r, name)) is not None]

    return {
        name: _ks(values(primary, name), values(candidate, name))
        for name in ("probability", "confidence")
    }


def _label_shares(rows: list[Row]) -> dict[str, float]:
    counts = Counter(r.label for r in rows if _ok(r) and r.label is not None)
    total = sum(counts.values())
    return {k: v / total for k, v in sorted(counts.items())}


def compare_shadow(ctx: _Context, version: str, shadows: list[Row]) -> Comparison:
    """A shadow version against the primary answers of the same requests."""
    wanted = [s.primary_request_id for s in shadows if s.primary_request_id]
    primaries = {r.request_id: r for r in read_by_ids(ctx.store, wanted, roles=[PRIMARY])}
    pairs: list[tuple[Row, Row]] = []
    unpaired = mismatched = 0
    for s in shadows:
        p = primaries.get(s.primary_request_id or "")
        if p is None:
            unpaired += 1
        elif p.input_sha256 and s.input_sha256 and p.input_sha256 != s.input_sha256:
            mismatched += 1
        else:
            pairs.append((p, s))
    truth = read_true_labels(ctx.store, (p.request_id for p, _ in pairs))
    shadow_truth = {s.request_id: truth[p.request_id] for p, s in pairs if p.request_id in truth}
    both = [(p, s) for p, s in pairs if _ok(p) and _ok(s)]
    labels = sorted({str(p.label) for p, _ in both} | {str(s.label) for _, s in both})
    counts = Counter((str(p.label), str(s.label)) for p, s in both)
    labelled = [(p, s, truth[p.request_id]) for p, s in both if p.request_id in truth]
    p_rows, s_rows = [p for p, _ in pairs], [s for _, s in pairs]
    versions = [v for v, _ in Counter(p.version for p in p_rows).most_common()]
    comp = Comparison(
        stage=SHADOW,
        candidate=version,
        primary=versions,
        paired=True,
        note="same requests: each shadow answer is paired with the primary answer it shadowed",
        first=_iso(shadows[0].created_at),
        last=_iso(shadows[-1].created_at),
        unpaired=unpaired,
        mismatched=mismatched,
        agreement=proportion(sum(p.label == s.label for p, s in both), len(both)),
        confusion={
            "rows": "primary",
            "columns": "candidate",
            "labels": labels,
            "matrix": [[counts[(a, b)] for b in labels] for a in labels],
        },
        labelled={
            "same_requests": True,
            "primary": proportion(sum(p.label == t for p, _, t in labelled), len(labelled)),
            "candidate": proportion(sum(s.label == t for _, s, t in labelled), len(labelled)),
        },
        distributions=_distributions(p_rows, s_rows),
    )
    comp.sides = {
        "primary": ctx.side(versions[0] if versions else "?", PRIMARY, p_rows, truth),
        "candidate": ctx.side(version, SHADOW, s_rows, shadow_truth),
    }
    return comp


def compare_canary(
    ctx: _Context, version: str, canary: list[Row], since: datetime | None
) -> Comparison:
    """A canary version against the primary's answers to other requests of the same window."""
    start = since or canary[0].created_at
    end = canary[-1].created_at
    primaries = [r for r in read_rows(ctx.store, start, roles=[PRIMARY]) if r.created_at <= end]
    truth = read_true_labels(ctx.store, [r.request_id for r in primaries + canary])
    versions = [v for v, _ in Counter(p.version for p in primaries).most_common()]
    comp = Comparison(
        stage=CANARY,
        candidate=version,
        primary=versions,
        paired=False,
        note=(
            "different requests: the canary answered its share, the primary the rest; "
            "no per-request agreement, the distributions and labelled accuracies are compared "
            f"over the same window ({_iso(start)} to {_iso(end)})"
        ),
        first=_iso(canary[0].created_at),
        last=_iso(end),
        agreement_ceiling=agreement_ceiling(primaries, canary),
        labelled={
            "same_requests": False,
            "primary": _labelled(primaries, truth),
            "candidate": _labelled(canary, truth),
        },
        distributions={
            **_distributions(primaries, canary),
            "label_shares": {
                "primary": _label_shares(primaries),
                "candidate": _label_shares(canary),
            },
        },
    )
    comp.labelled["difference"] = difference(comp.labelled["candidate"], comp.labelled["primary"])
    comp.sides = {
        "primary": ctx.side(versions[0] if versions else "?", PRIMARY, primaries, truth),
        "candidate": ctx.side(version, CANARY, canary, truth),
    }
    return comp


def build(
    store: Store,
    params: MonitorParams | None = None,
    since: datetime | None = None,
    stage: str | None = None,
    version: str | None = None,
) -> Compared:
    """The comparison of every candidate version (of ``stage``, or both roles) since ``since``."""
    stages = [stage] if stage else list(CANDIDATES)
    ctx = _Context(store, params or MonitorParams())
    comparisons: list[Comparison] = []
    try:
        for role in stages:
            rows = read_rows(store, since, [version] if version else None, roles=[role])
            by_version: dict[str, list[Row]] = {}
            for r in rows:
                by_version.setdefault(r.version, []).append(r)
            for v, vrows in by_version.items():
                comparisons.append(
                    compare_shadow(ctx, v, vrows)
                    if role == SHADOW
                    else compare_canary(ctx, v, vrows, since)
                )
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the prediction log {store.url}: {exc}") from exc
    comparisons.sort(key=lambda c: (c.first or "", c.stage, c.candidate))
    return Compared(_iso(datetime.now(UTC)) or "", _iso(since), comparisons)
