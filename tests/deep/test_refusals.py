"""A pretrained bundle whose backbone or onnxruntime differs from training is refused at load."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.errors import BundleError, SkewError
from catdetector.model.bundle import load_bundle
from tests.serve.serving import edit_meta, rewrite
from tests.support import cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture
def bundle_copy(deep_project: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    shutil.copytree(deep_project / "models/catdetector", dest)
    return dest


def _photo(deep_project: Path) -> str:
    return str(sorted((deep_project / "data/raw/cat").iterdir())[0])


def test_the_bundle_loads_and_batches(bundle_copy: Path, deep_project: Path) -> None:
    model = load_bundle(bundle_copy, threads=2)
    assert model.batches_pay and model.checks.golden_ok
    assert load_bundle(bundle_copy, threads=1).batches_pay  # at one thread too
    data = [p.read_bytes() for p in sorted((deep_project / "data/raw/other").iterdir())[:3]]
    one_by_one = [model.predict_bytes([d])[0] for d in data]
    together = model.predict_bytes(data)
    assert [p.label for p in together] == [p.label for p in one_by_one]
    for a, b in zip(together, one_by_one, strict=True):
        assert a.probability == pytest.approx(b.probability, abs=1e-6)


def test_changed_onnx_file_is_refused(bundle_copy: Path, deep_project: Path) -> None:
    onnx = bundle_copy / "backbone.onnx"
    blob = bytearray(onnx.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    rewrite(onnx, bytes(blob))
    with pytest.raises(BundleError, match="backbone.onnx does not match model.json"):
        load_bundle(bundle_copy)
    proc = cli(
        "predict", "--bundle", str(bundle_copy), _photo(deep_project), cwd=deep_project, check=False
    )
    assert proc.returncode == BundleError.exit_code
    assert "backbone.onnx" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_onnx_file_is_refused(bundle_copy: Path) -> None:
    (bundle_copy / "backbone.onnx").unlink()
    with pytest.raises(BundleError, match="backbone.onnx is missing"):
        load_bundle(bundle_copy)


def test_other_onnxruntime_version_is_refused_unless_allowed(
    bundle_copy: Path, deep_project: Path
) -> None:
    def older(meta: dict[str, Any]) -> None:
        assert meta["environment"]["packages"]["onnxruntime"]
        meta["environment"]["packages"]["onnxruntime"] = "1.0.0"

    edit_meta(bundle_copy, older)
    with pytest.raises(SkewError, match=r"onnxruntime 1\.0\.0 \(trained\)"):
        load_bundle(bundle_copy)
    photo = _photo(deep_project)
    proc = cli("predict", "--bundle", str(bundle_copy), photo, cwd=deep_project, check=False)
    assert proc.returncode == SkewError.exit_code
    assert "onnxruntime" in proc.stderr and "Traceback" not in proc.stderr
    allowed = cli(
        "predict", "--bundle", str(bundle_copy), "--allow-env-mismatch", photo, cwd=deep_project
    )
    assert "cat" in allowed.stdout
    model = load_bundle(bundle_copy, allow_env_mismatch=True)
    assert model.checks.env_mismatch_allowed


def test_changed_backbone_spec_is_refused(bundle_copy: Path) -> None:
    def crop(meta: dict[str, Any]) -> None:
        meta["backbone"]["spec"]["input_size"] = 192

    edit_meta(bundle_copy, crop)
    with pytest.raises(SkewError, match="backbone preprocessing hash"):
        load_bundle(bundle_copy)
