"""Batch prediction of image files through the model's own preprocessing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catdetector.core import layout
from catdetector.core.errors import BundleError, ImageError
from catdetector.model.bundle import LoadedModel, load_bundle


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file: a prediction or an error."""

    file: str
    label: str | None = None
    probability: float | None = None
    version: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON view (no error key when the file predicted)."""
        out: dict[str, object] = {
            "file": self.file,
            "label": self.label,
            "probability": self.probability,
            "version": self.version,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


def find_bundle(bundle: Path | None, cwd: Path) -> Path:
    """The bundle to use: the one given, or the project's ``models/catdetector``."""
    if bundle is not None:
        return bundle
    root = layout.find_root(cwd)
    if root is None:
        raise BundleError(
            "no --bundle given and not inside a catdetector project",
            hint="pass --bundle DIR or run inside a project after `dvc repro`",
        )
    return root / layout.MODEL_DIR


def model_version(model: LoadedModel, cwd: Path | None = None) -> str:
    """The bundle's registry version: recorded in it, else the registered version of the
    project (at the bundle or ``cwd``) with the same content hash, else its content id."""
    if model.meta.get("version"):
        return str(model.meta["version"])
    from catdetector.formats.dvc import dir_md5
    from catdetector.registry.artifact import version_with_model

    roots = {layout.find_root(start) for start in (model.path, cwd) if start is not None}
    for root in sorted(r for r in roots if r is not None):
        if (root / ".git").exists():
            version = version_with_model(root, dir_md5(model.path))
            if version is not None:
                return version
    return f"unregistered-{model.model_id}"


def predict_files(
    model: LoadedModel, files: list[Path], version: str | None = None
) -> list[FileResult]:
    """Predict each file; a file that cannot be read or decoded gets its own error."""
    version = version or model_version(model)
    results = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            results.append(FileResult(str(path), error=f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            pred = model.predict_bytes([data])[0]
        except ImageError as exc:
            results.append(FileResult(str(path), error=exc.message))
            continue
        results.append(FileResult(str(path), pred.label, pred.probability, version))
    return results


def load_for_predict(
    bundle: Path | None, cwd: Path, allow_env_mismatch: bool = False
) -> LoadedModel:
    """Find and verify the bundle."""
    return load_bundle(find_bundle(bundle, cwd), allow_env_mismatch=allow_env_mismatch)
