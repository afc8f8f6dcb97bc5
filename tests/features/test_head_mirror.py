"""The ladder's head without scikit-learn's per-call checks (model/head.py): the estimator's
own probabilities bit for bit, for the pipeline the ladder fits; anything else keeps
``predict_proba``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from catdetector.core.config import FeatureParams, ImageParams
from catdetector.features.images import Limits, PreprocessSpec
from catdetector.model.bundle import CheckReport, LoadedModel
from catdetector.model.head import fitted_head


def _model(estimator: object, labels: list[str]) -> LoadedModel:
    spec = PreprocessSpec.from_params(ImageParams(), FeatureParams())
    meta = {"labels": labels, "files": {}}
    return LoadedModel(estimator, meta, spec, Limits(), CheckReport(), Path("."))


def _fit(classes: int, scaler: StandardScaler, width: int = 64) -> Pipeline:
    rng = np.random.default_rng(classes)
    x = rng.normal(loc=2.0, scale=5.0, size=(200, width))
    y = rng.integers(0, classes, 200)
    return Pipeline([("scale", scaler), ("model", LogisticRegression(C=0.1))]).fit(x, y)


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize(
    "scaler",
    [StandardScaler(), StandardScaler(with_mean=False), StandardScaler(with_std=False)],
    ids=["default", "no-mean", "no-std"],
)
def test_the_ladder_s_head_gives_predict_proba_bit_for_bit(
    classes: int, scaler: StandardScaler
) -> None:
    head = _fit(classes, scaler)
    model = _model(head, [str(i) for i in range(classes)])
    assert fitted_head(head) is not None  # the fast path is the one taken
    rng = np.random.default_rng(7)
    for n in (1, 2, 4, 33):
        rows = rng.normal(loc=2.0, scale=5.0, size=(n, 64))
        assert np.array_equal(model.probabilities(rows), head.predict_proba(rows))


def test_other_estimators_keep_their_own_predict_proba() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(80, 8)), rng.integers(0, 2, 80)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
    longer = Pipeline(
        [("a", StandardScaler()), ("b", StandardScaler()), ("m", LogisticRegression())]
    ).fit(x, y)
    for estimator in (forest, longer, LogisticRegression().fit(x, y)):
        assert fitted_head(estimator) is None
        rows = rng.normal(size=(3, 8))
        got = _model(estimator, ["cat", "other"]).probabilities(rows)
        assert np.array_equal(got, estimator.predict_proba(rows))


def test_float32_rows_take_scikit_learn_s_path_and_its_float32_scaling() -> None:
    head = _fit(2, StandardScaler())
    rows = np.random.default_rng(9).normal(size=(3, 64)).astype(np.float32)
    got = _model(head, ["cat", "other"]).probabilities(rows)
    assert np.array_equal(got, head.predict_proba(rows))


def test_a_row_of_the_wrong_width_is_refused() -> None:
    model = _model(_fit(2, StandardScaler()), ["cat", "other"])
    with pytest.raises(ValueError):
        model.probabilities(np.zeros((1, 63)))
