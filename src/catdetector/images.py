"""Decode, validate, preprocess and featurize images: the one place preprocessing lives.

Training (``pipeline``), ``predict`` and the server all call :func:`decode` and
:func:`featurize` with the :class:`PreprocessSpec` stored in the model bundle,
so serving cannot drift from training.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError
from skimage.feature import hog

from catdetector.config import FeatureParams, ImageParams
from catdetector.errors import ImageError

# Bump when the code of preprocess/featurize changes behaviour: it is part of the spec hash.
PREPROCESS_VERSION = 1
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "GIF", "WEBP", "TIFF"})
SUPPORTED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
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
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class Limits:
    """Limits applied to every decoded input."""

    max_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    min_side: int = 32

    @classmethod
    def from_params(cls, image: ImageParams) -> Limits:
        """Limits from the ``image`` params section."""
        return cls(max_bytes=image.max_bytes, max_pixels=image.max_pixels, min_side=image.min_side)


@dataclass(frozen=True)
class Decoded:
    """A fully decoded, validated image, resized for featurization."""

    width: int
    height: int
    format: str
    pixels: np.ndarray  # uint8, (size, size, 3)


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
            img = Image.open(io.BytesIO(data))
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
    if min(width, height) < limits.min_side:
        raise ImageError(
            f"image is {width}x{height}, smaller than the minimum side of "
            f"{limits.min_side} pixels",
            status=422,
        )


def decode_image(img: Image.Image, spec: PreprocessSpec) -> Decoded:
    """Decode an image from :func:`open_image` (closing it), resized to the spec's square.

    Raises ImageError (422) when the image data is truncated or corrupt.
    """
    with img:
        fmt = img.format or "unknown"
        width, height = img.size
        try:
            if fmt == "JPEG":
                # DCT-domain downscale: much faster, and identical in training and serving.
                img.draft("RGB", (spec.size * 2, spec.size * 2))
            img.load()
            rgb = img.convert("RGB")
            small = rgb.resize((spec.size, spec.size), Image.Resampling.BILINEAR)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageError(f"truncated or corrupt image data: {exc}", status=422) from exc
    return Decoded(width=width, height=height, format=fmt, pixels=np.asarray(small, np.uint8))


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


def describe(decoded: Decoded) -> dict[str, float]:
    """Scalar descriptors of one input, for drift statistics."""
    px = decoded.pixels.astype(np.float64)
    grey = px @ np.array([0.299, 0.587, 0.114])
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
