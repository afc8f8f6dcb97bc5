"""Names a pipeline file imports, followed through the packages that re-export them.

``from steps import model_trainer`` in ``pipelines/training.py`` names ``steps/__init__.py``,
which re-exports ``model_trainer`` from ``.training`` and that from ``.model_trainer``: the
file that defines the step is ``steps/training/model_trainer.py``. The package is looked for
from the importing file's folder and each of its parents (a project in a sub-folder runs with
its own root on ``sys.path``), then the root. Read with ``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Callable

from catdetector.assess.pycalls import parse_python

MAX_HOPS = 3


def _package(files: set[str], dotted: str, here: str) -> str | None:
    stem = dotted.replace(".", "/")
    folder = here
    while True:
        for tail in (f"{stem}.py", f"{stem}/__init__.py"):
            path = posixpath.join(folder, tail) if folder else tail
            if path in files:
                return path
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def defining_files(files: set[str], text_of: Callable[[str], str | None], path: str) -> set[str]:
    """The files of this repository that define the names ``path`` imports (absolute
    ``from pkg import name``), through up to ``MAX_HOPS`` re-exporting ``__init__.py``."""
    tree = parse_python(text_of(path) or "")
    if tree is None:
        return set()
    here = posixpath.dirname(path)
    todo: list[tuple[str, set[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = _package(files, node.module, here)
            if found:
                todo.append((found, {a.name for a in node.names}, 0))
    out: set[str] = set()
    while todo:
        file, names, hops = todo.pop()
        if file in out:
            continue
        out.add(file)
        if not file.endswith("__init__.py") or hops >= MAX_HOPS:
            continue
        init = parse_python(text_of(file) or "")
        folder = posixpath.dirname(file)
        for node in init.body if init is not None else []:
            if not (isinstance(node, ast.ImportFrom) and node.level == 1):
                continue
            if not names & {a.asname or a.name for a in node.names}:
                continue
            stem = (node.module or "").replace(".", "/")
            for tail in (f"{stem}.py", f"{stem}/__init__.py"):
                target = posixpath.join(folder, tail)
                if target in files:
                    wanted = {a.name for a in node.names} if stem else names
                    todo.append((target, wanted, hops + 1))
    return out
