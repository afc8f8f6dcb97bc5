"""Task runners written in Python (invoke's ``tasks.py``, nox's ``noxfile.py``), read with
``ast``: what a task runs, as command lines the follower can read and follow."""

from __future__ import annotations

import ast

from catdetector.assess.pycalls import dotted, parse_python

TASK_DECORATORS = frozenset({"task", "session"})
MAX_TASKS = 8


def _decorated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if dotted(target).rsplit(".", 1)[-1] in TASK_DECORATORS:
            return True
    return False


def _task_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names a task is invoked by: its function name, dashed, and ``name=``."""
    names = {node.name, node.name.replace("_", "-")}
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call):
            for kw in deco.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    names.add(str(kw.value.value))
    return names


def _command(call: ast.Call) -> str | None:
    """``c.run("python -m x")`` -> ``python -m x``; ``session.run("pytest", "-q")`` ->
    ``pytest -q`` (f-strings keep their constant parts)."""
    words: list[str] = []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            words.append(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            words.append("".join(
                str(v.value) if isinstance(v, ast.Constant) else "{}" for v in arg.values
            ))  # fmt: skip
        elif not isinstance(arg, ast.Name):  # the context (``c``, ``session``) is a name
            return None
    return " ".join(words) if words else None


def _imports(tree: ast.Module) -> dict[str, tuple[int, str]]:
    """Name bound by a module-level import -> (line, ``from m import name``)."""
    out: dict[str, tuple[int, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                out[alias.asname or alias.name] = (
                    node.lineno,
                    f"from {node.module} import {alias.name}",
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".", 1)[0]] = (
                    node.lineno,
                    f"import {alias.name}",
                )
    return out


def python_task_lines(text: str, task: str) -> list[tuple[int, str]]:
    """The lines task ``task`` runs (every task when ``task`` is empty): its own lines and
    those of the helpers and tasks it calls, plus the commands and imports found in them;
    empty when the file defines no such task."""
    tree = parse_python(text)
    if tree is None:
        return []
    functions = {
        n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    tasks = [n for n in functions.values() if _decorated(n)]
    chosen = [n for n in tasks if not task or task in _task_name(n)]
    top = _imports(tree)
    lines: list[tuple[int, str]] = []
    source = text.splitlines()
    queue = list(chosen)
    seen: set[str] = set()
    while queue and len(seen) < MAX_TASKS:
        node = queue.pop(0)
        if node.name in seen:
            continue
        seen.add(node.name)
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            if number <= len(source) and source[number - 1].strip():
                lines.append((number, source[number - 1].strip()))  # ``cmd = "pytest -q"``
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.module and not sub.level:
                names = ", ".join(a.name for a in sub.names)
                lines.append((sub.lineno, f"from {sub.module} import {names}"))
            elif isinstance(sub, ast.Import):
                lines.extend((sub.lineno, f"import {a.name}") for a in sub.names)
            elif isinstance(sub, ast.Call):
                called = dotted(sub.func).split(".", 1)[0]
                runs = "." in dotted(sub.func) or called in functions
                if runs and (command := _command(sub)) is not None:
                    lines.append((sub.lineno, command))
                if called in top:
                    lines.append(top[called])
                elif called in functions and called != node.name:
                    queue.append(functions[called])  # a helper or another task it calls
    return sorted(set(lines))
