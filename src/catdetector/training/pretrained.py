"""The pretrained rung in the train stage: embed every split (cached), its costs, its meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catdetector.core import fingerprint, layout
from catdetector.core.config import Params
from catdetector.core.errors import SkewError
from catdetector.core.fsutil import write_json
from catdetector.features import embed, images, quantize
from catdetector.model import save
from catdetector.training import ladder


def raw_dir(root: Path, manifest: dict[str, Any]) -> Path:
    """The raw image folder that prepare read (``data.raw``)."""
    return root / str(manifest.get("raw", layout.RAW))


def calibration_set(manifest: dict[str, Any], count: int, seed: int) -> list[dict[str, str]]:
    """The int8 calibration images: ``count`` train items drawn with ``seed`` from the train
    split in content-hash order (so neither file names nor scan order change the draw)."""
    train = sorted(embed.split_items(manifest["items"], "train"), key=lambda i: i["sha256"])
    picks = np.random.default_rng(seed).choice(len(train), min(count, len(train)), replace=False)
    return [{"path": train[i]["path"], "sha256": train[i]["sha256"]} for i in sorted(picks)]


def int8_backbone(
    root: Path, manifest: dict[str, Any], float_onnx: bytes, params: Params
) -> tuple[bytes, list[dict[str, str]], bool]:
    """The int8 backbone (from the user cache when made before), its calibration set, and
    whether it came from the cache."""
    calibration = calibration_set(manifest, params.pretrained.calibration_images, params.train.seed)
    raw, limits, spec = (
        raw_dir(root, manifest),
        images.Limits(**manifest["limits"]),
        images.BackboneSpec(),
    )

    def pixels() -> np.ndarray:
        opened = (images.open_image((raw / e["path"]).read_bytes(), limits) for e in calibration)
        return np.stack([images.backbone_pixels(img, spec) for img in opened])

    blob, cached = quantize.cached_int8(
        embed.cache_root() / "int8", float_onnx, calibration, pixels, embed.INPUT_NAME
    )
    return blob, calibration, cached


def pretrained_inputs(
    root: Path,
    manifest: dict[str, Any],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    params: Params,
) -> embed.Embedded:
    """Embeddings of every split for the pretrained rung (cached by image content hash), at
    the precision of ``pretrained.precision``; the other precision's run is in ``others``
    (for the cost report)."""
    raw, limits = raw_dir(root, manifest), images.Limits(**manifest["limits"])
    float_onnx = embed.export_onnx()
    int8, calibration, cached = int8_backbone(root, manifest, float_onnx, params)
    runs = {
        precision: embed.embed_dataset(
            raw, manifest["items"], splits, limits, embed.cache_root(), blob
        )
        for precision, blob in (("float32", float_onnx), ("int8", int8))
    }
    for precision, run in runs.items():
        run.precision = precision
    deep = runs[params.pretrained.precision]
    deep.others = {p: run for p, run in runs.items() if run is not deep}
    deep.calibration = calibration
    # this run's counts (of the chosen precision): in the workspace and beside the shared cache
    stats = {
        **deep.cache.stats(),
        "precision": deep.precision,
        "int8_from_cache": cached,
        "others": {p: run.cache.stats() for p, run in deep.others.items()},
    }
    write_json(root / layout.EMBED_CACHE / "last-run.json", stats)
    write_json(embed.cache_root() / "last-run.json", stats)
    return deep


def other_precisions(
    deep: embed.Embedded, params: Params, y_fit: np.ndarray
) -> list[ladder.RungResult]:
    """The pretrained rung at its other precision(s), fitted and costed like the rung itself,
    named ``pretrained-<precision>`` (for the cost report only: they choose nothing)."""
    out = []
    for precision, run in deep.others.items():
        result = ladder.fit_and_score(
            "pretrained", params.ladder, params.train.seed, run.splits["train"][0], y_fit,
            run.splits,
        )  # fmt: skip
        result.rung = f"pretrained-{precision}"
        result.size_bytes = len(save.canonical_skops(result.estimator))
        add_backbone_costs(result, run, len(y_fit))
        out.append(result)
    return out


def add_backbone_costs(result: ladder.RungResult, deep: embed.Embedded, n_train: int) -> None:
    """The backbone's share of the pretrained rung's costs.

    Fit: the head's fit plus embedding the train split at the measured per-image rate
    (what a cold cache costs). Predict: the backbone per image plus the head. Size:
    head plus ONNX file. Install: the ``deep`` extra's packages beyond the base install.
    """
    result.fit_seconds += n_train * deep.ms_per_image / 1000
    result.predict_ms_per_image += deep.ms_per_image
    result.size_bytes += len(deep.onnx)
    result.install_bytes = fingerprint.install_bytes("deep")


def precision_fields(result: ladder.RungResult, deep: embed.Embedded | None) -> dict[str, Any]:
    """A pretrained row's precision and accuracies, for the cost report (else nothing)."""
    if deep is None or not result.rung.startswith("pretrained"):
        return {}
    _, _, precision = result.rung.partition("-")
    return {
        "precision": precision or deep.precision,
        "val_accuracy": result.val_accuracy,
        "test_accuracy": result.test_accuracy,
    }


def backbone_meta(
    root: Path, manifest: dict[str, Any], deep: embed.Embedded, golden: list[str]
) -> dict[str, Any]:
    """model.json's ``backbone`` entry; checks the float32 ONNX export against torch, and an
    int8 backbone against float32, on the golden samples."""
    samples = [(raw_dir(root, manifest) / rel).read_bytes() for rel in golden]
    limits = images.Limits(**manifest["limits"])
    runs = {deep.precision: deep, **deep.others}
    meta: dict[str, Any] = {
        "file": embed.ONNX_FILE,
        "precision": deep.precision,
        "spec": deep.features.spec.to_dict(),
        "spec_sha256": deep.features.spec.digest(),
        "embedding_dim": embed.EMBEDDING_DIM,
        "exporter": embed.exporter_info(),
        "torch_max_abs_diff": embed.check_against_torch(runs["float32"].features, samples, limits),
        "serve_install_bytes": fingerprint.install_bytes("serve-deep"),
    }
    if deep.precision == "int8":
        meta["quantization"] = {
            **quantize.SETTINGS,
            "calibration": deep.calibration,
            "calibration_sha256": quantize.calibration_digest(deep.calibration),
            "float32_sha256": runs["float32"].features.backbone.sha256,
            "min_cosine_to_float32": check_int8(runs, samples, limits),
            "tolerance_min_cosine": quantize.MIN_COSINE,
        }
    return meta


def check_int8(
    runs: dict[str, embed.Embedded], samples: list[bytes], limits: images.Limits
) -> float:
    """Smallest cosine similarity of int8 and float32 embeddings of ``samples``; SkewError
    below :data:`quantize.MIN_COSINE`."""
    spec = runs["float32"].features.spec
    batch = np.stack([images.backbone_pixels(images.open_image(d, limits), spec) for d in samples])
    worst = float(
        np.min(
            quantize.cosine(
                runs["int8"].features.backbone.embed(batch),
                runs["float32"].features.backbone.embed(batch),
            )
        )
    )
    if worst < quantize.MIN_COSINE:
        raise SkewError(
            f"the int8 backbone's embeddings differ from float32 on the golden samples "
            f"(cosine {worst:.4f} < {quantize.MIN_COSINE}): the quantisation is wrong"
        )
    return round(worst, 6)
