"""The pretrained rung in the train stage: embed every split (cached), its costs, its meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catdetector.core import fingerprint, layout
from catdetector.core.fsutil import write_json
from catdetector.features import embed, images
from catdetector.training import ladder


def raw_dir(root: Path, manifest: dict[str, Any]) -> Path:
    """The raw image folder that prepare read (``data.raw``)."""
    return root / str(manifest.get("raw", layout.RAW))


def pretrained_inputs(
    root: Path, manifest: dict[str, Any], splits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> embed.Embedded:
    """Embeddings of every split for the pretrained rung (cached by image content hash)."""
    deep = embed.embed_dataset(
        raw_dir(root, manifest),
        manifest["items"],
        splits,
        images.Limits(**manifest["limits"]),
        embed.cache_root(),
    )
    # this run's counts: in the workspace (its last run) and beside the shared cache
    write_json(root / layout.EMBED_CACHE / "last-run.json", deep.cache.stats())
    write_json(embed.cache_root() / "last-run.json", deep.cache.stats())
    return deep


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


def backbone_meta(
    root: Path, manifest: dict[str, Any], deep: embed.Embedded, golden: list[str]
) -> dict[str, Any]:
    """model.json's ``backbone`` entry; checks the ONNX export against torch on the goldens."""
    samples = [(raw_dir(root, manifest) / rel).read_bytes() for rel in golden]
    limits = images.Limits(**manifest["limits"])
    return {
        "file": embed.ONNX_FILE,
        "spec": deep.features.spec.to_dict(),
        "spec_sha256": deep.features.spec.digest(),
        "embedding_dim": embed.EMBEDDING_DIM,
        "exporter": embed.exporter_info(),
        "torch_max_abs_diff": embed.check_against_torch(deep.features, samples, limits),
        "serve_install_bytes": fingerprint.install_bytes("serve-deep"),
    }
