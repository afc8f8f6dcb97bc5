"""Evaluation gates read by structure (``ast``), never by a word.

A gate in code compares an **evaluation of the model** and **acts** on the result:

* an evaluation is a value computed from the model's predictions (a name assigned from a
  ``.predict(...)`` call, or an expression using one), a metric function's result
  (``accuracy_score``, ``mean_squared_error``, ``model.score(X, y)``, ``.evaluate(...)``,
  ``compute_metrics(...)``), or a metric read from an evaluation artefact (``json.load`` of a
  metrics file, ``run.get_metrics()``, ``run.data.metrics``), and anything derived from those;
* the comparison is an ordering (``<``, ``<=``, ``>``, ``>=``) in an ``if`` or an ``assert``;
* it acts when a branch raises, exits non-zero, cancels or fails the run, or registers,
  promotes or deploys the model (so the other branch skips it); an ``assert`` raises; or a
  deploy, register or promote call is handed a decision taken by comparing an evaluation.

``if quality_score >= 3: print(...)`` (a sum of booleans, printed) is no gate. A
**differential test** that CI runs (a test asserting that the model's predictions stay
close to stored predictions of the previous version) is both an evaluation and a gate.
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.evalflow import (
    CLOSE_CALLS,
    ORDER,
    Flow,
    flows,
    last_name,
    names_in,
    parse,
    targets_of,
    threshold,
    value_of,
)
from catdetector.assess.model import Evidence

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_ACT_CALLS = re.compile(  # matched against the callee's last name
    r"(?i)^(?:exit|_exit|quit|cancel|fail\w*|abort\w*)$|"
    r"regist|promot|deploy|transition_model_version_stage|set_stage|alias|publish|push_to_hub"
)


def _deciders(tree: ast.Module) -> set[str]:
    """Functions that return the outcome of an ordering comparison of their arguments
    (``return accuracy > min_acc``; ``if accuracy <= min_acc: return True``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            test = sub.value if isinstance(sub, ast.Return) else getattr(sub, "test", None)
            if (
                isinstance(sub, ast.Return | ast.If)
                and isinstance(test, ast.Compare)
                and any(isinstance(op, ORDER) for op in test.ops)
            ):
                found.add(node.name)
                break
    return found


def _decision_lines(nodes: list[ast.AST], flow: Flow, deciders: set[str]) -> list[int]:
    """Deploy, register or promote calls handed a decision taken on an evaluation
    (``deploy_step(deploy_decision=deployment_trigger(accuracy=mse))``)."""
    decisions: set[str] = set()
    for node in nodes:
        value = value_of(node)
        if value is None or not names_in(value) & flow.evaluation:
            continue
        if (isinstance(value, ast.Compare) and any(isinstance(o, ORDER) for o in value.ops)) or (
            isinstance(value, ast.Call) and last_name(value) in deciders
        ):
            decisions |= targets_of(node)
    lines: list[int] = []
    for node in nodes:
        if not isinstance(node, ast.Call) or not _ACT_CALLS.search(last_name(node)):
            continue
        values = [*node.args, *(k.value for k in node.keywords)]
        if any(isinstance(v, ast.Name) and v.id in decisions for v in values):
            lines.append(node.lineno)
    return lines


def _ordered(test: ast.AST, flow: Flow) -> bool:
    return any(threshold(c) and flow.evaluates(c) for c in ast.walk(test))


def _verdict(test: ast.AST, flow: Flow) -> bool:
    """Whether ``test`` is the truth of a field of an evaluation's result, negated or not
    (``if not quality.passed:`` after ``quality = evaluate_quality(result)``): the evaluation
    took the decision, the ``if`` acts on it."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return (
        isinstance(test, ast.Attribute)
        and isinstance(test.value, ast.Name)
        and test.value.id in flow.evaluation
    )


def _acts(body: list[ast.stmt]) -> bool:
    """Whether statements raise, exit non-zero, cancel or fail a run, or register, promote
    or deploy a model."""
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and _ACT_CALLS.search(name := last_name(node)):
            if name in ("exit", "_exit", "quit") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and arg.value in (0, None, False):
                    continue  # sys.exit(0): a success
            return True
    return False


def _flags(nodes: list[ast.AST], flow: Flow) -> set[str]:
    """Booleans that hold the outcome of comparing an evaluation: assigned from the comparison
    (``challenger_wins = (m_chall > m_champ) if lower else ...``), or set to a constant in a
    branch it decides (``if latest >= current: ... else: should_promote = False``)."""
    found: set[str] = set()
    for node in nodes:
        value = value_of(node)
        if isinstance(node, ast.Assign) and value is not None and _ordered(value, flow):
            found |= targets_of(node)
        elif isinstance(node, ast.If) and _ordered(node.test, flow):
            for sub in ast.walk(ast.Module(body=[*node.body, *node.orelse], type_ignores=[])):
                if (
                    isinstance(sub, ast.Assign)
                    and isinstance(sub.value, ast.Constant)
                    and isinstance(sub.value.value, bool)
                ):
                    found |= targets_of(sub)
    return found


def gate_lines(text: str) -> list[int]:
    """Lines of ``text`` where an evaluation of the model is compared and acted on, directly
    or through a boolean that holds the comparison's outcome."""
    tree = parse(text)
    if tree is None:
        return []
    lines: list[int] = []
    deciders = _deciders(tree)
    for nodes, flow in flows(tree):
        lines.extend(_decision_lines(nodes, flow, deciders))
        flags = _flags(nodes, flow)
        for node in nodes:
            if isinstance(node, ast.If) and (
                _ordered(node.test, flow)
                or names_in(node.test) & flags
                or _verdict(node.test, flow)
            ):
                if _acts(node.body) or _acts(node.orelse):
                    lines.append(node.lineno)
            elif isinstance(node, ast.Assert) and _ordered(node.test, flow):
                lines.append(node.lineno)
    return sorted(lines)


_NEEDLES = ("predict", "score", "metric", "evaluat", "error", "loss", "report")


def code_gates(f: Facts) -> list[Evidence]:
    """Production code that compares an evaluation of the model and acts on it."""
    return f.memo("code_gates", lambda: _code_gates(f))


def _code_gates(f: Facts) -> list[Evidence]:
    for unit in f.source_units:
        if unit.kind != "py" or not any(n in unit.lower for n in _NEEDLES):
            continue
        if not any(op in unit.code for op in ("<", ">", "if not ")):
            continue
        lines = gate_lines(unit.text)
        if lines:
            line = unit.lines[lines[0] - 1] if lines[0] <= len(unit.lines) else ""
            return [unit.evidence(lines[0], f"gate in code: {' '.join(line.split())[:80]}")]
    return []


def _differential(unit: CodeUnit) -> int | None:
    """The line of an assertion that the model's predictions stay close to stored ones."""
    tree = parse(unit.text)
    if tree is None:
        return None
    for nodes, flow in flows(tree):
        for node in nodes:
            if not isinstance(node, ast.Assert):
                continue
            used = names_in(node.test)
            closeness = any(
                isinstance(s, ast.Call) and last_name(s) in CLOSE_CALLS for s in ast.walk(node.test)
            ) or any(threshold(c) for c in ast.walk(node.test))
            predicted = bool(used & (flow.prediction | flow.evaluation))
            if closeness and predicted and used & flow.loaded:
                return node.lineno
    return None


def differential_tests(f: Facts) -> list[Evidence]:
    """Tests CI runs that fail when the model's predictions drift from the previous
    version's (stored predictions compared with a tolerance)."""
    return f.memo("differential_tests", lambda: _differential_tests(f))


def _differential_tests(f: Facts) -> list[Evidence]:
    if f.ci_tests is None:
        return []
    for unit in f.code_units:
        if not unit.is_test or unit.kind != "py" or "predict" not in unit.lower:
            continue
        if not _ci_runs(f, unit.path):
            continue
        line = _differential(unit)
        if line is not None:
            detail = "differential test of the model against the previous version's predictions"
            return [unit.evidence(line, detail)]
    return []


_PYTEST_RE = re.compile(r"\b(?:py\.test|pytest|tox|nox|make\s+test)\b(.*)")


def _ci_runs(f: Facts, path: str) -> bool:
    """Whether some test command CI runs names no path, or a folder above ``path``."""
    folders = set()
    folder = posixpath.dirname(path)
    while folder:
        folders.add(folder)
        folder = posixpath.dirname(folder)
    for command in f.ci_commands:
        m = _PYTEST_RE.search(command.text)
        if m is None:
            continue
        args = [a for a in m.group(1).split() if not a.startswith("-") and "/" in a]
        if not args or any(a.rstrip("/").lstrip("./") in folders for a in args):
            return True
        if any(path.startswith(a.lstrip("./")) for a in args):
            return True
    return False
