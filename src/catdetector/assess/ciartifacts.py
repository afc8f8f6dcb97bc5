"""A way back kept by CI itself: each run's model is a job artifact a deployment ships.

A CI run that trains and keeps the model as that run's artifact (GitLab ``artifacts:
paths:``, GitHub ``actions/upload-artifact``), and a job that deploys it to a declared
environment (``environment:``) from that artifact, records every deployment with the model it
shipped: going back is re-running an earlier run's deploy job (GitLab: Environments >
Rollback), which ships that run's own model. Both parts are read from the parsed YAML: the
kept path must be a folder training writes models to, or a model file; the deploying job must
name that path in its commands (GitLab) or download the artifacts (GitHub). Artifacts expire
(GitLab keeps them 30 days by default), so the evidence says so.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

import yaml

from catdetector.assess.model import Evidence
from catdetector.assess.text import YAML_LOADER
from catdetector.assess.vocab import MODEL_SUFFIXES

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

DETAIL = (
    "each CI run keeps the model as a job artifact ({path}) and job {job} deploys it to the "
    "environment {env}: an earlier run's deployment can be re-run (artifacts expire)"
)


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _is_model_path(path: str, dirs: set[str]) -> bool:
    clean = path.strip().lstrip("./").rstrip("/")
    return bool(clean) and (
        clean in dirs or posixpath.splitext(clean)[1].lower() in MODEL_SUFFIXES
    )


def _words(value: Any) -> str:
    """A job's commands as one text (``script``, ``before_script``, steps' ``run``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_words(v) for v in value)
    return ""


def _env_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    if isinstance(env, str) and env.strip():
        return env.strip()
    if isinstance(env, dict) and isinstance(env.get("name"), str):
        return str(env["name"])
    return None


def _gitlab(data: dict[str, Any], dirs: set[str]) -> tuple[str, str, str] | None:
    jobs = {k: v for k, v in data.items() if isinstance(v, dict) and "script" in v}
    kept: list[str] = []
    for job in jobs.values():
        artifacts = job.get("artifacts")
        paths = artifacts.get("paths") if isinstance(artifacts, dict) else None
        kept += [p for p in paths or [] if isinstance(p, str) and _is_model_path(p, dirs)]
    for name, job in jobs.items():
        env = _env_name(job)
        text = _words(job.get("script"))
        for path in kept:
            if env and path.strip().lstrip("./").rstrip("/") in text:
                return path, name, env
    return None


def _github(data: dict[str, Any], dirs: set[str]) -> tuple[str, str, str] | None:
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        return None
    kept: list[str] = []
    for job in jobs.values():
        for step in job.get("steps") or [] if isinstance(job, dict) else []:
            if not isinstance(step, dict) or "upload-artifact" not in str(step.get("uses", "")):
                continue
            given = step.get("with")
            path = given.get("path") if isinstance(given, dict) else None
            kept += [p for p in str(path or "").split("\n") if _is_model_path(p, dirs)]
    for name, job in jobs.items():
        env = _env_name(job) if isinstance(job, dict) else None
        steps = job.get("steps") if isinstance(job, dict) else None
        downloads = any(
            isinstance(s, dict) and "download-artifact" in str(s.get("uses", ""))
            for s in steps or []
        )
        if env and downloads and kept:
            return kept[0], str(name), env
    return None


def ci_artifact_deploys(f: Facts, dirs: set[str]) -> list[Evidence]:
    """A model kept per CI run as a job artifact and deployed from it to an environment."""
    for path in f.ci_paths:
        text = f.index.text(path) or ""
        if "environment" not in text or "artifact" not in text:
            continue
        data = _load(text)
        if not isinstance(data, dict):
            continue
        found = _github(data, dirs) if path.startswith(".github/") else _gitlab(data, dirs)
        if found is not None:
            kept, job, env = found
            return [Evidence(path, None, DETAIL.format(path=kept, job=job, env=env))]
    return []
