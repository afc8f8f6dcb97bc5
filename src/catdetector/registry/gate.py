"""The promotion gate: beat the dummy baseline by a margin; do not regress the stage.

That metric gate reads catdetector's own bundle's test metrics. An adopted artifact
(a team's model file) has none that catdetector can read: its gate checks only that
the version's file is in the DVC remote, and says so in :attr:`GateResult.checked`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catdetector.core import layout, tools
from catdetector.core.errors import RegistryError
from catdetector.registry import artifact, stages
from catdetector.registry.state import RegistryState, read_state

if TYPE_CHECKING:  # config imports pydantic (0.3-0.4 s): only promote and gate need it
    from catdetector.core.config import GateParams


@dataclass
class GateResult:
    """The promotion gate's verdict."""

    passed: bool
    reasons: list[str]
    candidate_accuracy: float | None
    dummy_accuracy: float | None
    current_version: str | None
    current_accuracy: float | None
    checked: str = "test accuracy against the dummy baseline and the stage's version"


def committed_metrics(root: Path, rev: str) -> dict[str, Any] | None:
    """``metrics/test.json`` as committed at ``rev``, or None."""
    proc = tools.run(["git", "show", f"{rev}:{layout.TEST_METRICS}"], root, check=False)
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def evaluate_gate(
    candidate: dict[str, Any],
    name: str,
    current: tuple[str, dict[str, Any]] | None,
    stage: str,
    params: GateParams,
) -> GateResult:
    """Beat the dummy by a margin; do not fall more than a tolerance below the stage's model."""
    reasons: list[str] = []
    accuracy = candidate.get("accuracy")
    dummy = (candidate.get("ladder_test_accuracy") or {}).get("dummy")
    if accuracy is None or dummy is None:
        reasons.append(f"{name} has no {layout.TEST_METRICS} with accuracy and dummy accuracy")
    elif accuracy < dummy + params.min_margin_over_dummy:
        reasons.append(
            f"test accuracy {accuracy:.3f} does not beat the dummy baseline {dummy:.3f} "
            f"by the margin {params.min_margin_over_dummy:.3f}"
        )
    current_version, current_accuracy = None, None
    if current is not None:
        current_version, current_accuracy = current[0], current[1].get("accuracy")
        if (
            accuracy is not None
            and current_accuracy is not None
            and accuracy < current_accuracy - params.max_regression
        ):
            reasons.append(
                f"test accuracy {accuracy:.3f} is worse than {current_version} in {stage} "
                f"({current_accuracy:.3f}) by more than {params.max_regression:.3f}"
            )
    return GateResult(not reasons, reasons, accuracy, dummy, current_version, current_accuracy)


def current_in_stage(
    root: Path, state: RegistryState, stage: str, exclude: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The version in ``stage`` with its committed metrics (None when empty or ``exclude``)."""
    version = state.stage_version(stage)
    if version is None or version == exclude:
        return None
    return version, committed_metrics(root, state.versions[version]) or {}


def gate(
    root: Path, state: RegistryState, version: str, stage: str, params: GateParams
) -> GateResult:
    """The gate for a registered version (metrics as committed at its commit)."""
    candidate = committed_metrics(root, state.versions[version]) or {}
    current = current_in_stage(root, state, stage, exclude=version)
    return evaluate_gate(candidate, version, current, stage, params)


def adopted_gate(
    root: Path, state: RegistryState, version: str, stage: str, art: artifact.Artifact
) -> GateResult:
    """The gate for an adopted artifact: no metric gate; its file must be in the remote."""
    reasons: list[str] = []
    md5 = artifact.md5_at(root, art, state.versions[version])
    if md5 is None:
        reasons.append(f"{version}'s commit does not track {art.path} with DVC")
    elif not artifact.in_remote(root, md5, art):
        reasons.append(
            f"{art.path} of {version} is not in the DVC remote (nobody else could fetch it;"
            " run `dvc push` from its commit)"
        )
    checked = (
        f"no metric gate for artifact {art.name}: catdetector's gate reads its own bundle's"
        f" metrics, and {art.name} declares none; checked: {art.path} of {version} is in"
        " the DVC remote"
    )
    current = state.stage_version(stage)
    return GateResult(not reasons, reasons, None, None, current, None, checked)


def gate_workspace(root: Path, stage: str) -> GateResult:
    """The gate for the workspace's freshly trained model (what CI runs after `dvc repro`)."""
    found = layout.find_root(root)
    if found is None:
        raise RegistryError(f"{root} is not inside a catdetector project")
    root = found
    try:
        candidate = json.loads((root / layout.TEST_METRICS).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RegistryError(
            f"cannot read {layout.TEST_METRICS}: {exc}", hint="run `dvc repro` first"
        ) from exc
    stages.check_project(root, stage)
    state = read_state(root)
    from catdetector.core.config import load_params

    params = load_params(root / layout.PARAMS)
    return evaluate_gate(
        candidate, "the workspace model", current_in_stage(root, state, stage), stage, params.gate
    )
