"""Training that imports a module of this repository's own package that the repository lacks.

``from src.models import FraudDetector`` in the script a pipeline runs to train, where
``src/`` is a folder of the repository but ``src/models.py`` and ``src/models/`` are not in
it, means the training cannot run from a clean checkout: the code it needs exists only where
its author ran it (often a folder ``.gitignore`` swallowed). That is positive evidence of the
bus factor, read with ``ast``. Not counted: imports inside ``try`` (an optional module),
relative imports, packages that are not folders here (installed ones) or that a dependency
line declares (``azureml-mlflow`` beside a local ``azureml/``), and modules a build
writes (``*_pb2``, ``_version``), ML packages and shared namespace packages (``google``,
``azure``) that a local folder may be named like.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from typing import TYPE_CHECKING

from catdetector.assess.model import Evidence
from catdetector.assess.vocab import ML_MODULES

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_GENERATED_RE = re.compile(r"(?:_pb2(?:_grpc)?|^_?version|_rc)$")
# namespace packages many installed distributions add modules to (a local folder may too)
_SHARED_NAMESPACES = frozenset({"google", "azure", "backports", "jaraco", "zope", "opentelemetry"})
DETAIL = (
    "training imports {name}, which is not in the repository: it cannot run from a clean "
    "checkout"
)


def _guarded(tree: ast.AST) -> set[int]:
    """Ids of import nodes inside a ``try`` body (optional imports)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for child in node.body:
                ids.update(id(n) for n in ast.walk(child))
    return ids


def _folder(f: Facts, top: str, near: str) -> str | None:
    """The folder holding package ``top`` as the module look-up finds it (near, root,
    ``src/``), when ``top`` is a folder with Python files of its own (a package of this
    repository, not a folder that shares an installed package's name)."""
    if top in ML_MODULES or top in _SHARED_NAMESPACES or _declared(f, top):
        return None
    for base in dict.fromkeys((near, "", "src")):
        path = posixpath.join(base, top) if base else top
        if path in f.index.dirs and any(
            posixpath.dirname(p) == path and p.endswith(".py") for p in f.index.files
        ):
            return base
    return None


_DEP_FILES = (".txt", ".in", ".yml", ".yaml", ".toml", ".cfg")


def _declared(f: Facts, top: str) -> bool:
    """Whether a dependency line names a distribution ``top`` or ``top-...``
    (``azureml-mlflow``): an installed package may then own the name."""
    line = re.compile(
        rf"(?im)^[ \t]*(?:-[ \t]*)?[\"']?{re.escape(top)}(?:[-_.][\w.-]*)?[ \t]*(?:[=<>~!;\[\"']|$)"
    )
    return any(
        info.path.endswith(_DEP_FILES) or info.name in ("setup.py", "Pipfile")
        for info in f.index.texts()
        if line.search(info.text or "")
    )


def _absent(f: Facts, path: str) -> bool:
    """Whether nothing in the repository is the module at ``path`` (no file or folder)."""
    if path in f.index.dirs:
        return False
    return not any(p == path or p.startswith(path + ".") for p in f.index.files)


def _missing(f: Facts, unit: CodeUnit) -> Evidence | None:
    try:
        tree = ast.parse(unit.text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    guarded = _guarded(tree)
    near = posixpath.dirname(unit.path)
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) < 2 or _GENERATED_RE.search(parts[-1]):
                continue
            base = _folder(f, parts[0], near)
            if base is None or f.modules.module(name, near):
                continue
            path = posixpath.join(base, *parts) if base else posixpath.join(*parts)
            parent = posixpath.dirname(path)
            init = f.index.text(posixpath.join(parent, "__init__.py")) or ""
            if _absent(f, path) and not re.search(rf"\b{re.escape(parts[-1])}\b", init):
                return unit.evidence(node.lineno, DETAIL.format(name=name))
    return None


def _ci_run_units(f: Facts) -> list[CodeUnit]:
    """The Python files CI's training command runs (``python train.py``)."""
    command = f.ci_training
    if command is None:
        return []
    try:
        words = shlex.split(command.text, comments=True)
    except ValueError:
        words = command.text.split()
    paths = set(f.modules.command_files(words, [""]))
    return [u for u in f.source_units if u.path in paths and u.kind == "py"]


def missing_modules(f: Facts, units: list[CodeUnit]) -> list[Evidence]:
    """Training files (``units`` and what CI runs to train) importing absent own modules."""
    found: list[Evidence] = []
    seen: set[str] = set()
    for unit in [*units, *_ci_run_units(f)]:
        if unit.kind != "py" or unit.is_test or unit.path in seen:
            continue
        seen.add(unit.path)
        if (ev := _missing(f, unit)) is not None:
            found.append(ev)
    return found[:3]
