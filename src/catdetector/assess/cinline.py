"""Python written inline in CI definitions (``python -c "..."``, ``python - <<EOF``): which
repository modules it imports, whether it trains with them, and whether it gates on a metric."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from catdetector.assess.follow import Command

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit

_IMPORT_RE = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?\s*([\w, ]+)")
_TRAIN_CALL_RE = re.compile(r"\.\s*(?:train|fit)\s*\(")
_THRESHOLD_COMPARE_RE = re.compile(
    r"^\s*(?:if|elif|assert)\b[^\n]*(?:[<>]=?\s*\w*thresh\w*\b|\b\w*thresh\w*\s*[<>])", re.I
)
_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _imports(commands: list[Command]) -> list[tuple[Command, str, list[str]]]:
    """(command, module path candidates, imported names) of ``from x import y`` lines."""
    out: list[tuple[Command, str, list[str]]] = []
    for command in commands:
        m = _IMPORT_RE.match(command.text)
        if m:
            names = [n.strip() for n in m.group(2).split(",") if n.strip()]
            out.append((command, m.group(1).replace(".", "/"), names))
    return out


def _unit(units: dict[str, CodeUnit], module: str) -> CodeUnit | None:
    return units.get(module + ".py") or units.get(module + "/__init__.py")


def inline_training(commands: list[Command], units: dict[str, CodeUnit]) -> Command | None:
    """A CI definition's inline Python that imports a repository module that trains and calls
    a training method (``model.train()``, ``.fit(``) in the same file."""
    for command, module, _names in _imports(commands):
        unit = _unit(units, module)
        if unit is None or not unit.is_training:
            continue
        for call in commands:
            if call.file == command.file and _TRAIN_CALL_RE.search(call.text):
                text = f"inline Python trains with {module}.py: {call.text.strip()[:60]}"
                return Command(call.file, call.line, text, call.via)
    return None


def _raises_on_comparison(unit: CodeUnit, name: str) -> bool:
    """Whether function ``name`` of ``unit`` raises or exits when an ordering comparison
    (``if value < minimum: raise ...``) holds."""
    tree = unit.tree
    if tree is None:
        return False
    for node in ast.walk(tree):
        if not (isinstance(node, ast.FunctionDef) and node.name == name):
            continue
        for test in ast.walk(node):
            if not isinstance(test, ast.If) or not isinstance(test.test, ast.Compare):
                continue
            if not any(isinstance(op, _ORDER) for op in test.test.ops):
                continue
            for stmt in ast.walk(ast.Module(body=test.body + test.orelse, type_ignores=[])):
                if isinstance(stmt, ast.Raise):
                    return True
                call = stmt.func if isinstance(stmt, ast.Call) else None
                if isinstance(call, ast.Name | ast.Attribute) and ast.unparse(call) in (
                    "exit", "sys.exit", "os._exit",
                ):  # fmt: skip
                    return True
    return False


def inline_gate(commands: list[Command], units: dict[str, CodeUnit]) -> Command | None:
    """A CI definition's inline Python that compares a metric with a threshold, or calls a
    repository function that raises or exits when a comparison fails."""
    for command in commands:
        if _THRESHOLD_COMPARE_RE.search(command.text):
            return command
    for command, module, names in _imports(commands):
        unit = _unit(units, module)
        if unit is None:
            continue
        for name in names:
            called = any(
                c.file == command.file and re.search(rf"\b{re.escape(name)}\s*\(", c.text)
                for c in commands
            )
            if called and _raises_on_comparison(unit, name):
                return command
    return None
