"""Metrics read from an evaluation artefact through a handle or a name, read with ``ast``.

A metric read from an evaluation artefact is an evaluation (``evalflow``). The file is often
named away from the call that reads it: ``with open("models/metrics.json") as f: m =
json.load(f)``, ``path = Path("reports/eval.json")`` then ``json.loads(path.read_text())``.
A name bound to a file handle opened on, or to a path of, a file whose name says metric,
eval or score makes a load that reads that name a metrics read, as the same load with the
path written in the call already is.
"""

from __future__ import annotations

import ast
import posixpath
import re

from catdetector.assess.vocab import MODEL_SUFFIXES

_ARTEFACT_RE = re.compile(r"(?i)metric|eval|score")
LOADS = frozenset({"load", "safe_load", "loads", "read_json", "read_csv", "read_text"})


def artefact_path(node: ast.AST) -> bool:
    """Whether an expression names a file whose name says metric, eval or score (a string
    literal that looks like a path, or a call such as ``open(...)``/``Path(...)`` of one); a
    model file or a source file so named (``best_score.pkl``, ``evaluate.py``) is none."""
    return any(
        isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and ("/" in n.value or "." in n.value)
        and _ARTEFACT_RE.search(n.value) is not None
        and posixpath.splitext(n.value)[1].lower() not in (*MODEL_SUFFIXES, ".py")
        for n in ast.walk(node)
    )


def _bindings(nodes: list[ast.AST]) -> list[tuple[set[str], ast.AST]]:
    """(names bound, the value bound) for assignments and ``with ... as`` items."""
    out: list[tuple[set[str], ast.AST]] = []
    for node in nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names:
                out.append((names, node.value))
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            out.append(({node.optional_vars.id}, node.context_expr))
    return out


def artefact_names(nodes: list[ast.AST], known: frozenset[str] = frozenset()) -> frozenset[str]:
    """Names that hold a metrics artefact's path or an open handle on it: bound to a value
    that names one, or to a value built from such a name (``open(METRICS_PATH)``)."""
    found = set(known)
    bindings = _bindings(nodes)
    for _ in range(3):
        before = len(found)
        for names, value in bindings:
            used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            if artefact_path(value) or used & found:
                found |= names
        if len(found) == before:
            break
    return frozenset(found)


def reads_artefact(call: ast.Call, names: frozenset[str]) -> bool:
    """Whether a load call (``json.load(f)``, ``json.loads(p.read_text())``) reads one of
    ``names``: a handle or path of a metrics artefact."""
    func = call.func
    last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if last not in LOADS or not names:
        return False
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(call))
