"""CI systems, found by where they must live or by what a file says wherever it lives.

One row per system. Systems with a fixed location (GitHub Actions, CircleCI,
Bitbucket, Buildkite, Drone, Woodpecker, Travis, GitLab's root file) are matched
by path; Azure Pipelines, GitLab files pulled in by ``include:``, Cloud Build,
CodeBuild, Tekton and Argo are recognised by their parsed YAML wherever they are;
Jenkinsfiles by name anywhere. An empty file, or one with nothing to run, is not CI.
Files under tests, docs, examples or vendored folders are not this repository's CI.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from catdetector.assess.scan import FileInfo
from catdetector.assess.text import YAML_LOADER, normpath

AUX_PATH_RE = re.compile(
    r"(?:^|/)(?:tests?|testing|fixtures?|docs?|documentation|examples?|samples?|vendor(?:ed)?|"
    r"third[_-]party|site-packages|node_modules)/"
)
_STEP_KEYS = frozenset({"script", "bash", "task", "pwsh", "powershell", "template", "checkout"})
_PREFILTER = ("steps:", "script:", "phases:", "tekton.dev", "argoproj.io", "jobs:", "stages:")


def _azure(data: Any) -> bool:
    """Azure Pipelines: steps (at any depth of stages/jobs) that script, run tasks or
    templates, in a document that is not a GitHub workflow."""
    if not isinstance(data, dict) or "runs-on" in str(data.get("jobs", ""))[:2000]:
        return False

    def steps_here(node: Any, depth: int = 0) -> bool:
        if depth > 6 or not isinstance(node, dict):
            return False
        steps = node.get("steps")
        if isinstance(steps, list) and any(
            isinstance(s, dict) and _STEP_KEYS & set(s) for s in steps
        ):
            return True
        for key in ("stages", "jobs", "deploy", "strategy", "runOnce", "rolling", "canary"):
            value = node.get(key)
            items = value if isinstance(value, list) else [value]
            if any(steps_here(item, depth + 1) for item in items):
                return True
        return False

    return steps_here(data)


def _gitlab_jobs(data: Any) -> bool:
    """A GitLab CI file (root or included): jobs are tables with a ``script``."""
    return isinstance(data, dict) and any(
        isinstance(v, dict) and "script" in v and ("stage" in v or "image" in v or "extends" in v)
        for v in data.values()
    )


def _cloud_build(data: Any) -> bool:
    steps = data.get("steps") if isinstance(data, dict) else None
    return isinstance(steps, list) and any(
        isinstance(s, dict) and "name" in s and ({"args", "entrypoint", "script"} & set(s))
        for s in steps
    )


def _codebuild(data: Any) -> bool:
    phases = data.get("phases") if isinstance(data, dict) else None
    return isinstance(phases, dict) and any(
        isinstance(p, dict) and "commands" in p for p in phases.values()
    )


def _kind(api: str, kinds: tuple[str, ...]) -> Callable[[Any], bool]:
    def match(data: Any) -> bool:
        return (
            isinstance(data, dict)
            and str(data.get("apiVersion", "")).startswith(api)
            and data.get("kind") in kinds
        )

    return match


@dataclass(frozen=True)
class CISystem:
    """One CI system: the paths it must live at, or what its parsed YAML looks like."""

    name: str
    path: re.Pattern[str] | None = None
    content: Callable[[Any], bool] | None = None


# a Jenkins job names its script freely: `Jenkinsfile`, `Jenkinsfile_train`, `Jenkinsfile.deploy`,
# `ci/Jenkinsfile-release`, `train.jenkinsfile`
JENKINS_NAME_RE = r"(?i)^(?:.*/)?(?:Jenkinsfile(?:[._-][\w.-]+)?|[\w.-]+\.jenkinsfile)$"
# what a Jenkins pipeline is: Declarative `pipeline { ... stages { stage(...) ... } }` or
# Scripted `node { stage(...) { sh ... } }`
_JENKINS_PIPELINE_RE = re.compile(r"\b(?:pipeline|node)\s*(?:\([^)]*\)\s*)?\{[\s\S]*?\bstage\s*\(")

# the root of a templated project (cookiecutter, Go templates): `{{cookiecutter.repo}}/`
_TEMPLATE_ROOT = r"(?:(?:[^/]+/)*\{\{[^/]*\}\}/)?"

CI_SYSTEMS: tuple[CISystem, ...] = (
    CISystem("GitHub Actions", re.compile(rf"^{_TEMPLATE_ROOT}\.github/workflows/[^/]+\.ya?ml$")),
    CISystem("GitLab CI", re.compile(rf"^{_TEMPLATE_ROOT}\.gitlab-ci\.ya?ml$")),
    CISystem("GitLab CI (included)", None, _gitlab_jobs),
    CISystem("Jenkins", re.compile(JENKINS_NAME_RE)),
    CISystem("CircleCI", re.compile(rf"^{_TEMPLATE_ROOT}\.circleci/config\.ya?ml$")),
    CISystem("Azure Pipelines", re.compile(r"^azure-pipelines\.ya?ml$"), _azure),
    CISystem("Bitbucket Pipelines", re.compile(r"^bitbucket-pipelines\.ya?ml$")),
    CISystem("Travis CI", re.compile(r"^\.travis\.ya?ml$")),
    CISystem("Drone", re.compile(r"^\.drone\.ya?ml$")),
    CISystem("Buildkite", re.compile(r"^\.buildkite/[^/]+\.ya?ml$")),
    CISystem("Woodpecker", re.compile(r"^\.woodpecker(?:\.ya?ml|/[^/]+\.ya?ml)$")),
    CISystem("Cloud Build", re.compile(r"^cloudbuild\.ya?ml$"), _cloud_build),
    CISystem("AWS CodeBuild", re.compile(r"^buildspec\.ya?ml$"), _codebuild),
    CISystem("Tekton", None, _kind("tekton.dev/", ("Pipeline", "Task", "PipelineRun", "TaskRun"))),
    CISystem("Argo Workflows", None, _kind("argoproj.io/", ("Workflow", "WorkflowTemplate"))),
    CISystem("catdetector .ci/run", re.compile(r"^\.ci/run$")),
)


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _runs_something(info: FileInfo) -> bool:
    text = info.text or ""
    if not text.strip():
        return False
    if info.name == "Jenkinsfile":
        return bool(re.search(r"\b(?:pipeline|node|stage|sh|bat)\b", text))
    if re.match(JENKINS_NAME_RE, info.path):  # another name: only a pipeline's own syntax
        return bool(_JENKINS_PIPELINE_RE.search(text))
    if info.suffix in (".yml", ".yaml"):
        return bool(_load(text))
    return True


def ci_files(files: list[FileInfo]) -> dict[str, str]:
    """CI definition path -> CI system, for the files given (each read and parsed)."""
    found: dict[str, str] = {}
    for info in files:
        for system in CI_SYSTEMS:
            if system.path is not None and system.path.match(info.path):
                if _runs_something(info):
                    found[info.path] = system.name
                break
        else:
            if info.suffix not in (".yml", ".yaml") or AUX_PATH_RE.search(info.path):
                continue
            text = info.text or ""
            if not any(token in text for token in _PREFILTER):
                continue
            data = _load(text)
            for system in CI_SYSTEMS:
                if system.content is not None and system.content(data):
                    found[info.path] = system.name
                    break
    return found


def gitlab_includes(text: str, base: str = "") -> list[str]:
    """Local files a GitLab CI file includes (``include: path``, ``- local: path``)."""
    data = _load(text)
    raw = data.get("include") if isinstance(data, dict) else None
    items = raw if isinstance(raw, list) else [raw]
    paths: list[str] = []
    for item in items:
        target = item.get("local") if isinstance(item, dict) else item
        if isinstance(target, str) and not target.startswith(("http:", "https:")):
            path = normpath(target.lstrip("/"), "" if target.startswith("/") else base)
            if path:
                paths.append(path)
    return paths
