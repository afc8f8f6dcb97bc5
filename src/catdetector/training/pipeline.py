"""The three DVC stages: prepare -> train -> evaluate (run as ``catdetector stage ...``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics as skm

from catdetector.core import fingerprint, layout, tools
from catdetector.core.config import Params, load_params
from catdetector.core.errors import DataError
from catdetector.core.fsutil import staged_dir, write_json
from catdetector.features import embed, images
from catdetector.formats.dvc import read_dvcfile_out
from catdetector.model import bundle, save
from catdetector.training import custom, ladder, pretrained, provenance
from catdetector.training.data import SPLITS, ScanResult, check_usable, scan
from catdetector.training.pretrained import raw_dir
from catdetector.training.reference import atc_threshold, reference_stats

# ---------------------------------------------------------------- prepare


def _descriptor_reference(descriptors: list[dict[str, float]]) -> dict[str, Any]:
    """The drift reference of the train split's input descriptors."""
    return reference_stats({k: [d[k] for d in descriptors] for k in images.DESCRIPTORS})


@dataclass
class PrepareSummary:
    """What prepare did."""

    counts: dict[str, int]
    bad: int
    duplicates: int
    ignored: int


def _prepared_arrays(
    result: ScanResult, spec: images.PreprocessSpec, labels: list[str]
) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        rows = [i for i, item in enumerate(result.items) if item.split == split]
        feats = [images.featurize(result.decoded[i], spec) for i in rows]
        arrays[f"{split}_x"] = np.vstack(feats)
        arrays[f"{split}_y"] = np.asarray(
            [labels.index(result.items[i].label) for i in rows], np.int64
        )
    return arrays


def prepare(root: Path) -> PrepareSummary:
    """Validate ``data/raw``, drop duplicates, split, featurize into ``data/prepared``."""
    params = load_params(root / layout.PARAMS)
    spec = images.PreprocessSpec.from_params(params.image, params.features)
    limits = images.Limits.from_params(params.image)
    labels = params.data.labels
    raw = root / params.data.raw
    provenance.refuse_model_labels(raw)  # no training on a model's own labels
    result = scan(raw, labels, params.split, spec, limits)
    check_usable(result, labels, params.data.skip_bad_files, params.data.raw)
    arrays = _prepared_arrays(result, spec, labels)
    train_rows = [i for i, item in enumerate(result.items) if item.split == "train"]
    descriptors = [images.describe(result.decoded[i]) for i in train_rows]
    counts = {s: len(arrays[f"{s}_y"]) for s in SPLITS}
    manifest: dict[str, Any] = {
        "raw": params.data.raw,
        "labels": labels,
        "preprocess": {"spec": spec.to_dict(), "sha256": spec.digest()},
        "limits": asdict(limits),
        "items": [asdict(item) for item in result.items],
        "counts": counts,
        "content_sha256": hashlib.sha256(
            "".join(sorted(i.sha256 for i in result.items)).encode()
        ).hexdigest(),
        "reference": _descriptor_reference(descriptors),
    }
    report = {
        "bad_files": [asdict(b) for b in result.bad],
        "skipped_bad_files": bool(result.bad),
        "duplicates": [{"dropped": d, "kept": k} for d, k in result.duplicates],
        "ignored": result.ignored,
    }
    with staged_dir(root / params.data.prepared) as tmp:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        write_json(tmp / "manifest.json", manifest)
        write_json(tmp / "report.json", report)
    return PrepareSummary(counts, len(result.bad), len(result.duplicates), len(result.ignored))


def load_prepared(root: Path) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The prepare stage's manifest and (x, y) per split."""
    folder = root / load_params(root / layout.PARAMS).data.prepared
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        splits = {
            s: (
                np.load(folder / f"{s}_x.npy", allow_pickle=False),
                np.load(folder / f"{s}_y.npy", allow_pickle=False),
            )
            for s in SPLITS
        }
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{folder} is missing or incomplete: {exc}", hint="run `dvc repro`"
        ) from exc
    return manifest, splits


# ---------------------------------------------------------------- train


def _corrupt_labels(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Shuffle the labels of a ``fraction`` of rows among themselves (deliberately bad data)."""
    if fraction <= 0:
        return y
    rng = np.random.RandomState(seed + 1)
    y = y.copy()
    picked = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    y[picked] = y[rng.permutation(picked)]
    return y


def _golden_picks(root: Path, manifest: dict[str, Any], count: int) -> list[str]:
    """A few held-out inputs: the smallest files, labels alternating."""
    by_label: dict[str, list[tuple[int, str]]] = {}
    for item in manifest["items"]:
        if item["split"] != "train":
            size = (raw_dir(root, manifest) / item["path"]).stat().st_size
            by_label.setdefault(item["label"], []).append((size, item["path"]))
    queues = [sorted(v) for _, v in sorted(by_label.items())]
    picked: list[str] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0)[1])
    return picked


def _golden(
    root: Path,
    manifest: dict[str, Any],
    estimator: Any,
    featurizer: images.Featurizer,
    picked: list[str],
) -> list[dict[str, Any]]:
    """The golden inputs with the outputs the model gives them now, through its featurizer."""
    limits = images.Limits(**manifest["limits"])
    records = []
    labels = manifest["labels"]
    for rel in picked:
        data = (raw_dir(root, manifest) / rel).read_bytes()
        probs = estimator.predict_proba(featurizer.rows([images.open_image(data, limits)]))[0]
        records.append(save.golden_record(rel, data, labels[int(np.argmax(probs))], probs))
    return records


def _dvc_data_hash(root: Path, manifest: dict[str, Any]) -> str | None:
    raw = raw_dir(root, manifest)
    out = read_dvcfile_out(raw.with_name(raw.name + ".dvc"))
    return out.md5 if out else None


def _scores(y: np.ndarray, probs: np.ndarray, labels: list[str]) -> dict[str, float]:
    pred = np.argmax(probs, axis=1)
    binary = len(labels) == 2
    avg = "binary" if binary else "macro"
    out = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, average=avg, pos_label=0, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, average=avg, pos_label=0, zero_division=0)),
        "f1": float(skm.f1_score(y, pred, average=avg, pos_label=0, zero_division=0)),
    }
    try:
        if binary:
            out["roc_auc"] = float(skm.roc_auc_score(y == 0, probs[:, 0]))
        else:
            out["roc_auc"] = float(skm.roc_auc_score(y, probs, multi_class="ovr"))
    except ValueError:
        out["roc_auc"] = float("nan")
    return out


def train(root: Path) -> dict[str, Any]:
    """Climb the ladder, choose the simplest good rung, write the bundle, ladder and costs.

    Scores go to the metrics file (identical across clones of one commit); timings and
    sizes go to the cost report, which DVC shows as a plot, never in ``dvc metrics diff``.
    """
    params: Params = load_params(root / layout.PARAMS)
    manifest, splits = load_prepared(root)
    labels = manifest["labels"]
    spec = images.PreprocessSpec.from_dict(manifest["preprocess"]["spec"])
    y_fit = _corrupt_labels(splits["train"][1], params.train.label_noise, params.train.seed)
    deep = None
    if "pretrained" in params.ladder.rungs:
        deep = pretrained.pretrained_inputs(root, manifest, splits, params)
    own = None
    if "custom" in params.ladder.rungs and params.ladder.custom is not None:
        own = custom.train_custom(
            root,
            raw_dir(root, manifest),
            params.ladder.custom,
            manifest,
            splits,
            y_fit,
            params.train.seed,
        )
    results = []
    for rung in params.ladder.rungs:
        if rung == "custom" and own is not None:
            results.append(own.result)
            continue
        inputs = deep.splits if deep is not None and rung == "pretrained" else splits
        result = ladder.fit_and_score(
            rung, params.ladder, params.train.seed, inputs["train"][0], y_fit, inputs
        )
        result.size_bytes = len(save.canonical_skops(result.estimator))
        if deep is not None and rung == "pretrained":
            pretrained.add_backbone_costs(result, deep, len(y_fit))
        results.append(result)
    chosen = ladder.choose(results, params.ladder.tolerance)
    # the pretrained rung's other precision: in the cost report and the printed table only
    variants = pretrained.other_precisions(deep, params, y_fit) if deep is not None else []
    model = chosen.estimator
    backbone = deep if deep is not None and chosen.rung == "pretrained" else None
    mine = own if own is not None and chosen.rung == "custom" else None
    featurizer: images.Featurizer = images.HandFeatures(spec)
    if backbone is not None:
        splits, featurizer = backbone.splits, backbone.features
    elif mine is not None:
        splits, featurizer = mine.splits, mine.features
    test_probs = model.predict_proba(splits["test"][0])
    # The prediction reference comes from held-out inputs: on its own training split a
    # model is more confident than on any new input, and that would read as drift.
    held_out = np.concatenate([model.predict_proba(splits["val"][0])[:, 0], test_probs[:, 0]])
    # Drift descriptors come from the chosen model's own decode, as the server measures them.
    reference = dict(manifest["reference"])
    if backbone is not None or mine is not None:
        reference = _descriptor_reference(
            backbone.train_descriptors if backbone is not None else mine.train_descriptors  # type: ignore[union-attr]
        )
    reference["probability"] = reference_stats({"p": list(held_out)})["p"]
    ladder_table = {
        r.rung: {"val_accuracy": r.val_accuracy, "test_accuracy": r.test_accuracy} for r in results
    }
    costs = [
        {
            "rung": r.rung,
            "fit_seconds": round(r.fit_seconds, 4),
            "predict_ms_per_image": round(r.predict_ms_per_image, 4),
            "size_bytes": r.size_bytes,
            "install_bytes": r.install_bytes,
            **pretrained.precision_fields(r, deep),
        }
        for r in results + variants
    ]
    atc = atc_threshold(test_probs.max(axis=1), np.argmax(test_probs, axis=1) == splits["test"][1])
    golden = _golden_picks(root, manifest, params.train.golden_samples)
    meta = {
        "name": layout.ARTIFACT,
        "labels": labels,
        "positive_label": labels[0],
        "chosen_rung": chosen.rung,
        "params": params.to_yaml_dict(),
        "metrics": {
            "val": _scores(splits["val"][1], model.predict_proba(splits["val"][0]), labels),
            "test": _scores(splits["test"][1], test_probs, labels),
            "ladder": ladder_table,
        },
        "lineage": {
            "git_commit": tools.head_commit(root),
            "git_dirty": tools.is_dirty(root),
            "data_dvc_md5": _dvc_data_hash(root, manifest),
            "data_content_sha256": manifest["content_sha256"],
            "counts": manifest["counts"],
        },
        "preprocess": manifest["preprocess"],
        "limits": manifest["limits"],
        "environment": fingerprint.current(),
        "reference": reference,
        "atc": atc,
        "golden": _golden(root, manifest, model, featurizer, golden),
    }
    extra: dict[str, bytes] = {}
    if backbone is not None:
        meta["backbone"] = pretrained.backbone_meta(root, manifest, backbone, golden)
        meta["backbone"]["precisions"] = {  # the deterministic part of the cost rows
            c["precision"]: {k: c[k] for k in ("val_accuracy", "test_accuracy", "size_bytes")}
            for c in costs
            if "precision" in c
        }
        meta["environment"] = fingerprint.current(embed.SERVE_PACKAGES)
        extra[embed.ONNX_FILE] = backbone.onnx
    if mine is not None:
        meta["custom"] = custom.bundle_meta(mine)
        meta["environment"] = fingerprint.current(custom.SERVE_PACKAGES)
        extra[custom.ONNX_FILE] = mine.onnx
        model = None
    save.write_bundle(root / layout.MODEL_DIR, model, meta, extra)
    bundle.load_bundle(root / layout.MODEL_DIR)  # self-check: what we wrote loads and agrees
    table = {"chosen": chosen.rung, "tolerance": params.ladder.tolerance, "rungs": ladder_table}
    # One place per metric in `dvc metrics show`: the ladder file holds what chose the rung
    # (val accuracy); per-rung test accuracies are in the test metrics (evaluate).
    chose = {r: {"val_accuracy": v["val_accuracy"]} for r, v in ladder_table.items()}
    write_json(root / layout.LADDER_METRICS, {**table, "rungs": chose})
    write_json(root / layout.COSTS_REPORT, costs)
    shown = {r.rung: {"val_accuracy": r.val_accuracy, "test_accuracy": r.test_accuracy}
             for r in variants}  # fmt: skip
    return {**table, "rungs": {**ladder_table, **shown}, "costs": costs}


# ---------------------------------------------------------------- evaluate


def evaluate(root: Path) -> dict[str, Any]:
    """Test-split metrics for ``dvc metrics show``; confusion and ROC data for ``dvc plots``."""
    model = bundle.load_bundle(root / layout.MODEL_DIR)
    manifest, splits = load_prepared(root)
    x_test, y_test = splits["test"]
    if isinstance(model.featurizer, embed.BackboneFeatures):  # embeddings, from the cache
        cache = embed.EmbeddingCache.for_backbone(
            embed.cache_root(), model.featurizer.backbone, model.featurizer.spec
        )
        items = embed.split_items(manifest["items"], "test")
        x_test = embed.embed_items(
            model.featurizer, cache, raw_dir(root, manifest), items, model.limits
        )[0]
    elif "custom" in model.meta:  # the team's model: its own input rows, from the raw images
        raw = raw_dir(root, manifest)
        items = embed.split_items(manifest["items"], "test")
        x_test = model.feature_rows(
            [images.open_image((raw / i["path"]).read_bytes(), model.limits) for i in items]
        )
    probs = model.probabilities(x_test)
    labels = model.labels
    scores: dict[str, Any] = dict(_scores(y_test, probs, labels))
    scores["n"] = len(y_test)
    scores["chosen_rung"] = model.meta["chosen_rung"]
    scores["ladder_test_accuracy"] = {
        rung: v["test_accuracy"] for rung, v in model.meta["metrics"]["ladder"].items()
    }
    pred = np.argmax(probs, axis=1)
    confusion = [
        {"actual": labels[a], "predicted": labels[p]} for a, p in zip(y_test, pred, strict=True)
    ]
    fpr, tpr, thresholds = skm.roc_curve(y_test == 0, probs[:, 0])
    roc = [
        {"fpr": float(f), "tpr": float(t), "threshold": float(min(th, 1.0))}
        for f, t, th in zip(fpr, tpr, thresholds, strict=True)
    ]
    write_json(root / layout.TEST_METRICS, scores)
    write_json(root / layout.CONFUSION_PLOT, confusion)
    write_json(root / layout.ROC_PLOT, roc)
    return scores
