"""Drift (PSI + KS) and the ATC threshold: shifted inputs are flagged, fresh ones are not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from catdetector.core.config import MonitorParams
from catdetector.model.bundle import load_bundle
from catdetector.monitor.drift import drift_all, drift_of, psi
from catdetector.training import pipeline, reference
from tests.monitor.shifted import darken, fresh_sample, photos, served_values

PARAMS = MonitorParams()


def _reference(values: np.ndarray) -> dict[str, object]:
    return pipeline.reference_stats({"x": list(values)})["x"]


def test_same_distribution_is_not_drift_and_a_shift_is() -> None:
    rng = np.random.default_rng(0)
    ref = _reference(rng.normal(0, 1, 1000))
    assert len(ref["sample"]) == reference.REFERENCE_SAMPLE  # type: ignore[arg-type]
    same = drift_of("x", ref, list(rng.normal(0, 1, 300)), PARAMS)
    assert same.drifted is False and same.psi is not None and same.psi < 0.1
    assert same.ks_reference == "sample" and same.ks_p is not None and same.ks_p > PARAMS.ks_p
    shifted = drift_of("x", ref, list(rng.normal(1.5, 1, 300)), PARAMS)
    assert shifted.drifted is True and shifted.psi > PARAMS.psi and shifted.ks_p < 1e-6  # type: ignore[operator]
    # out of the training range entirely: the open outer bins still see it
    far = drift_of("x", ref, [50.0] * 300, PARAMS)
    assert far.drifted is True and far.shares[-1] == 1.0
    # too few values: numbers, but no verdict
    few = drift_of("x", ref, list(rng.normal(1.5, 1, PARAMS.min_samples - 1)), PARAMS)
    assert few.drifted is None and few.psi is not None
    assert drift_of("x", ref, [], PARAMS).n == 0


def test_psi_of_the_reference_itself_is_zero() -> None:
    values = np.random.default_rng(1).uniform(0, 1, 500)
    assert psi(_reference(values), list(values)) == pytest.approx(0, abs=1e-9)


def test_a_constant_reference_such_as_a_fixed_width() -> None:
    ref = _reference(np.full(140, 64.0))
    assert ref["edges"] == [64.0]
    same = drift_of("width", ref, [64.0] * 200, PARAMS)
    assert same.drifted is False and same.psi == pytest.approx(0, abs=1e-9)
    other = drift_of("width", ref, [500.0] * 200, PARAMS)
    assert other.drifted is True and other.shares == [0.0, 0.0, 1.0]


def test_bundles_without_a_reference_sample_use_the_histogram() -> None:
    rng = np.random.default_rng(2)
    ref = _reference(rng.normal(0, 1, 1000))
    del ref["sample"]
    same = drift_of("x", ref, list(rng.normal(0, 1, 300)), PARAMS)
    assert same.ks_reference == "histogram" and same.drifted is False
    assert drift_of("x", ref, list(rng.normal(1.5, 1, 300)), PARAMS).drifted is True


def test_atc_threshold_gives_the_accuracy_as_the_share_above_it() -> None:
    rng = np.random.default_rng(3)
    conf = rng.uniform(0.5, 1, 400)
    correct = rng.uniform(0, 1, 400) < conf  # calibrated: right with probability conf
    atc = pipeline.atc_threshold(conf, correct)
    assert atc["test_accuracy"] == pytest.approx(correct.mean())
    assert np.mean(conf > atc["threshold"]) == pytest.approx(correct.mean(), abs=1 / 400)
    # ties (a dummy model: one confidence for all): the closest share the ties allow
    tied = pipeline.atc_threshold(np.full(10, 0.5), np.arange(10) < 5)
    assert tied == {"threshold": 0.0, "test_accuracy": 0.5}


def test_the_bundle_keeps_atc_and_a_reference_sample(trained_project: Path) -> None:
    model = load_bundle(trained_project / "models/catdetector")
    meta = model.meta
    assert meta["atc"]["test_accuracy"] == pytest.approx(meta["metrics"]["test"]["accuracy"])
    _, splits = pipeline.load_prepared(trained_project)
    probs = model.probabilities(splits["test"][0])
    share = float(np.mean(probs.max(axis=1) > meta["atc"]["threshold"]))
    assert share == pytest.approx(meta["atc"]["test_accuracy"], abs=0.05)
    for name, ref in meta["reference"].items():
        assert ref["sample"] and len(ref["sample"]) <= reference.REFERENCE_SAMPLE, name
    # the prediction reference is from held-out inputs (val + test), not the training split
    held_out = len(splits["val"][1]) + len(splits["test"][1])
    assert sum(meta["reference"]["probability"]["counts"]) == held_out


def test_a_bundle_without_atc_still_loads(trained_project: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(trained_project / "models/catdetector", bundle)
    meta = json.loads((bundle / "model.json").read_text())
    del meta["atc"]
    (bundle / "model.json").unlink()
    (bundle / "model.json").write_text(json.dumps(meta))
    assert "atc" not in load_bundle(bundle).meta


def test_fresh_synthetic_inputs_do_not_drift_darker_ones_do(
    trained_project: Path, tmp_path: Path
) -> None:
    model = load_bundle(trained_project / "models/catdetector")
    reference = model.meta["reference"]
    fresh = fresh_sample(tmp_path / "fresh", 160, seed=4242)
    calm = drift_all(reference, served_values(model, fresh), PARAMS)
    assert {d.name for d in calm} == {*reference}
    assert [d.name for d in calm if d.drifted] == [], [d.to_dict() for d in calm]
    dark = drift_all(reference, served_values(model, [darken(b) for b in fresh]), PARAMS)
    flagged = {d.name for d in dark if d.drifted}
    assert {"brightness", "red", "green", "blue"} <= flagged, [d.to_dict() for d in dark]


@pytest.mark.slow
@pytest.mark.realdata
def test_real_photos_darker_or_resized_drift_the_rest_do_not(
    real_data: Path, trained_project: Path
) -> None:
    from catdetector.features import images

    model = load_bundle(trained_project / "models/catdetector")  # for its spec and limits
    every = photos(real_data)
    rng = np.random.default_rng(5)
    order = rng.permutation(len(every))
    train = [every[i] for i in order[:140]]
    rest = [every[i] for i in order[140:]]

    def descriptors(inputs: list[bytes]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {n: [] for n in images.DESCRIPTORS}
        for data in inputs:
            for name, value in images.describe(images.decode(data, model.spec)).items():
                out[name].append(value)
        return out

    reference = pipeline.reference_stats(descriptors(train))
    calm = drift_all(reference, descriptors(rest), PARAMS)
    assert [d.name for d in calm if d.drifted] == [], [d.to_dict() for d in calm]
    dark = drift_all(reference, descriptors([darken(b, 0.35) for b in rest]), PARAMS)
    assert "brightness" in {d.name for d in dark if d.drifted}
