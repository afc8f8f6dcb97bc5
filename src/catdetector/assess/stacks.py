"""Stack recognisers as a table: one row per stack and concern, with what shows it.

A row names the concern it is evidence for (``pipeline``, ``trains`` — a step
of a pipeline that trains —, ``registry``, ``serving``, ``gate``), and how it is
recognised: calls, decorators or base classes read with ``ast`` (only in files
that import one of the row's packages), commands written in scripts and CI, or
a file recogniser. Test, documentation and vendored files are never evidence.
``LOOKED_FOR`` says, per concern, what was looked for, for "not recognised".
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.code import CodeUnit
from catdetector.assess.databricksjobs import job_evidence, training_jobs
from catdetector.assess.model import Evidence
from catdetector.assess.reexports import defining_files
from catdetector.assess.scan import FileInfo, RepoIndex
from catdetector.assess.text import YAML_LOADER


class PipelineFacts(Protocol):
    """What the recognisers read of the facts (``pipeline.PipelineFacts`` provides it)."""

    index: RepoIndex

    def named(self, *names: str) -> list[FileInfo]: ...

    @property
    def config_texts(self) -> list[FileInfo]: ...

    @property
    def script_texts(self) -> list[FileInfo]: ...

    @property
    def source_units(self) -> list[CodeUnit]: ...

    @property
    def training_units(self) -> list[CodeUnit]: ...

    @property
    def stack_hits(self) -> dict[str, list[Evidence]]: ...


FileRecogniser = Callable[[PipelineFacts], list[Evidence]]


@dataclass(frozen=True)
class Stack:
    """One row: a stack's evidence for one concern."""

    name: str
    concern: str
    imports: frozenset[str] = frozenset()
    calls: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    functions: frozenset[str] = frozenset()  # all defined (e.g. score.py's init and run)
    command: re.Pattern[str] | None = None
    files: FileRecogniser | None = None


def _mlproject(f: PipelineFacts) -> list[Evidence]:
    return [Evidence(i.path, None, "MLflow project") for i in f.named("MLproject")]


_SCRIPT_RE = re.compile(r"[\w./-]+\.py\b")


def broken_mlprojects(f: PipelineFacts) -> list[str]:
    """MLproject files whose every entry point runs a script that is not here."""
    return [i.path for i in f.named("MLproject") if not _runs(f, i)]


def _runs(f: PipelineFacts, info: FileInfo) -> bool:
    """Whether an MLproject can run: some entry point's command names no script, or a script
    that is here (``python train.py`` with no ``train.py`` anywhere is a stale copy)."""
    data = _yaml(info.text or "")
    points = data.get("entry_points") if isinstance(data, dict) else None
    if not isinstance(points, dict) or not points:
        return True
    base = posixpath.dirname(info.path)
    for point in points.values():
        command = point.get("command") if isinstance(point, dict) else None
        scripts = _SCRIPT_RE.findall(command) if isinstance(command, str) else []
        if not scripts or any(
            posixpath.normpath(posixpath.join(base, s)) in f.index.files for s in scripts
        ):
            return True
    return False


def _kedro(f: PipelineFacts) -> list[Evidence]:
    found: list[Evidence] = []
    for info in f.named("pyproject.toml"):
        if "[tool.kedro]" in (info.text or ""):
            found.append(Evidence(info.path, None, "Kedro project"))
    for info in f.named("pipeline_registry.py"):
        if "register_pipelines" in (info.text or ""):
            found.append(Evidence(info.path, None, "Kedro pipeline registry"))
    return found


def _kedro_versioned(f: PipelineFacts) -> list[Evidence]:
    """Kedro catalog entries saved with ``versioned: true`` (every run keeps its copy)."""
    found: list[Evidence] = []
    for info in f.config_texts:
        if "catalog" not in info.path or "versioned" not in (info.text or ""):
            continue
        data = _yaml(info.text or "")
        for name, entry in data.items() if isinstance(data, dict) else ():
            if isinstance(entry, dict) and entry.get("versioned") is True:
                found.append(Evidence(info.path, None, f"Kedro versioned dataset {name}"))
                break
    return found


def _mlflow_recipe(f: PipelineFacts) -> list[Evidence]:
    found: list[Evidence] = []
    for info in f.named("recipe.yaml", "pipeline.yaml"):
        text = info.text or ""
        if re.search(r"^template:\s*['\"]?(?:regression|classification)/", text, re.M):
            found.append(Evidence(info.path, None, "MLflow recipe (ingest, split, train, "
                                  "evaluate, register)"))
    return found


_DATABRICKS_TASK_RE = re.compile(
    r"^\s*(?:notebook_task|spark_python_task|python_wheel_task):", re.M
)


def _databricks_bundle(f: PipelineFacts) -> list[Evidence]:
    """A bundle's jobs: in ``databricks.yml`` or in the resource files it includes."""
    found = [
        Evidence(i.path, None, "Databricks asset bundle")
        for i in f.named("databricks.yml", "databricks.yaml")
        if re.search(r"^\s*jobs:", i.text or "", re.M)
    ]
    for info in f.config_texts:
        text = info.text or ""
        if "resources:" in text and "_task:" in text and _DATABRICKS_TASK_RE.search(text):
            found.append(Evidence(info.path, None, "Databricks job"))
    return found


def _databricks_terraform(f: PipelineFacts) -> list[Evidence]:
    return job_evidence(f.index)


def _databricks_terraform_trains(f: PipelineFacts) -> list[Evidence]:
    training = {u.path for u in f.training_units if not AUX_PATH_RE.search(u.path)}
    return training_jobs(f.index, training)


_CATDETECTOR_RE = re.compile(r"\bcatdetector\s+(?:stage\s+\w+|serve)\b")


def _catdetector(f: PipelineFacts) -> list[Evidence]:
    """A catdetector project: its stages are ``catdetector stage`` commands and it is served
    by ``catdetector serve``, which logs every prediction and checks drift (its README)."""
    for info in (*f.named("dvc.yaml"), *f.named("README.md")):
        m = _CATDETECTOR_RE.search(info.text or "")
        if m and "/" not in info.path:
            line = (info.text or "").count("\n", 0, m.start()) + 1
            return [Evidence(info.path, line, f"`{m.group(0)}`")]
    return []


def _yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return {}


AZ = frozenset({"azureml", "azure"})
SM = frozenset({"sagemaker"})
KFP = frozenset({"kfp", "google"})
TFX = frozenset({"tfx"})
MLFLOW = frozenset({"mlflow"})
BENTO = frozenset({"bentoml"})
_AZ_CLI = re.compile(r"\baz\s+ml\s+(?:model\s+(?:deploy|register|create)|online-deployment"
                     r"\s+create|job\s+create|run\s+submit-pipeline)\b")

STACKS: tuple[Stack, ...] = (
    # -- pipelines ----------------------------------------------------------------------
    Stack("MLflow project", "pipeline", files=_mlproject),
    Stack("MLflow recipe", "pipeline", files=_mlflow_recipe),
    Stack("Kedro", "pipeline", files=_kedro),
    Stack("Databricks bundle", "pipeline", files=_databricks_bundle),
    Stack("Databricks job (Terraform)", "pipeline", files=_databricks_terraform),
    Stack("Metaflow", "pipeline", frozenset({"metaflow"}), bases=("FlowSpec",)),
    Stack("Azure ML pipeline", "pipeline", AZ,
          calls=("Pipeline", "PipelineData", "PythonScriptStep", "jobs.create_or_update")),
    Stack("Azure ML CLI", "pipeline", command=re.compile(r"\baz\s+ml\s+(?:job\s+create|run\s+"
                                                         r"submit-pipeline)\b")),
    Stack("SageMaker pipeline", "pipeline", SM, calls=("Pipeline", "TrainingStep")),
    Stack("Kubeflow/Vertex pipeline", "pipeline", KFP,
          calls=("PipelineJob", "compiler.Compiler"), decorators=("dsl.pipeline", "pipeline")),
    Stack("TFX pipeline", "pipeline", TFX, calls=("Pipeline", "pipeline.Pipeline")),
    # -- training steps inside a pipeline ---------------------------------------------
    Stack("Azure ML step", "trains", AZ, calls=("PythonScriptStep", "Estimator", "command")),
    Stack("SageMaker training", "trains", SM, calls=("TrainingStep", "Estimator", "fit")),
    Stack("Vertex training", "trains", KFP,
          calls=("CustomTrainingJob", "CustomContainerTrainingJob", "CustomJob")),
    Stack("TFX Trainer", "trains", TFX, calls=("Trainer",)),
    Stack("Databricks job task (Terraform)", "trains", files=_databricks_terraform_trains),
    Stack("Kedro MLflow training", "trains", frozenset({"kedro_mlflow"}),
          calls=("pipeline_ml_factory",)),
    # -- registries ---------------------------------------------------------------------
    Stack("Azure ML registry", "registry", AZ, calls=("Model.register", "models.create_or_update",
                                                     "register_model")),
    Stack("Azure ML CLI registry", "registry", command=_AZ_CLI),
    Stack("SageMaker model registry", "registry", SM,
          calls=("RegisterModel", "ModelPackage", "create_model_package", "ModelStep",
                 "CreateModelStep")),  # a model per execution, from that training job's output
    Stack("Vertex model registry", "registry", KFP, calls=("Model.upload", "ModelUploadOp")),
    Stack("TFX Pusher", "registry", TFX, calls=("Pusher",)),
    Stack("MLflow registry", "registry", MLFLOW | frozenset({"kedro_mlflow"}),
          calls=("register_model", "pipeline_ml_factory", "create_model_version",
                 "set_registered_model_alias")),
    Stack("Metaflow artifacts", "registry", frozenset({"metaflow"}), bases=("FlowSpec",)),
    Stack("Kedro versioned datasets", "registry", files=_kedro_versioned),
    Stack("MLflow recipe register step", "registry", files=_mlflow_recipe),
    Stack("BentoML model store", "registry", BENTO,
          calls=("save_model", "models.create", "models.get")),
    # -- serving ------------------------------------------------------------------------
    Stack("MLflow pyfunc", "serving", MLFLOW, bases=("PythonModel", "pyfunc.PythonModel")),
    Stack("BentoML service", "serving", BENTO, decorators=("bentoml.service", "service", "api"),
          calls=("Service",)),
    Stack("Azure ML scoring script", "serving", functions=frozenset({"init", "run"})),
    Stack("SageMaker inference handler", "serving",
          functions=frozenset({"model_fn", "predict_fn"})),
    Stack("TorchServe handler", "serving", bases=("BaseHandler",)),
    Stack("Azure ML deployment", "serving", command=_AZ_CLI),
    Stack("catdetector serve", "serving", files=_catdetector),
    # -- monitoring ---------------------------------------------------------------------
    Stack("catdetector serve (prediction log, drift)", "monitoring", files=_catdetector),
    # -- gates --------------------------------------------------------------------------
    Stack("SageMaker condition step", "gate", SM, calls=("ConditionStep",)),
    Stack("TFX Evaluator thresholds", "gate", TFX | frozenset({"tensorflow_model_analysis"}),
          calls=("MetricThreshold", "GenericValueThreshold")),
    Stack("Azure ML run cancelled on a worse model", "gate", AZ, calls=("parent.cancel",)),
    Stack("MLflow evaluate thresholds", "gate", MLFLOW, calls=("validate_evaluation_results",)),
)  # fmt: skip

LOOKED_FOR: dict[str, str] = {
    concern: ", ".join(dict.fromkeys(s.name for s in STACKS if s.concern == concern))
    for concern in ("pipeline", "registry", "serving", "gate", "monitoring")
}


def _needles(stack: Stack) -> tuple[str, ...]:
    """Words one of which the text must hold before it is parsed for this row."""
    names = (*stack.calls, *stack.decorators, *stack.bases, *stack.functions)
    return tuple(dict.fromkeys(name.rsplit(".", 1)[-1] for name in names))


NEEDLES = {stack.name + stack.concern: _needles(stack) for stack in STACKS}


ALL_NEEDLES = frozenset(n for needles in NEEDLES.values() for n in needles)
CODE_ROWS = tuple(s for s in STACKS if s.calls or s.decorators or s.bases or s.functions)
ROW_IMPORTS = frozenset(i for s in CODE_ROWS for i in s.imports)


def _unit_hits(stack: Stack, unit: CodeUnit) -> list[Evidence]:
    if stack.imports and not (unit.top_imports & stack.imports):
        return []
    py = unit.py
    if not py.parsed:
        return []
    if stack.functions:
        if stack.functions <= py.functions:
            return [unit.evidence(1, stack.name)]
        return []
    for line, name in py.decorators:
        if any(name == d or name.endswith("." + d) for d in stack.decorators):
            return [unit.evidence(line, f"{stack.name}: @{name}")]
    for line, _cls, base in py.bases:
        if any(base == b or base.endswith("." + b) for b in stack.bases):
            return [unit.evidence(line, f"{stack.name}: class based on {base}")]
    for call in py.calls:
        if stack.calls and call.named(*stack.calls):
            return [unit.evidence(call.line, f"{stack.name}: {call.name}(...)")]
    return []


def recognise(f: PipelineFacts) -> dict[str, list[Evidence]]:
    """Concern -> evidence of every stack row, from code, scripts, CI and files."""
    found: dict[str, list[Evidence]] = {}
    units = [u for u in f.source_units if not AUX_PATH_RE.search(u.path)]
    scripts = [i for i in f.script_texts if not AUX_PATH_RE.search(i.path)]
    for stack in STACKS:
        hits: list[Evidence] = []
        if stack.files is not None:
            for e in stack.files(f):
                if not AUX_PATH_RE.search(e.file or ""):
                    hits.append(Evidence(e.file, e.line, f"{stack.name}: {e.detail}"))
        if stack.command is not None:
            for info in scripts:
                m = stack.command.search(info.text or "")
                if m:
                    line = (info.text or "").count("\n", 0, m.start()) + 1
                    hits.append(Evidence(info.path, line, f"{stack.name}: {m.group(0)}"))
        found.setdefault(stack.concern, []).extend(hits)
    for unit in units:
        if unit.kind == "ipynb" and not unit.top_imports & ROW_IMPORTS:
            continue  # notebooks are read only by rows of a package they import
        present = {needle for needle in ALL_NEEDLES if needle in unit.text}
        if not present:
            continue  # nothing any row looks for: the file is not parsed
        notebook = unit.kind == "ipynb"
        for stack in CODE_ROWS:
            if notebook and not stack.imports:
                continue  # scoring scripts and handlers are files, not notebook cells
            if present.intersection(NEEDLES[stack.name + stack.concern]):
                hits = _unit_hits(stack, unit)
                if hits and notebook and stack.concern == "pipeline" and not runs_pipeline(unit):
                    continue  # defined but never run or upserted here: not declared by it
                found.setdefault(stack.concern, []).extend(hits)
    return found


RUN_CALLS = ("upsert", "start", "submit", "publish", "run", "create_or_update", "create_run",
             "create_run_from_pipeline_func", "create_run_from_pipeline_package")  # fmt: skip


def runs_pipeline(unit: CodeUnit) -> bool:
    """Whether a notebook runs, submits or upserts what it defines (``pipeline.upsert()``,
    ``pipeline.start()``, ``job.submit()``, ``client.create_run_from_pipeline_func(...)``, or a
    call of a ``@flow``/``@pipeline``/``@dag`` function it defines):
    a pipeline defined and run there is declared by the notebook, one merely sketched is not."""
    py = unit.py
    flows = {
        name for name, decos in py.decorated.items()
        if any(d.rsplit(".", 1)[-1] in PIPELINE_DECORATORS for d in decos)
    }  # fmt: skip
    return any(
        (call.name.rsplit(".", 1)[-1] in RUN_CALLS and "." in call.name) or call.name in flows
        for call in py.calls
    )


PIPELINE_DECORATORS = frozenset({"flow", "pipeline", "dag", "job", "workflow", "graph"})


def names_training_file(f: PipelineFacts, path: str) -> bool:
    """Whether the pipeline file ``path`` trains: it is training code, a training unit lies
    in its folder, a step of it trains, or it names a training script."""
    training = [u for u in f.training_units if not AUX_PATH_RE.search(u.path)]
    if any(u.path == path for u in training):
        return True
    if any(i.path == path and not _runs(f, i) for i in f.named("MLproject")):
        return False  # every entry point runs a script that is not here: it cannot run
    folder = posixpath.dirname(path)
    if any(u.path.startswith(folder + "/") or not folder for u in training):
        return True
    trains = {e.file for e in f.stack_hits.get("trains", [])}
    if path in trains:
        return True
    text = f.index.text(path) or ""
    if any(posixpath.basename(u.path) in text for u in training):
        return True
    unit = next((u for u in f.source_units if u.path == path), None)
    modules = {m.replace(".", "/") + ".py" for m in (unit.imports if unit else ())}
    if any(u.path == m or u.path.endswith("/" + m) for u in training for m in modules):
        return True
    defined = defining_files(set(f.index.files), f.index.text, path)  # via re-exports
    return any(u.path in defined for u in training)
