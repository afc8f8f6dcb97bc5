"""A repository of reusable CI pieces for other repositories, with no project of its own.

Every CI definition is one other repositories call: GitHub workflows triggered only
by ``workflow_call``, Azure Pipelines templates (top-level ``parameters``, or under a
``templates/`` folder, and no trigger, schedule or pool of their own). With no training
code, model or data file of its own, what it holds runs the callers' projects: like a
library of ML tools, it is not applicable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from catdetector.assess.text import YAML_LOADER

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

CI_PIECES_NOTE = (
    "reusable CI pieces for other repositories (workflow_call workflows, pipeline templates), "
    "with no training, model or data of their own: not applicable"
)
_OWN_RUN_KEYS = frozenset({"trigger", "pr", "schedules", "pool", "resources"})


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _reusable(system: str, path: str, text: str) -> bool:
    data = _load(text)
    if not isinstance(data, dict):
        return False
    if system == "GitHub Actions":
        on = data.get("on", data.get(True))
        keys = set(on) if isinstance(on, dict) else {on} if isinstance(on, str) else set(on or ())
        return keys == {"workflow_call"}
    if system == "Azure Pipelines":
        template = "parameters" in data or "templates/" in f"/{path}"
        return template and not _OWN_RUN_KEYS & set(map(str, data))
    return False


def ci_pieces_only(f: Facts) -> bool:
    """Whether every CI definition is a reusable piece and nothing trains, or is a model or
    data, here."""
    if not f.ci_systems or f.training_units or f.model_files or f.ml_data_files:
        return False
    systems = f.ci_systems.items()
    return all(_reusable(system, path, f.index.text(path) or "") for path, system in systems)
