"""The file a Databricks job task runs, read from the bundle's YAML (never run).

A task is a mapping with ``notebook_task: {notebook_path: ...}`` or ``spark_python_task:
{python_file: ...}``. Bundle paths start with ``${workspace.file_path}/`` (the bundle root,
synced from the repository) or are relative to the YAML file; a notebook path has no suffix
(``src/Train`` is ``src/Train.ipynb`` or ``src/Train.py``).
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Any

from catdetector.assess.text import normpath

_ROOT_RE = re.compile(r"^\$\{workspace\.(?:file_path|root_path/files)\}/")


def databricks_task(node: dict[Any, Any], here: str, files: Container[str]) -> str | None:
    """The repository file the Databricks task ``node`` runs, if it is here."""
    for key, field in (("notebook_task", "notebook_path"), ("spark_python_task", "python_file")):
        task = node.get(key)
        target = task.get(field) if isinstance(task, dict) else None
        if not isinstance(target, str) or not target:
            continue
        rooted = _ROOT_RE.sub("", target)
        base = "" if rooted != target else here
        path = normpath(rooted, base)
        if path is None:
            continue
        for candidate in (path, path + ".ipynb", path + ".py"):
            if candidate in files:
                return candidate
        return None
    return None
