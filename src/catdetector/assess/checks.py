"""The table of checks: one row per risk, in one place.

Each check function (in the module named after what it recognises) takes the
shared ``Facts`` and returns evidence; no evidence means the check passed. A
finding blocks ``blocks_level``: the repository cannot be at that level or
above while the finding stands. ``docs/assess-checks.md`` is generated from
this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catdetector.assess import (
    busfactor,
    ci,
    data,
    dvcshare,
    environment,
    fixes,
    registry,
    secrets,
    serving,
    skew,
    smells,
)
from catdetector.assess.model import Evidence, Severity

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

CheckFn = Callable[["Facts"], list[Evidence]]
SeverityFn = Callable[["Facts", list[Evidence]], Severity]
FixFn = Callable[["Facts"], "str | None"]

COURSE_RISKS = ("bus-factor", "no-rollback", "training-serving-skew")


@dataclass(frozen=True)
class Check:
    """One row of the table: what is checked, how bad it is, what it blocks, how to fix it."""

    id: str
    risk: str
    severity: Severity
    blocks_level: int
    fix: str
    source: str
    func: CheckFn
    lowers_level: bool = False
    severity_for: SeverityFn | None = None
    fix_for: FixFn | None = None


CHECKS: list[Check] = [
    Check(
        "bus-factor",
        lowers_level=True,
        fix_for=fixes.bus_factor_fix,
        severity_for=busfactor.bus_factor_severity,
        func=busfactor.bus_factor,
        risk="Bus factor: no reproducible pipeline; training only in notebooks or on one laptop",
        severity="critical",
        blocks_level=1,
        fix="Declare training as pipeline stages (dvc.yaml: prepare -> train -> evaluate, "
        "with deps, params and outs) so anyone can re-run it with `dvc repro`; read data from "
        "paths inside the repository.",
        source="Course module 1 (risk 1); Google MLOps level 1 (automated pipeline); "
        "ML Test Score Infra 1 (training is reproducible)",
    ),
    Check(
        "no-rollback",
        lowers_level=True,
        fix_for=fixes.no_rollback_fix,
        func=registry.no_rollback,
        severity_for=registry.no_rollback_severity,
        risk="No rollback: the model is not versioned or registered, and is served from a fixed "
        "path",
        severity="critical",
        blocks_level=1,
        fix="Version the model: make it a pipeline output (dvc.yaml outs + dvc.lock) or `dvc add` "
        "it, and register versions (GTO: `catdetector register`, tag name@vX.Y.Z) so that serving "
        "can go back to the previous one.",
        source="Course module 1 (risk 2); ML Test Score Infra 7 (serving models can be rolled "
        "back); Google MLOps (model registry, continuous delivery of models)",
    ),
    Check(
        "training-serving-skew",
        func=skew.training_serving_skew,
        fix_for=skew.skew_fix,
        severity_for=skew.skew_severity,
        risk="Training-serving skew: unpinned or differing environments, preprocessing "
        "re-implemented in serving",
        severity="critical",
        blocks_level=1,
        fix="Use one pinned environment (a lock file) for training and serving, and one "
        "preprocessing function that both import.",
        source="Course module 1 (risk 3); ML Test Score Monitor 3 (training and serving features "
        "compute the same values); Google MLOps level 1 (experimental-operational symmetry)",
    ),
    Check(
        "no-data-versioning",
        lowers_level=True,
        fix_for=fixes.no_data_versioning_fix,
        func=data.no_data_versioning,
        risk="No data versioning: the data a model was trained on cannot be recovered",
        severity="high",
        blocks_level=1,
        fix="Track the data with DVC (`dvc add data/raw`, commit data/raw.dvc, `dvc push` to a "
        "remote) or make it a pipeline output.",
        source="Course module 1 (no versioning of data; fix: dvc add); mllint "
        "version-control/data/dvc and dvc-has-files",
    ),
    Check(
        "large-binaries-in-git",
        func=data.large_binaries_in_git,
        risk="Large binaries in git: models or data committed to the repository",
        severity="high",
        blocks_level=1,
        fix="`git rm --cached` the file, then `dvc add` it (or track it with git-lfs); keep "
        "only the small .dvc pointer in git.",
        source="mllint version-control/code/git-no-big-files; course module 1 (no more emailing "
        "large files)",
    ),
    Check(
        "no-lock-file",
        func=environment.no_lock_file,
        severity_for=environment.lock_severity,
        risk="Unpinned dependencies: training and serving installs are not reproducible",
        severity="high",
        blocks_level=1,
        fix="Pin the runtime environment (`uv lock`, `poetry lock`, `pip-compile` or `pip freeze "
        "> requirements.lock`) and install training and serving from that lock.",
        source="mllint dependency-management/use; ML Test Score Infra 1 (training is "
        "reproducible) and Monitor 3 (training-serving skew)",
    ),
    Check(
        "secrets-committed",
        func=secrets.secrets_committed,
        severity_for=secrets.secrets_severity,
        risk="Secrets committed: keys in .dvc/config, .env or code",
        severity="critical",
        blocks_level=1,
        fix="Revoke the key now; move credentials to .dvc/config.local "
        "(`dvc remote modify --local`) or the environment; add .env to .gitignore; purge the "
        "history.",
        source="ML Test Score Data 5 (appropriate privacy controls); mllint code-quality/bandit "
        "(hard-coded passwords); DVC docs (credentials in config.local)",
    ),
    Check(
        "no-tests",
        lowers_level=True,
        func=ci.no_tests,
        risk="No tests: nothing checks the code, the data or the model",
        severity="medium",
        blocks_level=2,
        fix="Add tests (tests/test_*.py): preprocessing, a tiny training run, a prediction "
        "round-trip; run them in CI.",
        source="mllint testing/has-tests; ML Test Score Data 7 and Infra 2 (feature and model code "
        "is unit tested)",
    ),
    Check(
        "no-seeds",
        func=smells.no_seeds,
        risk="No seeds: training is random and cannot be repeated",
        severity="medium",
        blocks_level=2,
        fix="Set every seed from params.yaml (random_state=, np.random.default_rng(seed), "
        "torch.manual_seed) so a re-run gives the same model.",
        source="ML Test Score Infra 1 (training is reproducible); Made-With-ML (set_seeds)",
    ),
    Check(
        "no-ci",
        lowers_level=True,
        func=ci.no_ci,
        risk="No CI: tests and pipeline run only when someone remembers",
        severity="high",
        blocks_level=2,
        fix="Add a CI workflow (e.g. .github/workflows/ci.yml) that installs the lock, runs the "
        "tests and `dvc repro` on every push.",
        source="mllint ci/use; Google MLOps level 2 (CI: build and test on every change)",
    ),
    Check(
        "no-ci-training",
        lowers_level=True,
        fix_for=fixes.no_ci_training_fix,
        func=ci.no_ci_training,
        risk="CI never runs the training pipeline",
        severity="medium",
        blocks_level=2,
        fix="Add a CI job that runs the pipeline (`dvc repro`, on a sample if needed) so a change "
        "that breaks training fails the build.",
        source="Google MLOps level 2 (CI tests the pipeline components); ML Test Score Infra 3 "
        "(the ML pipeline is integration tested)",
    ),
    Check(
        "no-evaluation-gate",
        lowers_level=True,
        fix_for=fixes.no_evaluation_gate_fix,
        func=ci.no_evaluation_gate,
        risk="No evaluation gate: a worse model can be promoted",
        severity="high",
        blocks_level=2,
        fix="Add an evaluate stage that writes metrics, and a gate (thresholds in params.yaml, "
        "`catdetector promote` or a CI check on `dvc metrics diff`) that refuses a worse model.",
        source="ML Test Score Infra 4 (model quality is validated before serving); Google MLOps "
        "level 1 (model validation; required here from level 2)",
    ),
    Check(
        "no-input-validation",
        func=serving.no_input_validation,
        risk="No input validation: serving passes requests straight to the model",
        severity="medium",
        blocks_level=2,
        fix="Validate every request before predicting (pydantic models, size/format limits, "
        "4xx on bad input).",
        source="ML Test Score Data 1 (expectations in a schema) and Monitor 2 (data invariants "
        "hold for serving inputs); Google MLOps (data validation)",
    ),
    Check(
        "no-monitoring",
        func=serving.no_monitoring,
        risk="No prediction logging or monitoring: drift and failures go unseen",
        severity="medium",
        blocks_level=2,
        fix="Log every prediction (input summary, output, model version) and export metrics "
        "(prometheus_client, `catdetector serve`); compare live inputs with training statistics.",
        source="Google MLOps level 2 (performance monitoring, triggers); ML Test Score Monitor 2, "
        "4 and 7",
    ),
    Check(
        "no-deployment-manifest",
        func=serving.no_deployment_manifest,
        risk="No deployment manifest: serving is set up by hand",
        severity="medium",
        blocks_level=2,
        fix="Describe the deployment as code (Dockerfile plus compose or Kubernetes manifest) that "
        "installs the lock and serves the registered model.",
        source="Google MLOps level 2 (deployment service, continuous delivery)",
    ),
    Check(
        "glue-code",
        func=smells.glue_code,
        risk="Glue code and pipeline jungles: scripts hand files to each other with no pipeline",
        severity="medium",
        blocks_level=2,
        fix="Make each script a pipeline stage whose deps and outs name the files it reads and "
        "writes (dvc.yaml), instead of a chain of scripts run by hand.",
        source="Hidden Technical Debt in ML Systems (glue code, pipeline jungles); Google MLOps "
        "level 1 (orchestrated experiment)",
    ),
    Check(
        "hidden-feedback-loop",
        func=serving.hidden_feedback_loop,
        risk="Hidden feedback loop: serving output is written where training reads",
        severity="high",
        blocks_level=2,
        fix="Write predictions to a log outside the training data; feed them back only through a "
        "labelled, versioned dataset (a reviewed `dvc add` step).",
        source="Hidden Technical Debt in ML Systems (hidden feedback loops); course module 1 (Q3)",
    ),
    Check(
        "dead-experimental-code",
        func=smells.dead_experimental_code,
        risk="Dead experimental code: leftover experiments and commented-out code paths",
        severity="low",
        blocks_level=2,
        fix="Delete dead experiments and commented-out code (git keeps the history); keep live "
        "experiments as DVC experiments or params.",
        source="Hidden Technical Debt in ML Systems (dead experimental codepaths)",
    ),
    Check(
        "no-baseline",
        func=smells.no_baseline,
        risk="Complexity without a baseline: deep learning with no dummy or linear model to beat",
        severity="medium",
        blocks_level=2,
        fix="Train a dummy baseline (DummyClassifier) and a linear model first, record their "
        "metrics, and keep deep learning only if it beats them.",
        source="Course module 1 (Q2: dummy baseline, then linear, deep learning last); Hidden "
        "Technical Debt (complexity); ML Test Score Model 5 (a simpler model is not better)",
    ),
    Check(
        "dvc-no-remote",
        func=dvcshare.dvc_no_remote,
        risk="DVC data with no remote: versioned by hash, but only one machine's cache holds it",
        severity="medium",
        blocks_level=1,
        fix="Add a shared DVC remote and push to it (`dvc remote add -d storage s3://bucket/path`, "
        "commit .dvc/config, `dvc push` in CI after `dvc repro`).",
        source="DVC docs (remote storage: share data and models; `dvc push`); course module 1 "
        "(no more emailing large files)",
    ),
]


def get_check(check_id: str) -> Check:
    """The check with this id (KeyError if none)."""
    for item in CHECKS:
        if item.id == check_id:
            return item
    raise KeyError(check_id)
