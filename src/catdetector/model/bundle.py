"""The model bundle: ``model.skops`` + ``model.json`` in one directory (one DVC output).

Loading never unpickles: skops loads only the types in :data:`TRUSTED_TYPES`,
and the sha256 and size of every file recorded in ``model.json`` must match
before it is read. The pretrained rung's bundle also holds ``backbone.onnx``
(its feature extractor, run by onnxruntime; see ``embed``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn

from catdetector.core import fingerprint
from catdetector.core.errors import BundleError, ImageError, SkewError
from catdetector.features.images import (
    BackboneSpec,
    Featurizer,
    HandFeatures,
    Limits,
    PreprocessSpec,
    backbone_decode,
    backbone_describe,
    backbone_input,
    backbone_pixels,
    decode_image,
    describe,
    featurize,
    open_image,
)
from catdetector.model.head import Head, fitted_head
from catdetector.model.meta import META_FILE as META_FILE
from catdetector.model.meta import SCHEMA_VERSION as SCHEMA_VERSION
from catdetector.model.meta import read_meta
from catdetector.model.skopsio import BUNDLE_TYPES, skops_io

if TYPE_CHECKING:
    from PIL import Image

    from catdetector.features.embed import BackboneFeatures

MODEL_FILE = "model.skops"
# The types a bundle may hold (the reviewed list in model/skopsio); nothing else loads.
TRUSTED_TYPES = BUNDLE_TYPES


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class CheckReport:
    """Result of the load-time checks of a bundle."""

    hash_ok: bool = False
    env_differences: list[fingerprint.Difference] = field(default_factory=list)
    env_mismatch_allowed: bool = False
    golden_ok: bool = False
    golden_max_error: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "hash_ok": self.hash_ok,
            "environment_differences": [d.__dict__ for d in self.env_differences],
            "env_mismatch_allowed": self.env_mismatch_allowed,
            "golden_ok": self.golden_ok,
            "golden_max_error": self.golden_max_error,
        }


@dataclass
class Prediction:
    """One prediction."""

    label: str
    probability: float
    probabilities: dict[str, float]


@dataclass
class LoadedModel:
    """A verified bundle, ready to predict from encoded image bytes."""

    estimator: Any
    meta: dict[str, Any]
    spec: PreprocessSpec
    limits: Limits
    checks: CheckReport
    path: Path
    featurizer: Featurizer | None = None  # None: the hand-made features of ``spec``

    def __post_init__(self) -> None:
        if self.featurizer is None:
            self.featurizer = HandFeatures(self.spec)

    @property
    def labels(self) -> list[str]:
        """Class labels, in estimator class order."""
        return list(self.meta["labels"])

    @property
    def main_file(self) -> str:
        """The bundle's model file: ``model.skops``, or the custom rung's ONNX file."""
        return MODEL_FILE if MODEL_FILE in self.meta["files"] else str(self.meta["custom"]["file"])

    @property
    def model_id(self) -> str:
        """Short content id of ``model.skops`` (of the ONNX model, for the custom rung)."""
        return str(self.meta["files"][self.main_file]["sha256"][:12])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities for a (n, d) feature matrix.

        The ladder's linear head runs as :func:`~catdetector.model.head.fitted_head`: the
        same arithmetic bit for bit, without scikit-learn's per-call checks (most of a
        one-row ``predict_proba``, bench/README.md); any other estimator under scikit-learn's
        own ``config_context`` switches. The rows come from our own featurizer; a row that
        is not finite is still refused, here.
        """
        if not np.isfinite(features).all():
            raise ValueError("feature rows hold NaN or infinity: the featurizer is broken")
        if self._head is not None and features.dtype == np.float64 and features.ndim == 2:
            return self._head(features)
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return np.asarray(self.estimator.predict_proba(features), dtype=np.float64)

    @cached_property
    def _head(self) -> Head | None:
        return fitted_head(self.estimator)

    @property
    def has_backbone(self) -> bool:
        """True for the pretrained rung (an onnxruntime backbone before the head)."""
        return not isinstance(self.featurizer, HandFeatures)

    @property
    def batches_pay(self) -> bool:
        """True when predicting n images at once is cheaper per image: the backbone rung.

        Measured here (bench/serve_deep.py, 2026-12-04): with one onnxruntime thread a
        batch of 4 ran 0-14 % more images per second than batch 1, with two threads
        1.0-1.6x. The hand-made rungs' predict is a few ms of mostly per-image work.
        """
        return self.has_backbone

    def features(self, data: bytes, limits: Limits | None = None) -> np.ndarray:
        """Decode and featurize with this model's preprocessing."""
        return self.feature_rows([open_image(data, limits or self.limits)])[0]

    def feature_rows(self, images: list[Image.Image]) -> np.ndarray:
        """Feature rows of opened images (closes them), in one pass of the featurizer."""
        assert self.featurizer is not None  # set in __post_init__
        return self.featurizer.rows(images)

    def predict_image(self, img: Image.Image) -> Prediction:
        """Predict one image opened by :func:`~catdetector.features.images.open_image`.

        Closes the image.
        """
        return self.predict_images([img])[0]

    def predict_images(self, images: list[Image.Image]) -> list[Prediction]:
        """Predict opened images in one batch (closes them); ImageError on a corrupt one."""
        return [self._to_prediction(row) for row in self.probabilities(self.feature_rows(images))]

    def prepare(self, img: Image.Image) -> np.ndarray:
        """The per-image part of predict (decoding: a bad image fails here, on its own).

        One opened image (closed here) as the input of :meth:`predict_rows`: the
        feature row of the hand-made rungs, the backbone's input pixels otherwise.
        """
        featurizer = self.featurizer
        if isinstance(featurizer, HandFeatures):
            return featurizer.rows([img])[0]
        if _is_custom(featurizer):
            return featurizer.rows([img])[0]  # type: ignore[union-attr]
        return backbone_pixels(img, _backbone(featurizer).spec)

    def prepare_described(self, img: Image.Image) -> tuple[np.ndarray, dict[str, float]]:
        """:meth:`prepare`, plus the input's descriptors (for the prediction log).

        Both come from one decode: the prepare stage's for the hand-made rungs, the
        backbone's crop for the pretrained rung. The bundle's reference statistics were
        measured on the same decode.
        """
        featurizer = self.featurizer
        if isinstance(featurizer, HandFeatures):
            decoded = decode_image(img, self.spec)
            return featurize(decoded, self.spec), describe(decoded)
        if _is_custom(featurizer):
            return featurizer.row_described(img)  # type: ignore[union-attr]
        spec = _backbone(featurizer).spec
        crop = backbone_decode(img, spec)
        return backbone_input(crop, spec), backbone_describe(crop, spec)

    def predict_rows(self, rows: np.ndarray) -> list[Prediction]:
        """The batchable part of predict: a stack of :meth:`prepare` rows, one prediction each."""
        featurizer = self.featurizer
        if not isinstance(featurizer, HandFeatures) and not _is_custom(featurizer):
            rows = _backbone(featurizer).backbone.embed(rows).astype(np.float64)
        return [self._to_prediction(row) for row in self.probabilities(rows)]

    def predict_bytes(self, items: list[bytes], limits: Limits | None = None) -> list[Prediction]:
        """Predict encoded images in one batch (ImageError on the first bad one)."""
        opened: list[Image.Image] = []
        try:
            for data in items:
                opened.append(open_image(data, limits or self.limits))
        except ImageError:
            for img in opened:
                img.close()
            raise
        return self.predict_images(opened)

    def _to_prediction(self, row: np.ndarray) -> Prediction:
        best = int(np.argmax(row))
        labels = self.labels
        return Prediction(
            label=labels[best],
            probability=float(row[best]),
            probabilities={labels[i]: float(p) for i, p in enumerate(row)},
        )


def _is_custom(featurizer: Featurizer | None) -> bool:
    """True for the custom rung's input rows (its ONNX model is the estimator)."""
    return type(featurizer).__name__ == "CustomPixels"


def _backbone(featurizer: Featurizer | None) -> BackboneFeatures:
    """The backbone featurizer of a pretrained-rung model."""
    from catdetector.features.embed import BackboneFeatures

    assert isinstance(featurizer, BackboneFeatures)
    return featurizer


def _read_checked(directory: Path, meta: dict[str, Any], name: str) -> bytes:
    """A bundle file's bytes, refused unless size and sha256 match model.json."""
    path = directory / name
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path} is missing or unreadable: {exc}") from exc
    expected = meta["files"].get(name, {})
    if len(blob) != expected.get("size") or sha256_bytes(blob) != expected.get("sha256"):
        raise BundleError(
            f"{path} does not match model.json (size {len(blob)} vs {expected.get('size')}, "
            "or its sha256 differs): truncated, edited or from another bundle",
            hint="fetch the bundle again (`dvc pull`)",
        )
    return blob


def _load_backbone(
    directory: Path, meta: dict[str, Any], threads: int | None = None
) -> Featurizer | None:
    """The pretrained rung's featurizer (ONNX file checked, onnxruntime session), or None."""
    info = meta.get("backbone")
    if info is None:
        return None
    from catdetector.features import embed  # onnxruntime is imported only for bundles that need it

    blob = _read_checked(directory, meta, embed.ONNX_FILE)
    try:
        spec = BackboneSpec.from_dict(info["spec"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"model.json backbone spec is invalid: {exc}") from exc
    if spec.digest() != info.get("spec_sha256"):
        raise SkewError("model.json backbone preprocessing hash does not match its spec")
    return embed.BackboneFeatures(embed.Backbone(blob, threads), spec)


def _load_custom(directory: Path, meta: dict[str, Any], report: CheckReport) -> tuple[Any, Any]:
    """The custom rung's ONNX classifier and input rows (file and spec hash checked)."""
    from catdetector.features import custom  # onnxruntime only for bundles that need it

    blob = _read_checked(directory, meta, str(meta["custom"].get("file", custom.ONNX_FILE)))
    report.hash_ok = True
    return custom.load(blob, meta["custom"], len(meta["labels"]))


def _load_estimator(directory: Path, meta: dict[str, Any], report: CheckReport) -> Any:
    path = directory / MODEL_FILE
    blob = _read_checked(directory, meta, MODEL_FILE)
    report.hash_ok = True
    sio = skops_io()

    try:
        untrusted = set(sio.get_untrusted_types(data=blob))
    except Exception as exc:
        raise BundleError(f"{path} is not a readable skops file: {exc}") from exc
    unknown = sorted(untrusted - set(TRUSTED_TYPES))
    if unknown:
        raise BundleError(f"{path} holds types that are not trusted: {', '.join(unknown)}")
    try:
        return sio.loads(blob, trusted=list(TRUSTED_TYPES))
    except Exception as exc:
        raise BundleError(f"{path} could not be loaded by skops: {exc}") from exc


def run_golden(model: LoadedModel, tolerance: float) -> float:
    """Recompute the golden samples end to end; the largest absolute difference."""
    worst = 0.0
    for sample in model.meta["golden"]:
        data = base64.b64decode(sample["bytes_b64"])
        try:
            row = model.probabilities(model.features(data)[None, :])[0]
        except ImageError as exc:
            raise SkewError(f"golden sample {sample['name']} no longer decodes: {exc}") from exc
        expected = np.asarray(sample["probabilities"], dtype=np.float64)
        if row.shape != expected.shape:
            raise SkewError(f"golden sample {sample['name']}: output shape changed")
        worst = max(worst, float(np.max(np.abs(row - expected))))
    if worst > tolerance:
        raise SkewError(
            f"golden samples differ from training time by up to {worst:.3g} "
            f"(tolerance {tolerance:g}): training-serving skew; the model is refused"
        )
    return worst


def load_bundle(
    directory: Path,
    *,
    allow_env_mismatch: bool = False,
    golden_tolerance: float = 1e-6,
    threads: int | None = None,
) -> LoadedModel:
    """Verify and load a bundle: hash, trusted types, environment, golden samples.

    ``threads``: onnxruntime's intra-op threads for a backbone (None: its default).
    """
    directory = Path(directory)
    meta = read_meta(directory)
    report = CheckReport()
    custom_featurizer = None
    if "custom" in meta:
        estimator, custom_featurizer = _load_custom(directory, meta, report)
    else:
        estimator = _load_estimator(directory, meta, report)
    report.env_differences = fingerprint.compare(meta["environment"])
    needed = [d for d in report.env_differences if d.needed]
    if needed and not allow_env_mismatch:
        listing = ", ".join(
            f"{d.name} {d.recorded} (trained) vs {d.running} (here)" for d in needed
        )
        raise SkewError(
            f"environment differs from training for packages the model needs: {listing}",
            hint="install the project's lock, or pass --allow-env-mismatch",
        )
    report.env_mismatch_allowed = bool(needed)
    try:
        spec = PreprocessSpec.from_dict(meta["preprocess"]["spec"])
    except TypeError as exc:
        raise BundleError(f"model.json preprocess spec is invalid: {exc}") from exc
    if spec.digest() != meta["preprocess"].get("sha256"):
        raise SkewError("model.json preprocessing hash does not match its spec")
    limits = Limits(**meta.get("limits", {}))
    featurizer = custom_featurizer or _load_backbone(directory, meta, threads)
    model = LoadedModel(estimator, meta, spec, limits, report, directory, featurizer)
    report.golden_max_error = run_golden(model, golden_tolerance)
    report.golden_ok = True
    return model
