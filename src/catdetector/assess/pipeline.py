"""Pipelines: DVC stages, MLflow projects and orchestrators, and whether they train."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from catdetector.assess.ci import CI_TRAIN_RE, CIFacts
from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.citests import imported_pipeline_run
from catdetector.assess.copies import in_copy
from catdetector.assess.dvctemplate import substitute
from catdetector.assess.follow import Command, follow
from catdetector.assess.images import images
from catdetector.assess.model import Evidence
from catdetector.assess.reach import Reach, Step
from catdetector.assess.scan import FileInfo
from catdetector.assess.stacks import names_training_file, recognise, runs_pipeline
from catdetector.assess.text import YAML_LOADER, blank_strings, normpath
from catdetector.assess.uncachedouts import uncached_outs

JOB_SPEC_RE = re.compile(r"^entrypoint:\s*\S", re.M)
WORKFLOW_KIND_RE = re.compile(
    r"^kind:\s*(?:Workflow|CronWorkflow|WorkflowTemplate|Job|CronJob|RayJob|PipelineRun)\b", re.M
)

AML_JOB_RE = re.compile(
    r"^\$schema:\s*\S+/(?:pipelineJob|commandJob|sweepJob)\.schema\.json", re.M
)  # an Azure ML (CLI v2) job, submitted with `az ml job create --file`

_AT = r"@(?:[A-Za-z_]\w*\.)?"  # a decorator by name or through its module: @asset, @dg.asset
PIPELINE_CODE_RE = {
    "airflow": re.compile(rf"\bDAG\(|{_AT}(?:dag|task)\b"),
    "kfp": re.compile(r"dsl\.pipeline|@pipeline|\bdsl\.component"),
    "zenml": re.compile(rf"{_AT}pipeline\b"),
    "metaflow": re.compile(r"FlowSpec"),
    "prefect": re.compile(rf"{_AT}flow\b"),
    "dagster": re.compile(rf"{_AT}(?:job|asset|multi_asset|op)\b|\bdefine_asset_job\("),
    "flytekit": re.compile(rf"{_AT}workflow\b"),
    "luigi": re.compile(r"luigi\.Task"),
    "sagemaker": re.compile(r"\bPipeline\("),
}
TRAIN_WORD_RE = re.compile(r"train|fit\b", re.I)


@dataclass
class Stage:
    """One DVC stage."""

    name: str
    file: str
    cmd: str
    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    uncached: list[str] = field(default_factory=list)  # outs marked ``cache: false``

    @property
    def kept(self) -> list[str]:
        """The outputs DVC keeps a version of (``cache: false`` ones are left to git)."""
        return [o for o in self.outs if o not in self.uncached]


def _paths(raw: Any, base: str) -> list[str]:
    """Paths from a DVC deps/outs/metrics list (strings or one-key dicts)."""
    out: list[str] = []
    items: Iterable[Any] = raw if isinstance(raw, list) else []
    for item in items:
        if isinstance(item, dict):
            names = [str(k) for k in item]
        elif isinstance(item, str):
            names = [item]
        else:
            continue
        for name in names:
            path = normpath(name, base)
            if path is not None:
                out.append(path)
    return out


class PipelineFacts(CIFacts):
    """DVC files, stages and other pipeline definitions."""

    # -- DVC ------------------------------------------------------------------------------
    @cached_property
    def dvc_initialized(self) -> bool:
        """Whether ``.dvc/`` exists."""
        return ".dvc" in self.index.dirs

    @cached_property
    def dvc_files(self) -> list[FileInfo]:
        """``*.dvc`` files (a copied project's are its own, not the repository's)."""
        return [
            f for f in self.index.files.values()
            if f.suffix == ".dvc" and f.name != ".dvc" and not in_copy(self.index, f.path)
        ]  # fmt: skip

    @cached_property
    def dvcfile_outs(self) -> dict[str, str]:
        """Output path -> the ``.dvc`` file tracking it."""
        outs: dict[str, str] = {}
        for info in self.dvc_files:
            base = posixpath.dirname(info.path)
            section = ""
            found = False
            for line in info.lines:
                top = re.match(r"^(\w+):", line)
                if top:
                    section = top.group(1)
                    continue
                m = re.match(r"^\s*-?\s*path:\s*(.+?)\s*$", line)
                if m and section == "outs":
                    target = normpath(m.group(1).strip("'\""), base)
                    if target is not None:
                        outs[target] = info.path
                        found = True
            if not found:
                target = normpath(info.name[: -len(".dvc")], base)
                if target:
                    outs[target] = info.path
        return outs

    @cached_property
    def dvc_yaml(self) -> list[tuple[FileInfo, dict[str, Any]]]:
        """Parsed ``dvc.yaml`` files (a copied project's pipeline is not the repository's)."""
        parsed: list[tuple[FileInfo, dict[str, Any]]] = []
        for info in self.named("dvc.yaml", "dvc.yml"):
            if info.text is None or in_copy(self.index, info.path):
                continue
            try:
                data = yaml.load(info.text, Loader=YAML_LOADER)
            except (yaml.YAMLError, RecursionError, ValueError) as exc:
                self.notes.append(f"{info.path} is not valid YAML: {str(exc).splitlines()[0]}")
                continue
            if isinstance(data, dict):
                parsed.append((info, data))
        return parsed

    @cached_property
    def stages(self) -> list[Stage]:
        """Every stage of every ``dvc.yaml``."""
        stages: list[Stage] = []
        for info, data in self.dvc_yaml:
            base = posixpath.dirname(info.path)
            raw = data.get("stages")
            if not isinstance(raw, dict):
                continue
            if "${" in (info.text or ""):
                raw = substitute(raw, self._template_values(info.path, data))
            for name, body in raw.items():
                if not isinstance(body, dict):
                    continue
                if isinstance(body.get("do"), dict):
                    body = body["do"]
                cmd = body.get("cmd", "")
                cmd_text = " && ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)
                if not cmd_text.strip():
                    continue
                wdir = body.get("wdir", ".")
                stage_base = normpath(str(wdir), base) if isinstance(wdir, str) else base
                stage_base = stage_base if stage_base is not None else base
                stages.append(
                    Stage(
                        name=str(name),
                        file=info.path,
                        cmd=cmd_text,
                        deps=_paths(body.get("deps"), stage_base),
                        outs=_paths(body.get("outs"), stage_base),
                        uncached=uncached_outs(body.get("outs"), stage_base),
                        metrics=_paths(body.get("metrics"), stage_base)
                        + _paths(body.get("plots"), stage_base),
                    )
                )
        return stages

    def _template_values(self, dvc_path: str, data: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        params = posixpath.join(posixpath.dirname(dvc_path), "params.yaml")
        try:
            loaded = yaml.load(self.index.text(params) or "", Loader=YAML_LOADER)
        except (yaml.YAMLError, RecursionError, ValueError):
            loaded = None
        if isinstance(loaded, dict):
            values.update(loaded)
        for item in data.get("vars") or []:
            if isinstance(item, dict):
                values.update(item)
        return values

    @cached_property
    def dvc_tracked(self) -> set[str]:
        """Paths DVC versions: ``.dvc`` outputs, stage outs, metrics and plots."""
        tracked = set(self.dvcfile_outs)
        for stage in self.stages:
            tracked.update(stage.kept)
            tracked.update(stage.metrics)
        for info, data in self.dvc_yaml:
            base = posixpath.dirname(info.path)
            tracked.update(_paths(data.get("metrics"), base))
            tracked.update(_paths(data.get("plots"), base))
        tracked.discard("")
        return tracked

    @cached_property
    def pipeline_paths(self) -> set[str]:
        """Every path a pipeline declares (deps and outs)."""
        paths = set(self.dvc_tracked)
        for stage in self.stages:
            paths.update(stage.deps)
            paths.update(stage.outs)
        return paths

    @cached_property
    def dvc_artifacts(self) -> list[tuple[str, str]]:
        """(dvc.yaml, name) of each ``artifacts:`` entry."""
        found: list[tuple[str, str]] = []
        for info, data in self.dvc_yaml:
            artifacts = data.get("artifacts")
            if isinstance(artifacts, dict):
                found.extend((info.path, str(name)) for name in artifacts)
        return found

    def dvc_covered(self, path: str) -> bool:
        """Whether DVC versions ``path`` (itself or a parent directory)."""
        tracked = self.dvc_tracked
        parts = path.split("/")
        return any("/".join(parts[:i]) in tracked for i in range(1, len(parts) + 1))

    # -- pipelines --------------------------------------------------------------------------
    @cached_property
    def pipelines(self) -> list[Evidence]:
        """Pipeline definitions found (dvc.yaml with stages, MLproject, orchestrators...)."""
        found: list[Evidence] = []
        seen: set[str] = set()
        for stage in self.stages:
            if stage.file not in seen:
                seen.add(stage.file)
                found.append(Evidence(stage.file, None, "DVC pipeline"))
        for info in self.named("Snakefile"):
            found.append(Evidence(info.path, None, "Snakemake workflow"))
        found.extend(self.stack_hits.get("pipeline", []))
        for unit in self.source_units:
            for module, regex in PIPELINE_CODE_RE.items():
                if module in unit.top_imports and regex.search(blank_strings(unit.text)):
                    if unit.kind == "ipynb" and not runs_pipeline(unit):
                        break  # a notebook declares a pipeline only when it runs it too
                    found.append(Evidence(unit.path, None, f"{module} pipeline"))
                    break
        found.extend(Evidence(path, None, "job spec") for path in self.job_specs)
        if (command := self.ci_training) is not None:
            found.append(Evidence(command.file, command.line, "training that CI runs"))
        return [e for e in found if not (e.file and in_copy(self.index, e.file))]

    @cached_property
    def job_specs(self) -> list[str]:
        """YAML job specs: Ray/Anyscale jobs (``entrypoint:``), Argo, Kubernetes jobs."""
        ci = set(self.ci_paths)
        return [
            info.path
            for info in self.index.texts()
            if info.suffix in (".yaml", ".yml")
            and info.path not in ci
            and any(r.search(info.text or "") for r in (JOB_SPEC_RE, WORKFLOW_KIND_RE, AML_JOB_RE))
        ]

    def _runs_training(self, path: str) -> bool:
        training = {u.path for u in self.training_units}
        for command in follow(self.index, [path]):
            if command.file in training or CI_TRAIN_RE.search(command.text):
                return True
        return False

    @cached_property
    def training_stages(self) -> list[Stage]:
        """DVC stages that train (by name, command, or the training code they run)."""
        training_paths = {u.path for u in self.training_units}
        out: list[Stage] = []
        for stage in self.stages:
            by_words = TRAIN_WORD_RE.search(stage.name) or TRAIN_WORD_RE.search(stage.cmd)
            by_code = any(p in stage.cmd for p in training_paths) or any(
                d in training_paths for d in stage.deps
            )
            if by_words or by_code:
                out.append(stage)
        return out

    @cached_property
    def pipeline_trains(self) -> bool:
        """Whether some pipeline definition includes training: a DVC stage that trains, or
        a pipeline whose structure reaches training code (not a word in its text)."""
        if self.training_stages or self.ci_container_training is not None:
            return True
        for ev in self.pipelines:
            if ev.detail == "DVC pipeline" or ev.file is None:
                continue
            if ev.detail == "training that CI runs":
                return True
            if ev.detail == "job spec":
                if self._runs_training(ev.file) or self.steps_train(ev.file):
                    return True
                continue
            read = ev.file.endswith((".yml", ".yaml")) and bool(self.steps_of(ev.file))
            if (not read and names_training_file(self, ev.file)) or self.steps_train(ev.file):
                return True  # YAML steps that were read alone say it trains, not its folder
        return False

    @cached_property
    def reach(self) -> Reach:
        """What pipeline definitions run, followed by structure (``reach``)."""
        return Reach(self.modules, images(self.index), self.source_units)

    def steps_of(self, path: str) -> list[Step]:
        """The files the pipeline definition ``path`` runs: container tasks, script steps,
        components, steps a run script wires into it."""
        return self.memo(f"steps:{path}", lambda: self._steps_of(path))

    def _steps_of(self, path: str) -> list[Step]:
        if path.endswith(".py"):
            return [*self.reach.python(path), *self.reach.wired(path)]
        if path.endswith((".yml", ".yaml")):
            return self.reach.yaml(path, "job spec")
        return []

    def steps_train(self, path: str) -> bool:
        """Whether a step ``path`` runs trains, or imports a module of this repository that
        trains."""
        return any(self._step_trains(step) for step in self.steps_of(path))

    def _step_trains(self, step: Step) -> bool:
        training = self.memo(
            "production_training",
            lambda: {u.path for u in self.training_units if not AUX_PATH_RE.search(u.path)},
        )
        if step.file in training:
            return True
        unit = self.reach.units.get(step.file)
        here = posixpath.dirname(step.file)
        for module in unit.py.imports if unit is not None else ():
            if any(p in training for p in self.modules.module(module, here)):
                return True
        return False

    @cached_property
    def ci_container_training(self) -> Command | None:
        """Training a YAML CI definition runs in a container or from a code folder (Argo and
        Tekton steps: ``image`` and ``command``/``args``), followed by structure."""
        for path in self.ci_paths:
            if not path.endswith((".yml", ".yaml")):
                continue
            for step in self.reach.yaml(path, "run by CI"):
                if self._step_trains(step):
                    return Command(step.file, 1, "training code run by CI", path)
        return None

    @cached_property
    def ci_runs_training(self) -> Command | None:
        """How CI runs training: a training command or script (``ci_training``), or a Python
        file CI runs (an end-to-end test) that imports a pipeline that trains and runs it."""
        if self.ci_training is not None:
            return self.ci_training
        if self.ci_container_training is not None:
            return self.ci_container_training
        files = {e.file for e in self.pipelines if e.file and e.file.endswith(".py")}
        modules = {p[:-3].replace("/", ".") for p in files if names_training_file(self, p)}
        units = {u.path: u for u in self.code_units if u.kind == "py"}
        for command in self.ci_commands:
            unit = units.get(command.file)
            if unit is None or not any(c.name.endswith(".run") for c in unit.py.calls):
                continue
            if any(m == i or m.endswith("." + i) for m in modules for i in unit.py.imports):
                return Command(command.file, 1, "runs the training pipeline", command.via)
        training = {p for p in files if names_training_file(self, p)}
        return imported_pipeline_run(self.index, self.ci_commands, units, training)

    @cached_property
    def stack_hits(self) -> dict[str, list[Evidence]]:
        """Evidence of each concern from the table of stack recognisers (``stacks``)."""
        return recognise(self)
