"""The ladder's linear head, predicted without scikit-learn's per-call checks.

A one-row ``predict_proba`` of ``Pipeline(StandardScaler, LogisticRegression)`` costs about
0.4 ms of CPU, of which the arithmetic is 0.013 ms: the rest is scikit-learn validating
each call (``validate_data``, dataframe detection, ``check_is_fitted``, estimator tags), and
its ``config_context`` switches skip only a tenth of it (bench/README.md, issue 27). The
server calls the head once per batch on rows its own featurizer made, so it needs none.

:func:`fitted_head` returns, for that pipeline exactly, a function doing the same numpy
operations in the same order as scikit-learn's ``transform``, ``decision_function`` and
``predict_proba`` (scikit-learn's own ``softmax`` for more than two classes), with the
estimator's fitted arrays. It is checked bit for bit against the estimator's own
``predict_proba`` when made; if they differ (another scikit-learn), or for any other
estimator, it returns None and the caller keeps ``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Head = Callable[[np.ndarray], np.ndarray]


def fitted_head(estimator: Any) -> Head | None:
    """The validation-free predict_proba of a fitted scaler + logistic regression, or None."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if type(estimator) is not Pipeline or len(estimator.steps) != 2:
        return None
    scaler, linear = estimator.steps[0][1], estimator.steps[1][1]
    if type(scaler) is not StandardScaler or type(linear) is not LogisticRegression:
        return None
    if getattr(linear, "coef_", None) is None or getattr(scaler, "n_features_in_", None) is None:
        return None
    head = _head(scaler, linear)
    return head if _same(head, estimator, int(scaler.n_features_in_)) else None


def _head(scaler: Any, linear: Any) -> Head:
    from scipy.special import expit
    from sklearn.utils.extmath import softmax

    mean = scaler.mean_ if scaler.with_mean else None
    scale = scaler.scale_ if scaler.with_std else None
    coef_t = linear.coef_.T
    intercept = linear.intercept_
    binary = linear.classes_.size <= 2

    def predict_proba(rows: np.ndarray) -> np.ndarray:
        x = np.array(rows, dtype=np.float64)  # transform's copy
        if mean is not None:
            x -= mean
        if scale is not None:
            x /= scale
        scores = x @ coef_t + intercept
        if binary:
            prob = scores.reshape(-1)
            expit(prob, out=prob)
            return np.stack([1 - prob, prob], axis=1)
        return np.asarray(softmax(scores, copy=False))

    return predict_proba


def _same(head: Head, estimator: Any, width: int) -> bool:
    """True when ``head`` gives the estimator's own probabilities, bit for bit, on probe rows."""
    rng = np.random.default_rng(0)
    for rows in (rng.normal(size=(1, width)), rng.normal(scale=3.0, size=(5, width))):
        if not np.array_equal(head(rows), estimator.predict_proba(rows)):
            return False
    return True
