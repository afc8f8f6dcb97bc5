"""Tests of a stored, trained model that CI runs: an evaluation and a gate at once.

A test function that loads a trained model from a file (``model.load_state_dict(
torch.load(path))``, ``model = joblib.load(path)``, ``load_model(path)``,
``Model.load_from_checkpoint(path)``), runs it (``model(x)``, ``model.predict(x)``...) and
asserts that a value computed from its outputs is above or below a number
(``assert accuracy > 95``) fails CI when the trained model is worse: the rubric's "an
accuracy assert of the trained model in CI". Read with ``ast``. Not counted: asserts on a
model built in the test and never loaded (``SimpleCNN()``'s parameter count), asserts on
something other than the model's outputs, and tests CI does not run.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from catdetector.assess.evalflow import last_name, names_in, parse, targets_of, threshold, value_of
from catdetector.assess.evalgates import _ci_runs
from catdetector.assess.model import Evidence
from catdetector.assess.pycalls import dotted

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

_INTO = frozenset({"load_state_dict", "load_weights"})  # model.load_state_dict(...)
_LOADS = frozenset({"load", "load_model", "load_from_checkpoint", "load_learner"})
DETAIL = "CI tests the trained model: {line}"


def _models(nodes: list[ast.AST]) -> set[str]:
    """Names holding a model loaded from a file in this function."""
    found: set[str] = set()
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _INTO
            and node.args
        ):
            found.add(dotted(node.func.value))
        value = value_of(node)
        if isinstance(value, ast.Call) and last_name(value) in _LOADS:
            found |= targets_of(node)
        elif isinstance(value, ast.Call) and last_name(value) == "to":  # .load(...).to(dev)
            inner = value.func.value if isinstance(value.func, ast.Attribute) else None
            if isinstance(inner, ast.Call) and last_name(inner) in _LOADS:
                found |= targets_of(node)
    return {n for n in found if n}


def _runs(value: ast.AST, models: set[str]) -> bool:
    """Whether ``value`` calls a loaded model or one of its methods (``model(x)``)."""
    for sub in ast.walk(value):
        if not isinstance(sub, ast.Call):
            continue
        callee = sub.func.value if isinstance(sub.func, ast.Attribute) else sub.func
        if dotted(callee) in models or dotted(sub.func) in models:
            return True
    return False


def _outputs(nodes: list[ast.AST], models: set[str]) -> set[str]:
    """Names derived from the loaded model's outputs (to a fixpoint)."""
    assigns = [
        (t, v)
        for n in nodes
        if (v := value_of(n)) is not None and (t := targets_of(n))
    ]
    out: set[str] = set()
    for _ in range(6):
        before = len(out)
        for targets, value in assigns:
            if _runs(value, models) or names_in(value) & out:
                out |= targets - models
        if len(out) == before:
            break
    return out


def _number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and node.value != 0
    )


def _gate_line(tree: ast.Module) -> int | None:
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes = list(ast.walk(func))
        models = _models(nodes)
        if not models:
            continue
        outputs = _outputs(nodes, models)
        for node in nodes:
            if not isinstance(node, ast.Assert):
                continue
            for cmp in (c for c in ast.walk(node.test) if isinstance(c, ast.Compare)):
                sides = [cmp.left, *cmp.comparators]
                if (
                    threshold(cmp)
                    and any(_number(s) for s in sides)
                    and names_in(cmp) & outputs
                ):
                    return node.lineno
    return None


def trained_model_tests(f: Facts) -> list[Evidence]:
    """Tests CI runs that assert a threshold on a loaded trained model's outputs."""
    return f.memo("trained_model_tests", lambda: _trained_model_tests(f))


def _trained_model_tests(f: Facts) -> list[Evidence]:
    if f.ci_tests is None:
        return []
    for unit in f.code_units:
        if not unit.is_test or unit.kind != "py" or "load" not in unit.text:
            continue
        if not _ci_runs(f, unit.path) or (tree := parse(unit.text)) is None:
            continue
        line = _gate_line(tree)
        if line is not None:
            text = unit.lines[line - 1] if line <= len(unit.lines) else ""
            return [unit.evidence(line, DETAIL.format(line=" ".join(text.split())[:80]))]
    return []
