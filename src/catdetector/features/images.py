"""Decode, validate, preprocess and featurize images: the one place preprocessing lives.

Training (``pipeline``), ``predict`` and the server all call :func:`decode` and
:func:`featurize` with the :class:`PreprocessSpec` stored in the model bundle,
so serving cannot drift from training. The pretrained rung's input (resize,
centre crop, normalisation) is :func:`backbone_pixels` with a :class:`BackboneSpec`;
its drift descriptors come from the same decode (:func:`backbone_decode`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError
from skimage.feature import hog

from catdetector.core.config import FeatureParams, ImageParams
from catdetector.core.errors import ImageError
from catdetector.features.limits import Clocked, DecodeTimeout, Limits, decoded_bytes

# Bump when the code of preprocess/featurize changes behaviour: it is part of the spec hash.
PREPROCESS_VERSION = 1
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "GIF", "WEBP", "TIFF"})
SUPPORTED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# The file extension each accepted format keeps (stored inputs, exports): one per format.
FORMAT_SUFFIX = {
    "JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif", "WEBP": ".webp", "TIFF": ".tif"
}  # fmt: skip
DESCRIPTORS = ("width", "height", "brightness", "contrast", "red", "green", "blue")


@dataclass(frozen=True)
class PreprocessSpec:
    """Everything that decides what features an image gets."""

    size: int
    hog_orientations: int
    hog_cell: int
    hog_block: int
    color_bins: int
    version: int = PREPROCESS_VERSION

    @classmethod
    def from_params(cls, image: ImageParams, features: FeatureParams) -> PreprocessSpec:
        """Build the spec from the ``image`` and ``features`` sections of params."""
        return cls(
            size=image.size,
            hog_orientations=features.hog_orientations,
            hog_cell=features.hog_cell,
            hog_block=features.hog_block,
            color_bins=features.color_bins,
        )

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> PreprocessSpec:
        """Rebuild from the dict stored in a bundle."""
        return cls(**data)

    def to_dict(self) -> dict[str, int]:
        """Plain dict for JSON."""
        return asdict(self)

    def digest(self) -> str:
        """Stable sha256 of the spec (the preprocessing hash)."""
        return _digest(self.to_dict())


def _digest(spec: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# Bump when backbone_pixels or backbone_describe changes behaviour (part of the spec hash).
# 2: one resize of the crop's box (was: resize all, then crop). 3: descriptors of a sample
# of the crop (DESCRIPTOR_STRIDES; was: every pixel). bench/decode.py measures both.
BACKBONE_PREPROCESS_VERSION = 3


@dataclass(frozen=True)
class BackboneSpec:
    """The pretrained backbone's input: shorter side resized, centre crop, normalisation.

    The defaults are EfficientNet-Lite's own evaluation preprocessing: crop 224 of a
    256 resize (224 / 0.875) and (pixel - 127) / 128 on every channel. The version also
    decides the drift descriptors' sampling of the crop (:func:`backbone_describe`).
    """

    input_size: int = 224
    resize: int = 256
    mean: float = 127.0
    std: float = 128.0
    version: int = BACKBONE_PREPROCESS_VERSION

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> BackboneSpec:
        """Rebuild from the dict stored in a bundle; ValueError for a decode this code lacks.

        A bundle of an older version keeps its own decode (:func:`backbone_crop`), so it is
        served as it was trained.
        """
        spec = cls(**data)  # type: ignore[arg-type]
        if spec.version not in BACKBONE_DECODES:
            raise ValueError(
                f"backbone preprocessing version {spec.version} is unknown to this catdetector "
                f"(it knows {', '.join(map(str, BACKBONE_DECODES))}): upgrade catdetector"
            )
        return spec

    def to_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return asdict(self)

    def digest(self) -> str:
        """Stable sha256 of the spec."""
        return _digest(self.to_dict())


@dataclass(frozen=True)
class Decoded:
    """A fully decoded, validated image, resized for featurization."""

    width: int
    height: int
    format: str
    pixels: np.ndarray  # uint8 RGB, (h, w, 3): the spec's square, or the backbone's crop


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def sniff_format(data: bytes) -> str | None:
    """The image format that the first bytes announce (PNG, JPEG, ...), if any."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for sig, fmt in _SIGNATURES if data.startswith(sig)), None)


def open_image(data: bytes, limits: Limits = Limits()) -> Image.Image:
    """Open ``data`` and check what its header declares against ``limits``.

    Nothing is decoded yet: this is cheap, and bombs are refused here. Raises
    ImageError with an HTTP-like ``status``: 413 too large, 415 not a supported
    image, 422 corrupt or too small.
    """
    if not data:
        raise ImageError("empty input: no image bytes", status=422)
    if len(data) > limits.max_bytes:
        raise ImageError(
            f"input is {len(data)} bytes, over the limit of {limits.max_bytes}", status=413
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(Clocked(data, limits.max_decode_seconds))
    except UnidentifiedImageError as exc:
        fmt = sniff_format(data)
        if fmt in SUPPORTED_FORMATS:  # the signature of a format we read: the rest is broken
            raise ImageError(f"truncated or corrupt {fmt} image", status=422) from exc
        raise ImageError("not an image (unrecognised format)", status=415) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image over the pixel limit: {exc}", status=413) from exc
    except Exception as exc:  # Pillow raises many types for corrupt headers
        raise ImageError(f"truncated or corrupt image: {exc}", status=422) from exc
    try:
        _check_header(img, limits)
    except ImageError:
        img.close()
        raise
    return img


def _check_header(img: Image.Image, limits: Limits) -> None:
    fmt = img.format or "unknown"
    if fmt not in SUPPORTED_FORMATS:
        raise ImageError(f"unsupported image format {fmt}", status=415)
    width, height = img.size
    if width * height > limits.max_pixels:
        raise ImageError(
            f"image is {width}x{height} = {width * height} pixels, "
            f"over the limit of {limits.max_pixels}",
            status=413,
        )
    cost = decoded_bytes(img)
    if limits.max_decoded_bytes is not None and cost > limits.max_decoded_bytes:
        raise ImageError(
            f"image is {width}x{height} {img.mode}: decoding it takes {cost} bytes, "
            f"over the limit of {limits.max_decoded_bytes}",
            status=413,
        )
    if min(width, height) < limits.min_side:
        raise ImageError(
            f"image is {width}x{height}, smaller than the minimum side of "
            f"{limits.min_side} pixels",
            status=422,
        )


@contextlib.contextmanager
def _decoding(img: Image.Image, draft: int) -> Iterator[Image.Image]:
    """Load ``img`` (closing it after), as RGB; JPEGs are DCT-downscaled to at least ``draft``.

    Errors while decoding, or in the caller's resize, become ImageError (422); decoding
    that runs over the time limit of :func:`open_image`'s ``limits``, ImageError (413).
    """
    clock = getattr(img, "fp", None)
    clock = clock if isinstance(clock, Clocked) else None
    with img:
        try:
            if img.format == "JPEG":
                # DCT-domain downscale: much faster, and identical in training and serving.
                img.draft("RGB", (draft, draft))
            if clock is not None:
                clock.start()
            img.load()
            if clock is not None:
                clock.check()
            yield img if img.mode == "RGB" else img.convert("RGB")
        except DecodeTimeout as exc:
            raise ImageError(f"image too costly to decode: {exc}", status=413) from exc
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageError(f"truncated or corrupt image data: {exc}", status=422) from exc


decoding = _decoding  # for the other rungs' decoders (``custom``)


def decode_image(img: Image.Image, spec: PreprocessSpec) -> Decoded:
    """Decode an image from :func:`open_image` (closing it), resized to the spec's square.

    Raises ImageError (422) when the image data is truncated or corrupt.
    """
    fmt = img.format or "unknown"
    width, height = img.size
    with _decoding(img, spec.size * 2) as rgb:
        small = rgb.resize((spec.size, spec.size), Image.Resampling.BILINEAR)
    return Decoded(width=width, height=height, format=fmt, pixels=np.asarray(small, np.uint8))


def backbone_decode(img: Image.Image, spec: BackboneSpec) -> Decoded:
    """The backbone's crop of an image from :func:`open_image` (closing it), as uint8 RGB.

    Shorter side resized to ``spec.resize``, centre crop of ``spec.input_size``. The
    pretrained rung's drift descriptors are measured on this crop, in training and in
    serving alike, so the server decodes each image once.
    """
    fmt = img.format or "unknown"
    width, height = img.size
    with _decoding(img, spec.resize) as rgb:
        crop = backbone_crop(rgb, spec)
    return Decoded(width=width, height=height, format=fmt, pixels=crop)


def backbone_crop(rgb: Image.Image, spec: BackboneSpec) -> np.ndarray:
    """The backbone's square crop of a decoded RGB image, uint8 (input_size, input_size, 3):
    the centre square that a resize of the shorter side to ``spec.resize`` and a crop of
    ``spec.input_size`` keep, made by the decode of ``spec.version``."""
    return BACKBONE_DECODES[spec.version](rgb, spec)


def _crop_v1(rgb: Image.Image, spec: BackboneSpec) -> np.ndarray:
    """Version 1: resize the whole image, then crop."""
    draft_w, draft_h = rgb.size
    scale = spec.resize / min(draft_w, draft_h)
    new_w = max(spec.input_size, round(draft_w * scale))
    new_h = max(spec.input_size, round(draft_h * scale))
    resized = rgb.resize((new_w, new_h), Image.Resampling.BILINEAR)
    left, top = (new_w - spec.input_size) // 2, (new_h - spec.input_size) // 2
    crop = resized.crop((left, top, left + spec.input_size, top + spec.input_size))
    return np.asarray(crop, np.uint8)


def _crop_v2(rgb: Image.Image, spec: BackboneSpec) -> np.ndarray:
    """Version 2: one resize of the crop's box in the source (only kept pixels resampled)."""
    width, height = rgb.size
    side = min(width, height) * min(1.0, spec.input_size / spec.resize)
    left, top = (width - side) / 2, (height - side) / 2
    size = (spec.input_size, spec.input_size)
    box = (left, top, left + side, top + side)
    return np.asarray(rgb.resize(size, Image.Resampling.BILINEAR, box=box), np.uint8)


# Every backbone decode this code knows, by BackboneSpec.version: old bundles keep theirs.
BACKBONE_DECODES = {1: _crop_v1, 2: _crop_v2, 3: _crop_v2}
# By BackboneSpec.version, the step (in rows and columns) between the crop's pixels that the
# drift descriptors measure: 4 keeps 56 x 56 of 224 x 224, an unbiased sample (bench/README.md).
DESCRIPTOR_STRIDES = {1: 1, 2: 1, 3: 4}


def backbone_describe(decoded: Decoded, spec: BackboneSpec) -> dict[str, float]:
    """The drift descriptors of a :func:`backbone_decode` crop, as ``spec.version`` samples it:
    training (the bundle's reference) and serving (the prediction log) both call this."""
    return describe(decoded, DESCRIPTOR_STRIDES[spec.version])


def backbone_input(decoded: Decoded, spec: BackboneSpec) -> np.ndarray:
    """The backbone's input of a :func:`backbone_decode` crop: ``(pixel - mean) / std``,
    float32, channels first: (3, input_size, input_size); one array, computed in place."""
    pixels = decoded.pixels.transpose(2, 0, 1).astype(np.float32, order="C")
    pixels -= np.float32(spec.mean)
    pixels /= np.float32(spec.std)
    return pixels


def backbone_pixels(img: Image.Image, spec: BackboneSpec) -> np.ndarray:
    """The backbone's input for an image from :func:`open_image` (closing it)."""
    return backbone_input(backbone_decode(img, spec), spec)


def decode(data: bytes, spec: PreprocessSpec, limits: Limits = Limits()) -> Decoded:
    """Decode and validate ``data`` fully, then resize to the spec's square.

    Raises ImageError with an HTTP-like ``status``: 413 too large, 415 not a
    supported image, 422 truncated, corrupt or too small.
    """
    return decode_image(open_image(data, limits), spec)


def featurize(decoded: Decoded, spec: PreprocessSpec) -> np.ndarray:
    """Feature vector (float64): HOG of the grey image, then H and S histograms."""
    rgb = decoded.pixels.astype(np.float64) / 255.0
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    parts = [
        hog(
            grey,
            orientations=spec.hog_orientations,
            pixels_per_cell=(spec.hog_cell, spec.hog_cell),
            cells_per_block=(spec.hog_block, spec.hog_block),
            feature_vector=True,
        )
    ]
    if spec.color_bins:
        hsv = np.asarray(Image.fromarray(decoded.pixels).convert("HSV"), np.float64) / 255.0
        n = float(hsv.shape[0] * hsv.shape[1])
        for channel in (0, 1):
            counts, _ = np.histogram(hsv[..., channel], bins=spec.color_bins, range=(0.0, 1.0))
            parts.append(counts / n)
    return np.concatenate(parts)


class Featurizer(Protocol):
    """What a model's input goes through: opened images -> feature rows for the estimator."""

    def rows(self, images: list[Image.Image]) -> np.ndarray:
        """Feature rows (n, d) float64 of images from :func:`open_image` (closes them)."""
        ...


@dataclass(frozen=True)
class HandFeatures:
    """Feature rows of the hand-made-feature rungs: decode, then :func:`featurize`."""

    spec: PreprocessSpec

    def rows(self, images: list[Image.Image]) -> np.ndarray:
        """Feature rows (float64) of images from :func:`open_image` (closes them)."""
        try:
            return np.vstack([featurize(decode_image(img, self.spec), self.spec) for img in images])
        finally:
            for img in images:
                img.close()


_LUMA = np.array([0.299, 0.587, 0.114])


def describe(decoded: Decoded, stride: int = 1) -> dict[str, float]:
    """Scalar descriptors of one input, for drift statistics: of every ``stride``-th pixel of
    every ``stride``-th row (1: all of them)."""
    px = decoded.pixels[::stride, ::stride].astype(np.float64)
    grey = px @ _LUMA
    return {
        "width": float(decoded.width),
        "height": float(decoded.height),
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
        "red": float(px[..., 0].mean()),
        "green": float(px[..., 1].mean()),
        "blue": float(px[..., 2].mean()),
    }


def features_from_bytes(data: bytes, spec: PreprocessSpec, limits: Limits = Limits()) -> np.ndarray:
    """decode + featurize in one call."""
    return featurize(decode(data, spec, limits), spec)
