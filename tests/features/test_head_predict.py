"""The head's predict: scikit-learn's per-call checks are switched off by its own config
(they were most of a one-row predict_proba), with the same probabilities, and a row that is
not finite is still refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from catdetector.core.config import FeatureParams, ImageParams
from catdetector.features.images import Limits, PreprocessSpec
from catdetector.model.bundle import CheckReport, LoadedModel


def _model(estimator: object) -> LoadedModel:
    spec = PreprocessSpec.from_params(ImageParams(), FeatureParams())
    meta = {"labels": ["cat", "other"], "files": {}}
    return LoadedModel(estimator, meta, spec, Limits(), CheckReport(), Path("."))


class _SeesConfig:
    """A stand-in estimator that answers with the scikit-learn config it runs under."""

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        config = sklearn.get_config()
        flags = [config["assume_finite"], config["skip_parameter_validation"]]
        return np.tile(np.asarray(flags, np.float64), (len(rows), 1))


def test_the_head_predicts_under_sklearns_fast_config_and_only_there() -> None:
    model = _model(_SeesConfig())
    assert model.probabilities(np.zeros((2, 4))).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert not sklearn.get_config()["assume_finite"]  # the switches do not leak out
    assert not sklearn.get_config()["skip_parameter_validation"]


def test_same_probabilities_as_plain_predict_proba() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 32)), rng.integers(0, 2, 120)
    head = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(x, y)
    rows = rng.normal(size=(5, 32))
    assert np.array_equal(_model(head).probabilities(rows), head.predict_proba(rows))
    preds = _model(head).predict_rows(rows)  # the server's path (hand-made rows)
    assert [p.probabilities["cat"] for p in preds] == head.predict_proba(rows)[:, 0].tolist()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_row_that_is_not_finite_is_still_refused(bad: float) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 8)), rng.integers(0, 2, 60)
    head = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(x, y)
    rows = rng.normal(size=(2, 8))
    rows[1, 3] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        _model(head).probabilities(rows)
