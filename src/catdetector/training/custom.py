"""The custom rung in the train stage: run the team's command, then score its ONNX model
with onnxruntime on the same validation and test split as every other rung."""

from __future__ import annotations

import csv
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catdetector.core import fingerprint
from catdetector.core.config import CustomRungParams
from catdetector.core.errors import ConfigError, ExternalToolError
from catdetector.features.custom import (
    ONNX_FILE,
    SERVE_PACKAGES,
    CustomPixels,
    CustomSpec,
    OnnxClassifier,
)
from catdetector.features.images import Limits, describe, open_image
from catdetector.training.data import SPLITS
from catdetector.training.ladder import RungResult

WORKDIR = Path(".dvc/tmp/catdetector/custom")
__all__ = ["ONNX_FILE", "SERVE_PACKAGES", "CustomRun", "bundle_meta", "spec_of", "train_custom"]


def spec_of(params: CustomRungParams) -> CustomSpec:
    """The input spec that params.yaml gives the custom model."""
    return CustomSpec(
        size=params.input.size,
        channels=params.input.channels,
        scale=params.input.scale,
        mean=(params.input.mean[0], params.input.mean[1], params.input.mean[2]),
        std=(params.input.std[0], params.input.std[1], params.input.std[2]),
        output=params.output,
    )


@dataclass
class CustomRun:
    """The custom rung's model, its inputs per split and what it cost."""

    result: RungResult
    features: CustomPixels
    onnx: bytes
    splits: dict[str, tuple[np.ndarray, np.ndarray]]  # val and test inputs (train: empty)
    train_descriptors: list[dict[str, float]]


def _write_train_list(
    path: Path, raw: Path, items: list[dict[str, Any]], labels: list[str]
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        for item, label in zip(items, labels, strict=True):
            writer.writerow([str((raw / item["path"]).resolve()), label])


def run_command(
    root: Path,
    params: CustomRungParams,
    train_csv: Path,
    output: Path,
    labels: list[str],
    seed: int,
) -> float:
    """Run the team's command; its wall time. One-line errors for every way it can fail."""
    values = {"{train}": str(train_csv), "{output}": str(output), "{labels}": ",".join(labels)}
    try:
        argv = shlex.split(params.command)
    except ValueError as exc:
        raise ConfigError(f"ladder.custom.command cannot be split: {exc}") from exc
    for placeholder, value in values.items():
        argv = [arg.replace(placeholder, value) for arg in argv]
    env = {
        **os.environ,
        "CATDETECTOR_TRAIN": str(train_csv),
        "CATDETECTOR_OUTPUT": str(output),
        "CATDETECTOR_LABELS": ",".join(labels),
        "CATDETECTOR_SEED": str(seed),
    }
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=params.timeout_seconds,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise ExternalToolError(f"custom rung: cannot run {argv[0]!r}: not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExternalToolError(
            f"custom rung: `{params.command}` ran over {params.timeout_seconds:g} s"
            " (ladder.custom.timeout_seconds)"
        ) from exc
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else "no output"
        raise ExternalToolError(f"custom rung: `{params.command}` exited {proc.returncode}: {last}")
    if not output.is_file() or output.stat().st_size == 0:
        raise ConfigError(
            f"custom rung: `{params.command}` exited 0 but wrote no ONNX model at {output}",
            hint="write the model to the path given as {output} (see the README: export to ONNX)",
        )
    return seconds


def _inputs(
    features: CustomPixels, raw: Path, items: list[dict[str, Any]], limits: Limits
) -> tuple[np.ndarray, list[dict[str, float]]]:
    rows, described = [], []
    for item in items:
        row, one = features.row_described(open_image((raw / item["path"]).read_bytes(), limits))
        rows.append(row)
        described.append(one)
    return np.stack(rows), described


def _ms_per_image(model: OnnxClassifier, features: CustomPixels, samples: list[bytes]) -> float:
    times = []
    for index, data in enumerate(samples):
        start = time.perf_counter()
        model.predict_proba(features.rows([open_image(data)]))
        if index:  # the first run warms the session up
            times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)) if times else 0.0


def train_custom(
    root: Path,
    raw: Path,
    params: CustomRungParams,
    manifest: dict[str, Any],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    y_fit: np.ndarray,
    seed: int,
) -> CustomRun:
    """Run the command on the train split, load its ONNX model, score it on val and test."""
    labels: list[str] = manifest["labels"]
    limits = Limits(**manifest["limits"])
    by_split = {s: [i for i in manifest["items"] if i["split"] == s] for s in SPLITS}
    work = root / WORKDIR
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    train_csv, output = work / "train.csv", work / "model.onnx"
    _write_train_list(train_csv, raw, by_split["train"], [labels[int(y)] for y in y_fit])
    fit_seconds = run_command(root, params, train_csv, output, labels, seed)
    onnx = output.read_bytes()
    spec = spec_of(params)
    model = OnnxClassifier(onnx, spec, len(labels))
    if model.problems:
        raise ConfigError(
            f"custom rung: {output.name} does not match ladder.custom.input: {model.problems}"
        )
    features = CustomPixels(spec, model)
    inputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in ("val", "test"):
        x, _ = _inputs(features, raw, by_split[split], limits)
        inputs[split] = (x, splits[split][1])
    descriptors = [
        describe(features.decode([open_image((raw / i["path"]).read_bytes(), limits)])[0])
        for i in by_split["train"]
    ]
    accuracy = {
        s: float(np.mean(model.predict(inputs[s][0]) == inputs[s][1])) for s in ("val", "test")
    }
    samples = [(raw / i["path"]).read_bytes() for i in by_split["val"][:6]]
    result = RungResult(
        rung="custom",
        estimator=model,
        val_accuracy=accuracy["val"],
        test_accuracy=accuracy["test"],
        fit_seconds=fit_seconds,
        predict_ms_per_image=_ms_per_image(model, features, samples),
        size_bytes=len(onnx),
        install_bytes=fingerprint.install_bytes("serve-deep"),
    )
    return CustomRun(result, features, onnx, inputs, descriptors)


def bundle_meta(run: CustomRun) -> dict[str, Any]:
    """model.json's ``custom`` entry."""
    spec = run.features.spec
    return {
        "file": ONNX_FILE,
        "spec": spec.to_dict(),
        "spec_sha256": spec.digest(),
        "onnx_sha256": run.result.estimator.sha256,
    }
