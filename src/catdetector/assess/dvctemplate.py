"""DVC's ``${...}`` templating in ``dvc.yaml``, resolved from values (``params.yaml``, ``vars``).

Moved out of ``pipeline`` unchanged (issue 22, p10), so that module stays one concern and under
the size limit.
"""

from __future__ import annotations

import re
from typing import Any

_TEMPLATE_RE = re.compile(r"\$\{\s*([\w.\-]+)\s*\}")


def _lookup(values: dict[str, Any], dotted: str) -> str | None:
    node: Any = values
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return str(node) if isinstance(node, str | int | float) else None


def substitute(data: Any, values: dict[str, Any]) -> Any:
    """DVC's ``${...}`` templating resolved from params.yaml and ``vars`` (unknowns kept)."""
    if isinstance(data, str):
        return _TEMPLATE_RE.sub(lambda m: _lookup(values, m.group(1)) or m.group(0), data)
    if isinstance(data, list):
        return [substitute(item, values) for item in data]
    if isinstance(data, dict):
        return {substitute(k, values): substitute(v, values) for k, v in data.items()}
    return data
