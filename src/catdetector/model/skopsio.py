"""skops.io, imported without dragging PyTorch in.

skops builds its list of trusted scikit-learn types at import with
``sklearn.utils.all_estimators``, whose package walk imports every sub-package of
scikit-learn, including ``sklearn.externals.array_api_compat.torch`` (and cupy,
dask), which imports the whole of PyTorch when it is installed: 1.3-1.5 s of CPU
on every bundle load for types that hold no estimator. During that import those
three packages are refused (``pkgutil.walk_packages`` skips a package whose import
fails with ImportError); the trusted list is the same, and nothing is cached, so a
later import of them works as usual.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_SKIPPED = frozenset(
    f"sklearn.externals.array_api_compat.{name}" for name in ("torch", "cupy", "dask")
)


class _SkipArrayNamespaces(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in _SKIPPED:
            raise ImportError(f"{fullname} is not needed to read a skops file", name=fullname)
        return None


def skops_io() -> ModuleType:
    """The ``skops.io`` module (imported once, without the array-API namespaces)."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    finder = _SkipArrayNamespaces()
    sys.meta_path.insert(0, finder)
    try:
        import skops.io
    finally:
        sys.meta_path.remove(finder)
    return skops.io
