"""Model versions kept only inside a CI runner, read from CI definitions and code (never run).

A CI job on a hosted runner runs in a workspace that is thrown away when the job ends (Jenkins
and Buildkite agents and self-hosted runners keep theirs between builds, and are not counted).
Versions that the training CI runs keeps there are no way back:

* **an MLflow registry with no tracking server.** With no tracking URI set anywhere (code, CI,
  environment files, compose files, docs), MLflow writes runs and registered versions to a
  store in the working directory (``./mlruns``, ``mlflow.db``); registered from a script CI
  runs, that registry lives and dies with the runner;
* **a per-run folder** (``models/registry/model_v003/``, a timestamped folder) that training
  CI runs writes to: each run's folder is beside the others only in that runner.

Unless the CI definition that runs the code (or a script on the way) carries files out of the
runner: an uploaded artifact or a cache, a commit pushed back, ``dvc push``, a copy to object
storage or another host, a pushed image, a published package, a Hub upload; or the code itself
uploads what it saves (or, for a per-run folder, logs it to a tracked run). Code that CI hands
to another machine (a job spec it submits, an image built and run elsewhere) does not run in
the runner and is not counted, nor is code run only by hand.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.model import Evidence
from catdetector.assess.runfolders import per_run_save

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

# anything that can take a file out of a CI runner
CARRY_OUT_RE = re.compile(
    r"upload-artifact|actions/cache|^\s*artifacts\s*:|^\s*-?\s*publish\s*:|Publish\w*Artifact|"
    r"store_artifacts|persist_to_workspace|archiveArtifacts|\bstash\b|"
    r"\bgit\s+(?:push|commit)\b|add-and-commit|git-auto-commit|create-pull-request|"
    r"\bdvc\s+(?:exp\s+)?push\b|\baws\s+s3\b|\bgsutil\b|\bgcloud\s+storage\b|\baz\s+storage\b|"
    r"\bazcopy\b|\brclone\b|\brsync\b|\bscp\b|\bmc\s+cp\b|\b(?:dbfs|databricks\s+fs)\s+cp\b|"
    r"\bdocker\s+push\b|build-push-action|\bpush\s*:\s*true\b|\btwine\b|\bpublish\b|"
    r"\bhuggingface-cli\s+upload\b|\bhf\s+upload\b|\bcurl\b[^\n]*\s(?:-T|--upload-file|-F)\s",
    re.M | re.I,
)
# code that uploads what it saves (to object storage, the Hub, W&B, DVC)
UPLOAD_CODE_RE = re.compile(
    r"\.(?:upload_file|upload_fileobj|put_object|upload_blob|upload_from_filename|"
    r"push_to_hub|upload_folder)\(|\bwandb\.(?:save|log_artifact)\(|\bdvc\.api\b"
)
_LOGS_TO_RUN_RE = re.compile(r"\.(?:log_artifacts?|log_model)\(")  # to a tracked run's store
# a tracking or registry server MLflow could be pointed at (any mention counts)
TRACKING_RE = re.compile(
    r"(?i)tracking_uri|registry_uri|tracking-uri|(?-i:MLFLOW_[A-Z_]+)|databricks|azureml|"
    r"\bmlflow\s+server\b|backend[-_]store[-_]uri|sagemaker"
)
_MLFLOW_REGISTRY_RE = re.compile(
    r"register_model|registered_model|models:/|runs:/|get_run\(|search_runs\(|"
    r"transition_model_version_stage|_alias\(|MLflow"
)
_NOT_THE_RUNNER = (".yml", ".yaml", ".json")  # job specs CI submits to run elsewhere
# agents that keep their workspace between builds (and self-hosted runners, by their label)
_PERSISTENT_AGENTS = ("Jenkins", "Buildkite")
_SELF_HOSTED_RE = re.compile(r"\bself-hosted\b")


def _runner_chain(f: Facts, path: str) -> set[str] | None:
    """The CI definitions and the scripts on the way that run ``path`` in the runner (every
    CI definition that names the file too), or None when CI does not run it there."""
    parents: dict[str, str] = {}
    for command in f.ci_commands:
        if command.via and command.file not in parents:
            parents[command.file] = command.via.rsplit(":", 1)[0]
    chain: set[str] = set()
    at = path
    while at not in f.ci_systems:
        parent = parents.get(at)
        if parent is None or parent in chain:
            return None
        name = posixpath.basename(parent).lower()
        if parent not in f.ci_systems and (
            parent.endswith(_NOT_THE_RUNNER) or "dockerfile" in name or "containerfile" in name
        ):
            return None  # handed to another machine (a job spec, an image)
        chain.add(parent)
        at = parent
    base = posixpath.basename(path)
    named = {p for p in f.ci_paths if base in (f.index.text(p) or "")}
    return chain | named


def _kept_only_in_runner(f: Facts, unit: CodeUnit, *, tracked: bool = False) -> list[str] | None:
    """The CI definitions that run ``unit`` in a runner that keeps nothing (None when CI does
    not run it there, or something carries files out, or the code uploads what it saves; a
    save into a folder also logged to a tracked run counts as carried out unless ``tracked``,
    the run's store being the one in question)."""
    chain = _runner_chain(f, unit.path)
    if not chain or UPLOAD_CODE_RE.search(unit.code):
        return None
    if not tracked and _LOGS_TO_RUN_RE.search(unit.code):
        return None
    if any(CARRY_OUT_RE.search(f.index.text(p) or "") for p in chain):
        return None
    definitions = sorted(p for p in chain if p in f.ci_systems)
    if any(
        f.ci_systems[p].startswith(_PERSISTENT_AGENTS)
        or _SELF_HOSTED_RE.search(f.index.text(p) or "")
        for p in definitions
    ):
        return None  # a workspace the next build finds again
    return definitions


def per_run_kept(f: Facts, unit: CodeUnit, line: int) -> bool:
    """Whether the save on ``line`` writes into a per-run folder (``runfolders``) that
    outlives the run: not one only a CI runner holds."""
    return per_run_save(f, unit, line) and _kept_only_in_runner(f, unit) is None


def lasting(f: Facts, registry: list[Evidence]) -> list[Evidence]:
    """The registry evidence that outlives a CI job (not a store only a CI runner holds)."""
    runner = runner_registry(f)
    return [e for e in registry if e not in runner]


def runner_registry(f: Facts) -> list[Evidence]:
    """MLflow registry evidence whose registry lives only in a CI runner (no tracking server
    configured anywhere, registered by code CI runs there, nothing carried out)."""
    return f.memo("runner_registry", lambda: _runner_registry(f))


def _runner_registry(f: Facts) -> list[Evidence]:
    units = {u.path: u for u in f.source_units}
    mlflow = [
        e for e in f.registry
        if e.file in units and "mlflow" in units[e.file].top_imports
        and _MLFLOW_REGISTRY_RE.search(e.detail)
    ]  # fmt: skip
    if not mlflow or any(TRACKING_RE.search(i.text or "") for i in f.index.texts()):
        return []
    return [e for e in mlflow if _kept_only_in_runner(f, units[str(e.file)], tracked=True)]


def lost_with_runner(
    f: Facts, unit: CodeUnit | None = None, line: int | None = None
) -> list[Evidence]:
    """For ``no-rollback``: with ``unit`` and ``line``, the save there when it writes into a
    per-run folder only a CI runner holds; without, the first MLflow registry only a CI
    runner holds."""
    if unit is not None and line is not None:
        if not per_run_save(f, unit, line) or (where := _kept_only_in_runner(f, unit)) is None:
            return []
        detail = (
            f"saves each run's model into its own folder, but only inside the CI runner "
            f"({', '.join(where)}): nothing carries it out, so every version is discarded "
            "when the job ends"
        )
        return [unit.evidence(line, detail)]
    units = {u.path: u for u in f.source_units}
    for e in runner_registry(f)[:1]:
        where = _kept_only_in_runner(f, units[str(e.file)], tracked=True) or []
        detail = (
            f"models registered in MLflow only inside the CI runner ({', '.join(where)}): no "
            "tracking server is configured, so the registry is the runner's local store, "
            "discarded when the job ends"
        )
        return [Evidence(e.file, e.line, detail)]
    return []
