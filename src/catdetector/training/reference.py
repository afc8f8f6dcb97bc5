"""Drift reference statistics and the ATC threshold, fitted at training time."""

from __future__ import annotations

from typing import Any

import numpy as np

DRIFT_BINS = 10
REFERENCE_SAMPLE = 200  # order statistics kept per descriptor, for two-sample KS tests


def reference_stats(values: dict[str, list[float]]) -> dict[str, Any]:
    """Per-descriptor mean, std, quantiles, a histogram and a sample: the drift reference.

    The sample is the sorted values at evenly spaced ranks (all of them when there are
    few): deterministic, and it keeps ties (atoms such as a common width) that a CDF
    rebuilt from the histogram's quantile edges would smear out.
    """
    stats: dict[str, Any] = {}
    for name, column in values.items():
        arr = np.asarray(column, dtype=np.float64)
        ranks = np.linspace(0, len(arr) - 1, min(len(arr), REFERENCE_SAMPLE)).round().astype(int)
        edges = np.unique(np.quantile(arr, np.linspace(0, 1, DRIFT_BINS + 1)))
        counts, _ = (
            np.histogram(arr, bins=edges) if len(edges) > 1 else (np.array([len(arr)]), edges)
        )
        stats[name] = {
            "mean": float(arr.mean()),
            "std": float(arr.std()),
            "min": float(arr.min()),
            "max": float(arr.max()),
            "edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts],
            "sample": [float(v) for v in np.sort(arr)[ranks]],
        }
    return stats


def atc_threshold(confidence: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    """Average Thresholded Confidence (Garg et al. 2022), fitted on a labelled split.

    The threshold t makes the share of predictions with confidence > t equal to the
    split's accuracy (as close as ties allow); on unlabelled data, the share above t
    estimates accuracy.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    accuracy = float(np.mean(correct))
    candidates = np.concatenate([[0.0], np.unique(conf)])
    shares = np.array([np.mean(conf > t) for t in candidates])
    best = int(np.argmin(np.abs(shares - accuracy)))
    return {"threshold": float(candidates[best]), "test_accuracy": accuracy}
