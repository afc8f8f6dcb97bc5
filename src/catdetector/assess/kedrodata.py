"""Declared pipeline inputs that are absent: a Kedro catalog dataset a node reads whose local
``filepath:`` is not in the repository.

A dataset counts when a node of the project names it among its ``inputs`` and no node names
it among its ``outputs`` (so the pipeline does not produce it); its ``filepath`` is a local
path (no ``s3://``, ``gs://``, ``http``... and no ``${...}`` the runtime fills); the file is
not in the repository, not covered by DVC or git-lfs, and no file of the repository fetches
it (a download call beside its file name). Such data lives on one machine. Read with ``ast``
and YAML; nothing is run.
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import TYPE_CHECKING, Any

import yaml

from catdetector.assess.gitmeta import matches_pattern
from catdetector.assess.model import Evidence
from catdetector.assess.text import YAML_LOADER, normpath

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

_FETCH_RE = re.compile(
    r"(?i)urlretrieve|requests\.get|httpx\.get|\bwget\b|\bcurl\b|kaggle|gdown|hf_hub_download|"
    r"snapshot_download|\bdownload\w*\(|\bgsutil\b|\baws\s+s3\b|\bazcopy\b|\bdvc\s+(?:pull|get)"
)


def _node_names(f: Facts) -> tuple[set[str], set[str]]:
    """Dataset names Kedro nodes read and write (``node(fn, inputs=[...], outputs=...)``)."""
    reads: set[str] = set()
    writes: set[str] = set()
    for unit in f.source_units:
        if unit.kind != "py" or "node(" not in unit.text:
            continue
        try:
            tree = ast.parse(unit.text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or getattr(call.func, "id", None) != "node":
                continue
            values = {k.arg: k.value for k in call.keywords}
            for i, arg in enumerate(call.args[1:3]):
                values.setdefault("inputs" if i == 0 else "outputs", arg)
            for key, into in (("inputs", reads), ("outputs", writes)):
                if key in values:
                    into.update(
                        n.value
                        for n in ast.walk(values[key])
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    )
    return reads, writes


def _fetched(f: Facts, name: str, catalog: str) -> bool:
    for info in f.index.texts():
        text = info.text or ""
        if info.path != catalog and name in text and _FETCH_RE.search(text):
            return True
    return False


def absent_inputs(f: Facts) -> list[Evidence]:
    """Catalog datasets nodes read that are neither here, produced, tracked nor fetched."""
    catalogs = [i for i in f.index.texts() if "catalog" in i.name and i.suffix in (".yml", ".yaml")]
    if not catalogs:
        return []
    reads, writes = _node_names(f)
    found: list[Evidence] = []
    for info in catalogs:
        try:
            data: Any = yaml.load(info.text or "", Loader=YAML_LOADER)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        parts = info.path.split("/")
        root = "/".join(parts[: parts.index("conf")]) if "conf" in parts[:-1] else ""
        for name, entry in data.items():
            if name not in reads or name in writes or not isinstance(entry, dict):
                continue
            path = entry.get("filepath") or entry.get("path")
            if not isinstance(path, str) or "://" in path or "$" in path or "{" in path:
                continue
            local = normpath(path, root) if not path.startswith("/") else None
            if local is None or f.index.exists(local) or f.dvc_covered(local):
                continue
            if f.git_tracked(local) or any(matches_pattern(local, p) for p in f.lfs_patterns):
                continue
            if _fetched(f, posixpath.basename(path), info.path):
                continue
            line = next(
                (n for n, t in enumerate(info.lines, 1) if t.strip().startswith(f"{name}:")), None
            )
            detail = (
                f"pipeline input `{name}` ({path}) is not here and nothing tracks or fetches it"
            )
            found.append(Evidence(info.path, line, detail))
    return found[:3]
