"""Evaluation steps of a pipeline that stop the run when the new model is worse.

A step (a file a pipeline runs, or one beside the pipeline's definition) that compares two
values with ``<``/``>`` and, on one branch, cancels or fails the run
(``run.parent.cancel()``, ``run.fail()``), or raises or exits in a file that evaluates a
model, both evaluates and gates: what it decides acts on the pipeline. Read with ``ast``.
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.pycalls import _parse, dotted

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_STOPS = ("cancel", "fail")
_EXITS = ("exit", "sys.exit", "os._exit")
DETAIL = "pipeline step that stops the run when the new model is worse"


def _ordering(test: ast.AST) -> bool:
    """An ordering comparison of values (not of a length or a count of items)."""
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and any(isinstance(o, _ORDER) for o in node.ops):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Call) and dotted(o.func) == "len" for o in operands):
                continue
            if all(isinstance(o, ast.Constant) for o in operands):
                continue
            return True
    return False


def _acts(nodes: list[ast.stmt], evaluates: bool) -> bool:
    for node in ast.walk(ast.Module(body=nodes, type_ignores=[])):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if "." in name and name.rsplit(".", 1)[-1] in _STOPS:
                return True
            if evaluates and name in _EXITS:
                return True
        if evaluates and isinstance(node, ast.Raise):
            return True
    return False


def stop_line(unit: CodeUnit, evaluates: bool) -> int | None:
    """The line of the first ``if`` on an ordering comparison whose branch stops the run."""
    tree = _parse(unit.text)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and _ordering(node.test)
            and _acts([*node.body, *node.orelse], evaluates)
        ):
            return node.lineno
    return None


def step_gates(f: Facts, evaluates: set[str]) -> list[Evidence]:
    """Evaluation gates in pipeline steps: the files each pipeline definition runs and the
    Python files beside a Python pipeline definition."""
    files = {e.file for e in f.pipelines if e.file and e.file.endswith(".py")}
    steps = {s.file for path in files for s in f.steps_of(path)}
    folders = {posixpath.dirname(p) for p in files}
    found: list[Evidence] = []
    for unit in f.source_units:
        if unit.kind != "py" or AUX_PATH_RE.search(unit.path) or unit.is_training:
            continue
        if unit.path not in steps and posixpath.dirname(unit.path) not in folders:
            continue
        if not any(word in unit.text for word in ("cancel", "fail", "raise", "exit")):
            continue
        line = stop_line(unit, unit.path in evaluates)
        if line is not None:
            found.append(unit.evidence(line, DETAIL))
    return found
