"""The custom rung's model: the team's own classifier, exported to ONNX, run by onnxruntime.

Its input spec (``ladder.custom.input`` in params.yaml) says how an image becomes the
model's input: squash-resized to ``size`` x ``size`` RGB, channels in ``channels`` order,
divided by ``scale``, then ``(x - mean) / std`` per channel, float32, NCHW. Training,
``predict`` and the server all go through :class:`CustomPixels`, so they agree by
construction; serving needs onnxruntime only (never the team's training framework).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from catdetector.core.errors import BundleError, SkewError
from catdetector.features.embed import cpu_session
from catdetector.features.images import Decoded, decoding, describe

ONNX_FILE = "custom.onnx"
# Bump when custom_decode/custom_input change behaviour: part of the spec hash.
CUSTOM_PREPROCESS_VERSION = 1
SERVE_PACKAGES = ("onnxruntime",)


@dataclass(frozen=True)
class CustomSpec:
    """How an image becomes the custom model's input, and what its output means."""

    size: int
    channels: str = "RGB"  # or "BGR"
    scale: float = 255.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    output: str = "logits"  # or "probabilities"
    version: int = CUSTOM_PREPROCESS_VERSION

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomSpec:
        """Rebuild from the dict stored in a bundle (or params)."""
        values = dict(data)
        for key in ("mean", "std"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        out = asdict(self)
        out["mean"], out["std"] = list(self.mean), list(self.std)
        return out

    def digest(self) -> str:
        """Stable sha256 of the spec."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def custom_decode(img: Image.Image, spec: CustomSpec) -> Decoded:
    """An image from ``open_image`` (closed here) squash-resized to the spec's square, RGB."""
    fmt = img.format or "unknown"
    width, height = img.size
    with decoding(img, spec.size * 2) as rgb:
        small = rgb.resize((spec.size, spec.size), Image.Resampling.BILINEAR)
    return Decoded(width=width, height=height, format=fmt, pixels=np.asarray(small, np.uint8))


def custom_input(decoded: Decoded, spec: CustomSpec) -> np.ndarray:
    """The model's input of one decoded image: (3, size, size) float32."""
    pixels: np.ndarray = decoded.pixels.astype(np.float32)
    if spec.channels == "BGR":
        pixels = pixels[..., ::-1]
    scaled = pixels / np.float32(spec.scale)
    normal = (scaled - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    return np.ascontiguousarray(normal.transpose(2, 0, 1), dtype=np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


class OnnxClassifier:
    """An onnxruntime session of the team's model: ``predict_proba`` on input tensors."""

    def __init__(self, onnx_bytes: bytes, spec: CustomSpec, n_labels: int) -> None:
        try:
            ort = importlib.import_module("onnxruntime")
        except ImportError as exc:
            raise BundleError(
                "the custom rung's model needs onnxruntime, which is not installed",
                hint="run `catdetector lock`, then `pip install -r requirements.lock`",
            ) from exc
        self._session = cpu_session(ort, onnx_bytes, "the custom rung's file")
        self.spec = spec
        self.n_labels = n_labels
        self.sha256 = hashlib.sha256(onnx_bytes).hexdigest()
        self.size = len(onnx_bytes)
        inputs = self._session.get_inputs()
        self.input_name = inputs[0].name
        self.problems = input_problems(inputs, self._session.get_outputs(), spec, n_labels)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, labels) float64 of a (n, 3, size, size) batch."""
        out = self._session.run(None, {self.input_name: np.asarray(x, np.float32)})[0]
        scores = np.asarray(out, dtype=np.float64).reshape(len(x), -1)
        return scores if self.spec.output == "probabilities" else _softmax(scores)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices."""
        return np.argmax(self.predict_proba(x), axis=1)


def _dim_ok(dim: Any, want: int) -> bool:
    """A dimension of the graph accepts ``want``: equal, or symbolic/unknown."""
    return not isinstance(dim, int) or dim == want


def input_problems(inputs: list[Any], outputs: list[Any], spec: CustomSpec, labels: int) -> str:
    """Why the graph does not take the spec's input or give one score per label ('' if fine)."""
    if len(inputs) != 1:
        return f"the model has {len(inputs)} inputs; one image tensor is expected"
    shape, dtype = list(inputs[0].shape or []), str(inputs[0].type)
    want = [1, 3, spec.size, spec.size]
    if len(shape) != 4 or not all(_dim_ok(d, w) for d, w in zip(shape[1:], want[1:], strict=True)):
        return (
            f"its input {inputs[0].name!r} has shape {shape}, but the spec gives "
            f"[N, 3, {spec.size}, {spec.size}] (ladder.custom.input.size, NCHW)"
        )
    if dtype != "tensor(float)":
        return f"its input {inputs[0].name!r} is {dtype}, but the spec gives float32"
    out_shape = list(outputs[0].shape or []) if outputs else []
    if not out_shape or not _dim_ok(out_shape[-1], labels):
        return f"its first output has shape {out_shape}, but {labels} class scores are expected"
    return ""


@dataclass
class CustomPixels:
    """Input rows of the custom model: images -> (n, 3, size, size) float32."""

    spec: CustomSpec
    model: OnnxClassifier | None = field(default=None, repr=False)

    def decode(self, images: list[Image.Image]) -> list[Decoded]:
        """Decode opened images (closes them)."""
        try:
            return [custom_decode(img, self.spec) for img in images]
        finally:
            for img in images:
                img.close()

    def rows(self, images: list[Image.Image]) -> np.ndarray:
        """Model inputs of opened images (closes them)."""
        return np.stack([custom_input(d, self.spec) for d in self.decode(images)])

    def row_described(self, img: Image.Image) -> tuple[np.ndarray, dict[str, float]]:
        """One image's model input and drift descriptors, from one decode."""
        decoded = self.decode([img])[0]
        return custom_input(decoded, self.spec), describe(decoded)


def load(blob: bytes, info: dict[str, Any], n_labels: int) -> tuple[OnnxClassifier, CustomPixels]:
    """A bundle's custom model from its ONNX bytes and model.json ``custom`` entry."""
    try:
        spec = CustomSpec.from_dict(info["spec"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"model.json custom spec is invalid: {exc}") from exc
    if spec.digest() != info.get("spec_sha256"):
        raise SkewError("model.json custom preprocessing hash does not match its spec")
    model = OnnxClassifier(blob, spec, n_labels)
    if model.problems:
        raise BundleError(f"the custom model does not match its input spec: {model.problems}")
    return model, CustomPixels(spec, model)


# How to turn each tracked model format into ONNX, which catdetector serves.
EXPORT_HINTS = {
    ".pt": "torch.onnx.export(model, example_input, 'model.onnx') (see the README)",
    ".pth": "torch.onnx.export(model, example_input, 'model.onnx') (see the README)",
    ".h5": "python -m tf2onnx.convert --keras model.h5 --output model.onnx",
    ".keras": "python -m tf2onnx.convert --keras model.keras --output model.onnx",
    ".pkl": "skl2onnx's convert_sklearn(model, initial_types=...)",
    ".joblib": "skl2onnx's convert_sklearn(model, initial_types=...)",
}


def not_a_bundle(path: Path) -> str:
    """One line for a model file given where a bundle is expected: how to make it servable."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return (
            f"{path} is a bare ONNX file: catdetector serves it as a custom rung, which records"
            " its input spec; declare it in params.yaml (ladder.custom) and run `dvc repro`"
        )
    how = EXPORT_HINTS.get(suffix, "your framework's ONNX exporter")
    return (
        f"{path} is a {suffix or 'model'} file, not a catdetector bundle: only ONNX models are"
        f" served; export it to ONNX ({how}) and train it as a custom rung (ladder.custom)"
    )
