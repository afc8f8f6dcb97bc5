"""skops is read with a fixed, reviewed list of trusted types (BUNDLE_TYPES), without the
package walk that builds skops' own list (1.5-2 s of CPU per process) or PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from sklearn.naive_bayes import GaussianNB

from catdetector.core.config import LadderParams, Rung
from catdetector.core.errors import BundleError
from catdetector.model import bundle, save
from catdetector.model.skopsio import BUNDLE_TYPES, skops_io
from catdetector.training import ladder
from tests.serve.serving import MODEL_DIR
from tests.support import read_json


def test_bundle_types_are_exactly_what_the_rungs_hold() -> None:
    """BUNDLE_TYPES equals the types skops does not trust by default in a freshly fitted
    estimator of every skops rung (custom is ONNX; pretrained is linear's Pipeline)."""
    sio = skops_io()
    import skops.io._trusted_types as trusted

    assert trusted.SKLEARN_ESTIMATOR_TYPE_NAMES == []  # this process read skops our way
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6))
    y = np.array(["cat", "other"] * 20)
    params = LadderParams(nonlinear_trees=3)
    reported: set[str] = set()
    for rung in get_args(Rung):
        if rung == "custom":
            continue
        estimator = ladder.build(rung, params, seed=0).fit(x, y)
        reported |= set(sio.get_untrusted_types(data=save.canonical_skops(estimator)))
    assert sorted(reported) == sorted(BUNDLE_TYPES)


def test_an_estimator_outside_the_list_is_refused(trained_project: Path, tmp_path: Path) -> None:
    """A plain scikit-learn estimator that no rung makes (skops itself would trust it)."""
    meta = read_json(trained_project / MODEL_DIR / "model.json")
    model = GaussianNB().fit(np.eye(4), ["cat", "other", "cat", "other"])
    save.write_bundle(tmp_path / "other", model, meta)
    with pytest.raises(BundleError, match=r"not trusted: sklearn\.naive_bayes\.GaussianNB$"):
        bundle.load_bundle(tmp_path / "other")


def test_a_bundle_loads_without_the_package_walk(trained_project: Path) -> None:
    """A fresh process loads a bundle without walking scikit-learn (no pytest, no PyTorch
    import), and leaves ``all_estimators`` as it was."""
    code = (
        "import sys, json, sklearn.utils; from catdetector.model.bundle import load_bundle; "
        f"load_bundle({str(trained_project / MODEL_DIR)!r}); "
        "import skops.io._trusted_types as t; "
        "from sklearn.utils.discovery import all_estimators; "
        "print(json.dumps([sorted({'torch', 'pytest'} & set(sys.modules)), "
        "t.SKLEARN_ESTIMATOR_TYPE_NAMES, sklearn.utils.all_estimators is all_estimators]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(proc.stdout) == [[], [], True]

