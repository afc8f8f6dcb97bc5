"""The int8 backbone on the 400 real photos: the default precision, calibrated on training
images only (recorded), checked against float32, costed beside float32, cached, and refused
with another onnxruntime like any backbone."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from catdetector.core.errors import SkewError
from catdetector.features import quantize
from catdetector.model.bundle import load_bundle
from tests.deep.conftest import EMBED_STATS
from tests.serve.serving import edit_meta
from tests.support import copy_project, read_json, run, set_params

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
N_PHOTOS = 400


def test_default_bundle_is_int8_calibrated_on_train_images_only(deep_project: Path) -> None:
    meta = read_json(deep_project / "models/catdetector/model.json")
    backbone = meta["backbone"]
    assert meta["params"]["pretrained"]["precision"] == "int8"
    assert backbone["precision"] == "int8"
    quant = backbone["quantization"]
    assert quant["format"] == "QDQ" and quant["activations"] == "QUInt8"
    calibration = quant["calibration"]
    assert len(calibration) == meta["params"]["pretrained"]["calibration_images"] == 50
    manifest = read_json(deep_project / "data/prepared/manifest.json")
    split_of = {item["sha256"]: item["split"] for item in manifest["items"]}
    assert {split_of[entry["sha256"]] for entry in calibration} == {"train"}
    assert quant["calibration_sha256"] == quantize.calibration_digest(calibration)
    assert quant["min_cosine_to_float32"] >= quant["tolerance_min_cosine"] == quantize.MIN_COSINE
    onnx = (deep_project / "models/catdetector/backbone.onnx").read_bytes()
    assert b"QuantizeLinear" in onnx and b"DequantizeLinear" in onnx
    assert load_bundle(deep_project / "models/catdetector").checks.golden_ok


def test_cost_report_shows_both_precisions(deep_project: Path) -> None:
    costs = {row["rung"]: row for row in read_json(deep_project / "reports/costs.json")}
    int8, float32 = costs["pretrained"], costs["pretrained-float32"]
    assert int8["precision"] == "int8" and float32["precision"] == "float32"
    tolerance = read_json(deep_project / "metrics/ladder.json")["tolerance"]
    assert int8["val_accuracy"] >= float32["val_accuracy"] - tolerance
    assert int8["test_accuracy"] >= 0.95
    assert int8["size_bytes"] < float32["size_bytes"] / 2  # int8 weights: about a quarter
    meta = read_json(deep_project / "models/catdetector/model.json")
    assert set(meta["backbone"]["precisions"]) == {"int8", "float32"}
    # the other precision informs; it is no rung of the ladder and chooses nothing
    assert "pretrained-float32" not in read_json(deep_project / "metrics/ladder.json")["rungs"]


def test_float32_by_params_reuses_every_cache(deep_project: Path, tmp_path: Path) -> None:
    root = copy_project(deep_project, tmp_path)
    set_params(root, pretrained={"precision": "float32"})
    run(["dvc", "repro", "-q"], root, timeout=1200)
    stats = read_json(root / EMBED_STATS)
    assert stats["precision"] == "float32" and stats["int8_from_cache"] is True
    assert stats["computed"] == 0 and stats["reused"] == N_PHOTOS
    assert stats["others"]["int8"]["computed"] == 0
    meta = read_json(root / "models/catdetector/model.json")
    assert meta["backbone"]["precision"] == "float32" and "quantization" not in meta["backbone"]
    onnx = (root / "models/catdetector/backbone.onnx").read_bytes()
    assert b"QuantizeLinear" not in onnx
    costs = {row["rung"]: row for row in read_json(root / "reports/costs.json")}
    assert costs["pretrained"]["precision"] == "float32"
    assert costs["pretrained-int8"]["size_bytes"] < costs["pretrained"]["size_bytes"]


def test_int8_bundle_with_other_onnxruntime_is_refused(deep_project: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(deep_project / "models/catdetector", bundle)

    def older(meta: dict[str, Any]) -> None:
        assert meta["backbone"]["precision"] == "int8"
        meta["environment"]["packages"]["onnxruntime"] = "1.0.0"

    edit_meta(bundle, older)
    with pytest.raises(SkewError, match=r"onnxruntime 1\.0\.0 \(trained\)"):
        load_bundle(bundle)
