"""Loading a bundle reads skops without importing PyTorch (1.3-1.5 s of CPU per process)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.serving import MODEL_DIR

TRUSTED = (
    "import skops.io._trusted_types as t; "
    "names = sorted(map(str, t.SKLEARN_ESTIMATOR_TYPE_NAMES)); "
)


def _python(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return proc.stdout.strip()


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_a_bundle_loads_without_torch_and_trusts_the_same_types(trained_project: Path) -> None:
    bundle = trained_project / MODEL_DIR
    ours = json.loads(
        _python(
            "import sys, json; from catdetector.model.bundle import load_bundle; "
            f"load_bundle({str(bundle)!r}); "
            "import skops.io._trusted_types as t; "
            "loaded = 'torch' in sys.modules; "
            "import sklearn.externals.array_api_compat.torch; "  # still importable afterwards
            "print(json.dumps([loaded, sorted(map(str, t.SKLEARN_ESTIMATOR_TYPE_NAMES))]))"
        )
    )
    plain = json.loads(_python(TRUSTED + "import json; print(json.dumps(names))"))
    assert ours[0] is False
    assert ours[1] == plain and len(plain) > 100
