"""Drift of served inputs and predictions against a bundle's reference statistics.

Two tests per statistic, both from the reference that training stored in
``meta["reference"][name]`` (see :func:`catdetector.training.pipeline.reference_stats`):

- **PSI** (population stability index) over the reference's own bins (its decile
  edges, the outer bins open-ended so values out of the training range count).
- **KS** (two-sample Kolmogorov-Smirnov, ``scipy.stats.ks_2samp``) against the
  reference sample: the training values at evenly spaced ranks. Bundles made before
  that sample existed get a pseudo-sample read off the histogram (the inverse of the
  CDF rebuilt linearly between the quantile edges); it smears ties, so it is only a
  fallback, and the result says which was used.

A statistic drifts when both agree: PSI at or above ``psi`` (the shift is large
enough to matter) and the KS p-value below ``ks_p`` (it is unlikely to be chance).
PSI alone is biased upwards on small samples; KS alone flags negligible shifts on
large ones. Fewer than ``min_samples`` values give no verdict (``drifted`` is None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from catdetector.core.config import MonitorParams

PSI_FLOOR = 1e-4  # proportions are floored at this, so an empty bin gives a finite PSI


@dataclass(frozen=True)
class Drift:
    """The drift verdict of one statistic."""

    name: str
    n: int
    psi: float | None
    ks_statistic: float | None
    ks_p: float | None
    ks_reference: str | None  # "sample" or "histogram"
    drifted: bool | None
    reference_mean: float | None
    mean: float | None
    edges: list[float]
    reference_shares: list[float]
    shares: list[float]

    def to_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _bins(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Bin index of each value: np.histogram's bins, the outer two open-ended."""
    if len(edges) == 1:  # a constant reference: below, at, above that value
        return np.where(values < edges[0], 0, np.where(values > edges[0], 2, 1))
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


Values = Sequence[float] | np.ndarray


def shares(reference: Mapping[str, Any], values: Values) -> tuple[np.ndarray, np.ndarray]:
    """(reference, served) share of each reference bin (outer bins open-ended)."""
    edges = np.asarray(reference["edges"], dtype=np.float64)
    ref_counts = np.asarray(reference["counts"], dtype=np.float64)
    if len(edges) == 1:
        ref_counts = np.array([0.0, ref_counts.sum(), 0.0])
    arr = np.asarray(values, dtype=np.float64)
    counts = np.bincount(_bins(edges, arr), minlength=len(ref_counts)).astype(np.float64)
    return ref_counts / ref_counts.sum(), counts / max(len(arr), 1)


def psi(reference: Mapping[str, Any], values: Values) -> float:
    """Population stability index of ``values`` against the reference histogram."""
    ref_share, served_share = shares(reference, values)
    expected = np.maximum(ref_share, PSI_FLOOR)
    actual = np.maximum(served_share, PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def reference_sample(reference: Mapping[str, Any]) -> tuple[np.ndarray, str]:
    """The stored reference sample, else a pseudo-sample from the histogram; and which."""
    if reference.get("sample"):
        return np.asarray(reference["sample"], dtype=np.float64), "sample"
    edges = np.asarray(reference["edges"], dtype=np.float64)
    counts = np.asarray(reference["counts"], dtype=np.float64)
    total = int(counts.sum())
    if len(edges) == 1:
        return np.full(max(total, 1), edges[0]), "histogram"
    cdf = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    ranks = (np.arange(total) + 0.5) / total
    return np.interp(ranks, cdf, edges), "histogram"


def ks(reference: Mapping[str, Any], values: Values) -> tuple[float, float, str]:
    """Two-sample KS of ``values`` against the reference: (statistic, p-value, reference)."""
    ref, kind = reference_sample(reference)
    result = stats.ks_2samp(np.asarray(values, dtype=np.float64), ref)
    return float(result.statistic), float(result.pvalue), kind


def drift_of(
    name: str, reference: Mapping[str, Any], values: Sequence[float], params: MonitorParams
) -> Drift:
    """PSI and KS of one statistic, flagged by the thresholds of ``params``."""
    arr = np.asarray([v for v in values if v is not None], dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    ref_mean = reference.get("mean")
    edges = [float(e) for e in reference["edges"]]
    ref_share, served_share = shares(reference, arr)
    if len(arr) == 0:
        return Drift(
            name, 0, None, None, None, None, None, ref_mean, None, edges, list(ref_share), []
        )
    value_psi = psi(reference, arr)
    statistic, p_value, kind = ks(reference, arr)
    verdict = None
    if len(arr) >= params.min_samples:
        verdict = bool(value_psi >= params.psi and p_value < params.ks_p)
    return Drift(
        name,
        len(arr),
        value_psi,
        statistic,
        p_value,
        kind,
        verdict,
        ref_mean,
        float(arr.mean()),
        edges,
        [float(v) for v in ref_share],
        [float(v) for v in served_share],
    )


def drift_all(
    reference: Mapping[str, Mapping[str, Any]],
    samples: Mapping[str, Sequence[float]],
    params: MonitorParams,
) -> list[Drift]:
    """Drift of every statistic that both the reference and ``samples`` hold (sorted)."""
    return [
        drift_of(name, reference[name], samples[name], params)
        for name in sorted(set(reference) & set(samples))
    ]
