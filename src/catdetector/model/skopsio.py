"""skops.io, imported without its list of every scikit-learn estimator.

At import, skops trusts by default every estimator that
``sklearn.utils.all_estimators`` finds; that package walk imports every
sub-package of scikit-learn (and pytest, and PyTorch through
``sklearn.externals.array_api_compat.torch`` when it is installed): 1.5-2 s of CPU
in every process that reads or writes a bundle. We import skops with
``all_estimators`` answering no estimator, so skops trusts none by default and a
bundle loads only the estimator types that the bundle format allows
(:data:`BUNDLE_TYPES`, passed as ``trusted=``): fewer types than before, and cheap.
The swap lasts only while skops is imported; scikit-learn is left as it was.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

# Every type that a bundle of any rung holds beyond skops' defaults (reviewed; kept equal
# to what skops reports for a freshly trained bundle of every rung by
# tests/foundation/test_skopsio.py). A bundle holding any other type is refused.
BUNDLE_TYPES: tuple[str, ...] = (
    "sklearn.dummy.DummyClassifier",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
)


def _no_estimators(type_filter: Any = None) -> list[tuple[str, type]]:
    """``all_estimators`` while skops is imported: no estimator is trusted by default."""
    return []


def skops_io() -> ModuleType:
    """The ``skops.io`` module, imported once with no scikit-learn estimator trusted by
    default (if something else imported it first, skops' own defaults stand)."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    real = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = _no_estimators
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = real
    return skops.io
