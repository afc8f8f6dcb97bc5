"""The ladder of model families, simplest first: dummy -> heuristic -> linear -> non-linear
-> pretrained (a logistic-regression head on EfficientNet-Lite0 embeddings; see ``embed``).

Every estimator is a plain scikit-learn type so that skops can load it with
an explicit list of trusted types (see ``bundle``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from catdetector.core.config import LadderParams, Rung

DESCRIPTIONS: dict[str, str] = {
    "dummy": "dummy baseline: always the class prior",
    "heuristic": "one-rule heuristic: a single threshold on the most telling feature",
    "linear": "logistic regression on HOG + colour features",
    "nonlinear": "random forest on HOG + colour features",
    "pretrained": "logistic regression on pretrained EfficientNet-Lite0 embeddings",
}


def build(rung: Rung, params: LadderParams, seed: int) -> ClassifierMixin:
    """A fresh, unfitted estimator for ``rung``."""
    if rung == "dummy":
        return DummyClassifier(strategy="prior")
    if rung == "heuristic":
        return DecisionTreeClassifier(max_depth=1, random_state=seed)
    if rung in ("linear", "pretrained"):
        c = params.linear_c if rung == "linear" else params.pretrained_c
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("model", LogisticRegression(C=c, max_iter=5000, random_state=seed)),
            ]
        )
    if rung != "nonlinear":
        raise AssertionError(f"unknown rung {rung}")
    return RandomForestClassifier(
        n_estimators=params.nonlinear_trees, random_state=seed, n_jobs=1, min_samples_leaf=2
    )


@dataclass
class RungResult:
    """A fitted rung with its scores and costs."""

    rung: str
    estimator: ClassifierMixin
    val_accuracy: float
    test_accuracy: float
    fit_seconds: float
    predict_ms_per_image: float
    size_bytes: int = 0
    install_bytes: int = 0


def fit_and_score(
    rung: Rung,
    params: LadderParams,
    seed: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
) -> RungResult:
    """Fit one rung on train, score it on val and test, time fit and predict."""
    estimator = build(rung, params, seed)
    start = time.perf_counter()
    estimator.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    x_val, y_val = splits["val"]
    x_test, y_test = splits["test"]
    start = time.perf_counter()
    val_pred = estimator.predict(x_val)
    predict_ms = (time.perf_counter() - start) * 1000 / max(len(x_val), 1)
    return RungResult(
        rung=rung,
        estimator=estimator,
        val_accuracy=float(np.mean(val_pred == y_val)),
        test_accuracy=float(np.mean(estimator.predict(x_test) == y_test)),
        fit_seconds=fit_seconds,
        predict_ms_per_image=predict_ms,
    )


def choose(results: list[RungResult], tolerance: float) -> RungResult:
    """The simplest rung whose val accuracy is within ``tolerance`` of the best."""
    best = max(r.val_accuracy for r in results)
    for result in results:  # results are in ladder order, simplest first
        if result.val_accuracy >= best - tolerance - 1e-12:
            return result
    raise AssertionError("unreachable: the best rung is always within tolerance")
