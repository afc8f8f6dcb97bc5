"""A script that calls training it imports: ``from src.models.processor import run_training``
then ``run_training(cfg)``. Read with ``ast`` (nothing is imported): the call is training
when the function, defined in a module of this repository, fits or trains in its own body."""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING

from catdetector.assess.code import TRAIN_RE

MAX_HOPS = 6

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.modules import Modules


def _imported(tree: ast.AST) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(name -> (module, name in it)) of ``from m import f [as g]``, (alias -> module) of
    ``import m [as a]``, wherever they are (lazy imports inside functions too)."""
    names: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                modules[alias.asname or alias.name] = alias.name
    return names, modules


def _trains(unit: CodeUnit, function: str) -> bool:
    """Whether ``function`` of ``unit`` fits or trains in its body, or through the functions
    of the same module it calls (a few hops)."""
    tree = unit.tree
    defined = {
        node.name: node
        for node in (tree.body if tree is not None else [])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    queue: list[str] = [function]
    seen: set[str] = set()
    while queue and len(seen) < MAX_HOPS:
        name = queue.pop(0)
        node = defined.get(name)
        if node is None or name in seen:
            continue
        seen.add(name)
        body = "\n".join(unit.lines[node.lineno - 1 : node.end_lineno or node.lineno])
        if TRAIN_RE.regex.search(body) is not None:
            return True
        queue.extend(
            c.func.id
            for c in ast.walk(node)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
        )
    return False


def called_training(
    unit: CodeUnit, modules: Modules, training: dict[str, CodeUnit]
) -> tuple[int, str] | None:
    """(line, ``module.function``) of the first call in ``unit`` of a function imported from a
    module of this repository that trains in its body, or None."""
    if "import" not in unit.text:
        return None
    tree = unit.tree
    if tree is None:
        return None
    names, aliases = _imported(tree)
    here = posixpath.dirname(unit.path)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            module, name = names[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in aliases
        ):
            module, name = aliases[func.value.id], func.attr
        else:
            continue
        for path in modules.module(module, here):
            target = training.get(path)
            if target is not None and _trains(target, name):
                return node.lineno, f"{module}.{name}"
    return None
