"""Dockerfiles read with ``dockerfile-parse`` (from memory, never built): what the image runs.

An image whose command starts a tool's own service (an MLflow tracking server, Kedro-Viz,
Jupyter, TensorBoard, a database, a dashboard) is not the environment a model is served
from, so it is neither compared with training nor counted as serving's installs.
"""

from __future__ import annotations

import io
import json
import re

from dockerfile_parse import DockerfileParser

TOOL_SERVICE_RE = re.compile(
    r"^(?:\S*/)?(?:mlflow\s+(?:server|ui)|kedro\s+viz|jupyter(?:-lab|\s+lab|\s+notebook)?|"
    r"tensorboard|airflow\s+(?:webserver|scheduler|standalone)|postgres|redis-server|grafana|"
    r"prometheus|nginx|label-studio|dagster-webserver|dagit|prefect\s+server|zenml\s+up|"
    r"mkdocs\s+serve|optuna-dashboard)\b"
)


def command(text: str) -> str:
    """The command the final image runs: its ENTRYPOINT then CMD, as one line."""
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8", "replace")))
        structure = parser.structure
    except Exception:  # any text may be handed in; a bad one runs nothing known
        return ""
    last: dict[str, str] = {}
    for item in structure:
        if item.get("instruction") == "FROM":
            last = {}
        elif item.get("instruction") in ("CMD", "ENTRYPOINT"):
            last[item["instruction"]] = _words(str(item.get("value", "")))
    return " ".join(w for w in (last.get("ENTRYPOINT", ""), last.get("CMD", "")) if w).strip()


def _words(value: str) -> str:
    value = value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list):
            return " ".join(str(p) for p in parsed)
    return value


def runs_tool_service(text: str) -> str | None:
    """The command when the image runs a tool's own service, else None."""
    run = command(text)
    for part in re.split(r"\s*(?:&&|;)\s*|\b(?:sh|bash)\s+-c\s+['\"]?", run):
        if TOOL_SERVICE_RE.search(part.strip().strip("'\"")):
            return run
    return None
