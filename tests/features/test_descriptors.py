"""The pretrained rung's drift descriptors (backbone version 3): measured on every 4th pixel
of every 4th row of the backbone's crop; training and serving call the one function, the
sampling is part of the preprocessing hash, and drift is still told from no drift."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catdetector.core.config import MonitorParams
from catdetector.features import images
from catdetector.features.images import BackboneSpec
from catdetector.monitor.drift import drift_all
from catdetector.training.reference import reference_stats


def _crop(data: bytes, spec: BackboneSpec) -> images.Decoded:
    return images.backbone_decode(images.open_image(data), spec)


def _photos(folder: Path) -> list[bytes]:
    files = (p for label in ("cat", "other") for p in sorted((folder / label).iterdir()))
    return [p.read_bytes() for p in files]


def _scaled(data: bytes, factor: float, towards: float = 0.0) -> bytes:
    """The image with every pixel moved towards ``towards`` (0: darker; 128: flatter)."""
    with Image.open(io.BytesIO(data)) as img:
        px = np.asarray(img.convert("RGB"), np.float64)
    out = io.BytesIO()
    moved = np.clip(np.rint(towards + (px - towards) * factor), 0, 255).astype(np.uint8)
    Image.fromarray(moved).save(out, format="BMP")  # lossless and quick to write
    return out.getvalue()


def test_the_sampling_is_part_of_the_hash_and_old_bundles_keep_theirs() -> None:
    assert images.BACKBONE_PREPROCESS_VERSION == 3
    assert images.DESCRIPTOR_STRIDES[3] == 4
    assert BackboneSpec().digest() != BackboneSpec(version=2).digest()
    rng = np.random.default_rng(3)
    crop = images.Decoded(500, 375, "JPEG", rng.integers(0, 256, (224, 224, 3), dtype=np.uint8))
    # version 2 (and 1): every pixel of the crop, as those bundles' references were measured
    for version in (1, 2):
        assert images.backbone_describe(crop, BackboneSpec(version=version)) == images.describe(
            crop
        )
    px = crop.pixels[::4, ::4].astype(np.float64)
    grey = px @ np.array([0.299, 0.587, 0.114])
    got = images.backbone_describe(crop, BackboneSpec())
    assert got == {
        "width": 500.0,
        "height": 375.0,
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
        "red": float(px[..., 0].mean()),
        "green": float(px[..., 1].mean()),
        "blue": float(px[..., 2].mean()),
    }


def test_version_3_crops_as_version_2() -> None:
    rng = np.random.default_rng(4)
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)).save(out, "JPEG")
    v2, v3 = (_crop(out.getvalue(), BackboneSpec(version=v)).pixels for v in (2, 3))
    assert np.array_equal(v2, v3)


def test_the_backbone_input_is_the_plain_formula_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    crop = images.Decoded(1, 1, "JPEG", rng.integers(0, 256, (224, 224, 3), dtype=np.uint8))
    spec = BackboneSpec()
    plain = (crop.pixels.astype(np.float32) - np.float32(spec.mean)) / np.float32(spec.std)
    got = images.backbone_input(crop, spec)
    assert got.flags.c_contiguous and got.dtype == np.float32
    assert np.array_equal(got, np.ascontiguousarray(plain.transpose(2, 0, 1)))


@pytest.mark.realdata
def test_on_the_photos_the_sampled_descriptors_estimate_the_whole_crops(real_data: Path) -> None:
    old, new = BackboneSpec(version=2), BackboneSpec()
    errors: dict[str, list[float]] = {name: [] for name in images.DESCRIPTORS}
    for data in _photos(real_data)[::4]:
        crop = _crop(data, new)
        whole, sampled = images.backbone_describe(crop, old), images.backbone_describe(crop, new)
        for name in images.DESCRIPTORS:
            errors[name].append(abs(whole[name] - sampled[name]))
    # grey levels 0-255; measured on all 400: median 0.35 (brightness), 0.18 (contrast)
    for name in ("brightness", "contrast", "red", "green", "blue"):
        assert float(np.median(errors[name])) < 1.0, (name, np.median(errors[name]))
        assert max(errors[name]) < 8.0, (name, max(errors[name]))
    assert max(errors["width"] + errors["height"]) == 0.0


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("version", [2, 3])
def test_darker_or_flatter_photos_drift_the_rest_do_not(real_data: Path, version: int) -> None:
    spec = BackboneSpec(version=version)
    every = _photos(real_data)
    order = np.random.default_rng(5).permutation(len(every))
    train, rest = [every[i] for i in order[:140]], [every[i] for i in order[140:]]

    def descriptors(inputs: list[bytes]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {n: [] for n in images.DESCRIPTORS}
        for data in inputs:
            for name, value in images.backbone_describe(_crop(data, spec), spec).items():
                out[name].append(value)
        return out

    params = MonitorParams()
    reference = reference_stats(descriptors(train))
    calm = drift_all(reference, descriptors(rest), params)
    assert [d.name for d in calm if d.drifted] == [], [d.to_dict() for d in calm]
    dark = drift_all(reference, descriptors([_scaled(b, 0.35) for b in rest]), params)
    assert {"brightness", "red", "green", "blue"} <= {d.name for d in dark if d.drifted}
    flat = drift_all(reference, descriptors([_scaled(b, 0.4, 128.0) for b in rest]), params)
    assert "contrast" in {d.name for d in flat if d.drifted}
