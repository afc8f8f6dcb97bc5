"""Evaluation steps of a pipeline that stop the run when the new model is worse.

A step (a file a pipeline runs, or one beside the pipeline's definition) that evaluates a
model or reads a run's metrics (``run.parent.get_metrics()``, ``search_runs``), compares two
values with ``<``/``>`` and, on one branch, cancels or fails the run
(``run.parent.cancel()``, ``run.fail()``), raises or exits, both evaluates and gates: what it
decides acts on the pipeline. Read with ``ast``. A comparison of lengths or of constants, or a
cancel in a file that reads no metric (a timeout), is not one.
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.pycalls import dotted

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_STOPS = ("cancel", "fail")
_EXITS = ("exit", "sys.exit", "os._exit")
_METRIC_READS = frozenset({"get_metrics", "get_metric", "search_runs", "get_run"})
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


def _acts(nodes: list[ast.stmt]) -> bool:
    for node in ast.walk(ast.Module(body=nodes, type_ignores=[])):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if ("." in name and name.rsplit(".", 1)[-1] in _STOPS) or name in _EXITS:
                return True
        if isinstance(node, ast.Raise):
            return True
    return False


def stop_line(unit: CodeUnit, evaluates: bool) -> int | None:
    """The line of the first ``if`` on an ordering comparison whose branch stops the run, in
    a file that evaluates or reads a run's metrics."""
    tree = unit.tree
    if tree is None:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    reads = any(dotted(c.func).rsplit(".", 1)[-1] in _METRIC_READS for c in calls)
    if not (evaluates or reads):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _ordering(node.test) and _acts([*node.body, *node.orelse]):
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
