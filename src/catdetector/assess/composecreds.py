"""Credentials of the database containers a compose file starts.

A compose service whose image is a database or store (``postgres``, ``mysql``, ``mongo``,
``minio``...) is given its own password by the image's init variable (``POSTGRES_PASSWORD``,
``MYSQL_ROOT_PASSWORD``, ``MINIO_ROOT_PASSWORD``...). That value is the credential of a
container the repository starts for itself: in the compose file, and in any URL that reaches
that service by its compose name (``postgresql://u:that@postgres:5432/db``), it is a local
development credential, not a leaked secret.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from catdetector.assess.scan import FileInfo
from catdetector.assess.text import YAML_LOADER

LOCAL_SERVICE = (
    " the password a compose file gives the database container it starts (a local "
    "development credential): change it before deploying, not a leaked secret"
)
_STORE_IMAGE_RE = re.compile(
    r"(?:^|/)(?:postgres|postgis|mysql|mariadb|mongo|redis|minio|rabbitmq|clickhouse)[\w.-]*(?::|$)"
)
_INIT_VAR_RE = re.compile(
    r"^(?:POSTGRES|MYSQL|MARIADB|MONGO_INITDB_ROOT|MINIO_ROOT|RABBITMQ_DEFAULT|REDIS)_"
    r"(?:ROOT_)?PASS(?:WORD)?$"
)
_URL_RE = re.compile(r"://[^\s/:@'\"]+:([^\s/@'\"]+)@([\w.-]+)")


def _env(body: dict[str, Any]) -> dict[str, str]:
    env = body.get("environment")
    if isinstance(env, dict):
        return {str(k): str(v) for k, v in env.items() if v is not None}
    if isinstance(env, list):
        return dict(str(e).split("=", 1) for e in env if "=" in str(e))
    return {}


def compose_credentials(texts: list[FileInfo]) -> dict[str, set[str]]:
    """Password -> the compose services (by name) whose database container it is, and the
    compose files that set it."""
    found: dict[str, set[str]] = {}
    for info in texts:
        text = info.text or ""
        if info.suffix not in (".yml", ".yaml") or "services:" not in text:
            continue
        try:
            data = yaml.load(text, Loader=YAML_LOADER)
        except (yaml.YAMLError, RecursionError, ValueError):
            continue
        services = data.get("services") if isinstance(data, dict) else None
        for name, body in (services or {}).items() if isinstance(services, dict) else ():
            if not isinstance(body, dict) or not _STORE_IMAGE_RE.search(str(body.get("image"))):
                continue
            for key, value in _env(body).items():
                password = value.strip().strip("'\"")
                if _INIT_VAR_RE.match(key.strip()) and password:
                    found.setdefault(password, set()).update({str(name), info.path})
    return found


def local_service_credential(value: str, line: str, path: str, local: dict[str, set[str]]) -> bool:
    """Whether a credential on ``line`` of ``path`` is a local database container's own
    password: set for it in that compose file, or in a URL that reaches that service."""
    for m in _URL_RE.finditer(line):
        if m.group(2) in local.get(m.group(1), set()):
            return True
    return path in local.get(value.strip("'\""), set())
