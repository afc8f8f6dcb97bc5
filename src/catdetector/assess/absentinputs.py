"""Declared pipeline inputs that are absent: data a pipeline declares that is not in the
repository, not produced by the pipeline, not tracked and not fetched.

Declarations read: a Kedro catalog dataset that a node names among its ``inputs`` and no node
among its ``outputs``, by its ``filepath:``; an MLproject entry point parameter whose
``default`` is a data file (``data/train.csv``); a Metaflow ``Parameter``/``IncludeFile``
whose ``default`` is one. A declared path counts when it is local (no ``s3://``, ``gs://``,
``http``..., no ``${...}`` or ``{...}`` the runtime fills), not in the repository, not covered
by DVC, git or git-lfs, and no file of the repository fetches it (a download call beside its
file name, or a write of it by an earlier step): such data lives on one machine. Read with
``ast`` and YAML; nothing is run.
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
from catdetector.assess.vocab import DATA_SUFFIXES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_FETCH_RE = re.compile(
    r"(?i)urlretrieve|requests\.get|httpx\.get|\bwget\b|\bcurl\b|kaggle|gdown|hf_hub_download|"
    r"snapshot_download|\bdownload\w*\(|\bgsutil\b|\baws\s+s3\b|\bazcopy\b|"
    r"\bdvc\s+(?:pull|get)|"  # fetched, or written by an earlier step:
    r"\.to_(?:csv|parquet|json|pickle|feather)\(|\bnp\.save\w*\(|\.write_\w+\("
)


def _calls(f: Facts, needle: str) -> Iterator[tuple[CodeUnit, ast.Call]]:
    """Every call in the Python files whose text holds ``needle``."""
    for unit in f.source_units:
        if unit.kind == "py" and needle in unit.text and unit.tree is not None:
            for node in ast.walk(unit.tree):
                if isinstance(node, ast.Call):
                    yield unit, node


def _node_names(f: Facts) -> tuple[set[str], set[str]]:
    """Dataset names Kedro nodes read and write (``node(fn, inputs=[...], outputs=...)``)."""
    reads: set[str] = set()
    writes: set[str] = set()
    for _, call in _calls(f, "node("):
        if getattr(call.func, "id", None) != "node":
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


def _absent(f: Facts, path: str, root: str, declared_in: str) -> bool:
    """Whether a declared local path is neither here, tracked nor fetched."""
    if "://" in path or "$" in path or "{" in path or path.startswith(("/", "~")):
        return False
    local = normpath(path, root)
    if local is None or f.index.exists(local) or f.dvc_covered(local) or f.git_tracked(local):
        return False
    if any(matches_pattern(local, p) for p in f.lfs_patterns):
        return False
    return not _fetched(f, posixpath.basename(path), declared_in)


def _data_path(value: object) -> str | None:
    if isinstance(value, str) and posixpath.splitext(value)[1].lower() in DATA_SUFFIXES:
        return value
    return None


def _mlproject(f: Facts) -> list[Evidence]:
    """MLproject parameters whose default is a data file that is absent."""
    found: list[Evidence] = []
    for info in f.index.texts():
        if info.name != "MLproject":
            continue
        try:
            data: Any = yaml.load(info.text or "", Loader=YAML_LOADER)
        except yaml.YAMLError:
            continue
        points = data.get("entry_points") if isinstance(data, dict) else None
        for point in points.values() if isinstance(points, dict) else []:
            params = point.get("parameters") if isinstance(point, dict) else None
            for name, spec in params.items() if isinstance(params, dict) else []:
                path = _data_path(spec.get("default") if isinstance(spec, dict) else None)
                if path and _absent(f, path, posixpath.dirname(info.path), info.path):
                    line = next((n for n, t in enumerate(info.lines, 1) if path in t), None)
                    detail = f"parameter `{name}` defaults to {path}, {_NOWHERE}"
                    found.append(Evidence(info.path, line, detail))
    return found


def _flow_parameters(f: Facts) -> list[Evidence]:
    """Metaflow ``Parameter``/``IncludeFile`` defaults that are data files and absent."""
    found: list[Evidence] = []
    for unit, call in _calls(f, "FlowSpec"):
        name = getattr(call.func, "id", getattr(call.func, "attr", ""))
        if name not in ("Parameter", "IncludeFile"):
            continue
        default = next((k.value for k in call.keywords if k.arg == "default"), None)
        path = _data_path(default.value if isinstance(default, ast.Constant) else None)
        if path and _absent(f, path, posixpath.dirname(unit.path), unit.path):
            detail = f"flow parameter defaults to {path}, {_NOWHERE}"
            found.append(unit.evidence(call.lineno, detail))
    return found


_NOWHERE = "which is not here and nothing tracks or fetches"


def absent_inputs(f: Facts) -> list[Evidence]:
    """Declared inputs (Kedro catalog, MLproject, Metaflow) that are neither here, produced,
    tracked nor fetched."""
    return (_catalog(f) + _mlproject(f) + _flow_parameters(f))[:3]


def _catalog(f: Facts) -> list[Evidence]:
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
            if not isinstance(path, str) or not _absent(f, path, root, info.path):
                continue
            line = next(
                (n for n, t in enumerate(info.lines, 1) if t.strip().startswith(f"{name}:")), None
            )
            detail = (
                f"pipeline input `{name}` ({path}) is not here and nothing tracks or fetches it"
            )
            found.append(Evidence(info.path, line, detail))
    return found
