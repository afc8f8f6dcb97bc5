"""An app that serves a model file is ML, whether or not the model is here.

A request handler that loads a file with a model suffix (``joblib.load('model.joblib')``,
``load_model('cnn.h5')``) and predicts with it serves a trained model: the repository is about
that model even when the model, its data and its training were never committed (a rating of
level 0 says so: nothing here makes the model again). A web app that names no model file, or
names one and never loads or predicts, is not ML by this sign.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.servingenv import MODEL_LOAD_RE, serving_files_naming

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

_PREDICT_RE = re.compile(r"\.predict(?:_proba)?\(")


def serves_model_file(f: Facts) -> list[str]:
    """Production request handlers that load a named model file and predict with it."""
    naming = {p for paths in serving_files_naming(f).values() for p in paths}
    return [
        u.path for u in f.serving_units
        if u.path in naming and not AUX_PATH_RE.search(u.path) and u.handles_requests
        and u.matches(MODEL_LOAD_RE) and _PREDICT_RE.search(u.code)
    ]  # fmt: skip
