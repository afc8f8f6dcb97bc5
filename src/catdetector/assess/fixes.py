"""Fixes named in the repository's own stack (an MLflow alias, a Ray job...), when it has one.

``stacks`` says which tools a repository uses; each ``*_fix`` returns the remedy in
that stack, or None for the table's default (DVC and GTO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

ORCHESTRATORS = {
    "zenml": "ZenML",
    "prefect": "Prefect",
    "dagster": "Dagster",
    "airflow": "Airflow",
    "kfp": "Kubeflow",
    "metaflow": "Metaflow",
    "flytekit": "Flyte",
}
_CI_RUN = {
    "zenml": "run the ZenML pipeline from CI on a sample (`python run.py`)",
    "prefect": "run the Prefect flow from CI on a sample (`python flow.py`)",
    "dagster": "execute the Dagster job from CI on a sample (`dagster job execute -j train`)",
    "airflow": "test the training DAG in CI (`airflow dags test <dag_id>`)",
    "kfp": "compile and submit the Kubeflow pipeline from CI on a sample",
    "metaflow": "run the Metaflow flow from CI on a sample (`python flow.py run`)",
    "flytekit": "run the Flyte workflow from CI on a sample (`pyflyte run`)",
}


def stacks(f: Facts) -> set[str]:
    """Tools in use: imported modules, their files and commands."""
    found = set()
    units = [u for u in f.source_units if not AUX_PATH_RE.search(u.path)]
    imports = set().union(*(u.top_imports for u in units)) if units else set()
    for module in ("mlflow", "ray", "wandb", "bentoml", "lakefs", *ORCHESTRATORS):
        if module in imports:
            found.add(module)
    if any(not AUX_PATH_RE.search(i.path) for i in f.named("MLproject")):
        found.add("mlflow")
    if any(not AUX_PATH_RE.search(p) for p in f.job_specs) or "anyscale" in f.ci_text:
        found.add("ray")
    if f.stages or f.dvc_initialized:
        found.add("dvc")
    return found


def _orchestrator(used: set[str]) -> str | None:
    return next((m for m in ORCHESTRATORS if m in used), None)


def bus_factor_fix(f: Facts) -> str | None:
    """Declare training in the stack's own pipeline."""
    used = stacks(f)
    if "dvc" in used:
        return None
    if (tool := _orchestrator(used)) is not None:
        return (
            f"Make training a step of the {ORCHESTRATORS[tool]} pipeline so anyone can re-run "
            "it; read data from versioned locations, not one machine's paths."
        )
    if "ray" in used:
        return (
            "Declare training as a Ray/Anyscale job spec (`entrypoint: python train.py`) that "
            "anyone, and CI, submits (`anyscale job submit job.yaml --wait` or `ray job submit "
            "-- python train.py`); read data from versioned locations."
        )
    if "mlflow" in used:
        return (
            "Declare the training entry point in an MLproject so anyone re-runs it with "
            "`mlflow run .`; read data from versioned locations, not one machine's paths."
        )
    return None


def no_rollback_fix(f: Facts) -> str | None:
    """A way back in the stack's registry."""
    used = stacks(f)
    if "mlflow" in used:
        return (
            "Register each trained model in the MLflow Model Registry (`registered_model_name=` "
            "in `log_model`, a shared tracking server) and serve `models:/<name>@champion`; "
            "going back is moving the alias (`set_registered_model_alias`)."
        )
    if "wandb" in used:
        return (
            "Log the model as a W&B artifact (type 'model') and serve it by alias "
            "(`use_artifact('model:prod')`); going back is moving the alias."
        )
    if "bentoml" in used:
        return (
            "Save every model to the BentoML store (`bentoml.<framework>.save_model`) and "
            "serve a tag (`name:version`); going back is serving the previous tag."
        )
    if "zenml" in used:
        return (
            "Attach the pipeline to a ZenML Model and promote versions with `set_stage`; "
            "going back is promoting the previous version."
        )
    return None


def no_data_versioning_fix(f: Facts) -> str | None:
    """Data versioning in the stack's own tool."""
    used = stacks(f)
    if "lakefs" in used:
        return "Read training data from a lakeFS commit or tag (`lakefs://repo/<commit>/...`)."
    if "wandb" in used:
        return (
            "Log the training data as a W&B artifact (type 'dataset') and read it in training "
            "with `use_artifact('data:vN')`."
        )
    if "zenml" in used:
        return "Load the data in a ZenML step, so that every run's data is a versioned artifact."
    return None


def no_ci_training_fix(f: Facts) -> str | None:
    """Run the stack's pipeline from CI (DVC's, the table's default, when it has one)."""
    used = stacks(f)
    if "dvc" in used and f.stages:
        return None
    if (tool := _orchestrator(used)) is not None:
        return f"In CI, {_CI_RUN[tool]}, so a change that breaks training fails the build."
    if "ray" in used:
        return (
            "Submit the training job from CI on a sample (`anyscale job submit job.yaml --wait` "
            "or `ray job submit -- python train.py --smoke-test`), so a change that breaks "
            "training fails the build."
        )
    if "mlflow" in used and f.named("MLproject"):
        return "Run `mlflow run .` on a sample in CI, so a change that breaks training fails it."
    return None


def no_evaluation_gate_fix(f: Facts) -> str | None:
    """A gate in the stack's registry."""
    if "mlflow" in stacks(f):
        return (
            "Evaluate against thresholds or the current champion (`mlflow.evaluate(..., "
            "validation_thresholds=...)`) and move the registry alias only when it passes."
        )
    return None
