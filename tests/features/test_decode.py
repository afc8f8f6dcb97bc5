"""The backbone's decode: one resize of the crop's box (versions 2 and 3); a change of the
decode is a change of the preprocessing hash, and a bundle of an older decode keeps its own."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from catdetector.features import images
from catdetector.features.images import BackboneSpec


def _jpeg(width: int, height: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    # smooth content (a gradient plus low noise), like a photo rather than static
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack(
        [xs * 255 // width, ys * 255 // height, (xs + ys) * 127 // (width + height)], -1
    )
    noisy = np.clip(base + rng.integers(-8, 9, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=90)
    return out.getvalue()


def _decoded_rgb(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGB")


def test_a_change_of_the_decode_is_a_change_of_the_hash() -> None:
    assert images.BACKBONE_PREPROCESS_VERSION == 3
    assert BackboneSpec().digest() != BackboneSpec(version=1).digest()
    stored = BackboneSpec(version=1).to_dict()
    assert BackboneSpec.from_dict(stored).digest() == BackboneSpec(version=1).digest()


def test_version_1_bundles_keep_their_decode_resize_then_crop() -> None:
    data, spec = _jpeg(500, 375), BackboneSpec(version=1)
    rgb = _decoded_rgb(data)
    # what version 1 did: the shorter side to 256 (341 x 256), then the centre 224 crop
    whole = rgb.resize((341, 256), Image.Resampling.BILINEAR)
    expected = np.asarray(whole.crop((58, 16, 282, 240)), np.uint8)
    got = images.backbone_decode(images.open_image(data), spec).pixels
    assert np.array_equal(got, expected)


def test_version_2_is_one_resize_of_the_crop_box_and_close_to_version_1() -> None:
    data = _jpeg(500, 375)
    new = images.backbone_decode(images.open_image(data), BackboneSpec()).pixels
    rgb = _decoded_rgb(data)
    side = 375 * 224 / 256  # the source square that version 1 kept
    box = ((500 - side) / 2, (375 - side) / 2, (500 + side) / 2, (375 + side) / 2)
    expected = np.asarray(rgb.resize((224, 224), Image.Resampling.BILINEAR, box=box), np.uint8)
    assert np.array_equal(new, expected) and new.shape == (224, 224, 3)
    old = images.backbone_decode(images.open_image(data), BackboneSpec(version=1)).pixels
    assert np.abs(new.astype(int) - old.astype(int)).mean() < 3  # the same view of the image


@pytest.mark.parametrize("size", [(40, 300), (300, 40), (224, 224), (1200, 900)])
def test_any_shape_gives_the_backbone_input(size: tuple[int, int]) -> None:
    for version in images.BACKBONE_DECODES:
        spec = BackboneSpec(version=version)
        pixels = images.backbone_pixels(images.open_image(_jpeg(*size)), spec)
        assert pixels.shape == (3, 224, 224) and pixels.dtype == np.float32


def test_unknown_decode_version_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="backbone preprocessing version 99 is unknown"):
        BackboneSpec.from_dict({**BackboneSpec().to_dict(), "version": 99})
