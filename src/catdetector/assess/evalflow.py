"""Which names of a Python file hold an evaluation of the model, a prediction or a stored
value, read with ``ast`` (never run); ``evalgates`` decides what a gate is from them.

An evaluation is a value computed from the model's predictions (a name assigned from a
``.predict(...)`` call combined with something else), a metric function's result
(``accuracy_score``, ``mean_squared_error``, ``model.score(X, y)``, ``evaluate...(...)``,
``compute_metrics(...)``), a metric read from an evaluation artefact (``json.load`` of a metrics
file, ``run.get_metrics()``, ``run.data.metrics``), and anything derived from those. Names are
tracked per scope (a module, each function), flow-insensitively, to a fixpoint.
"""

from __future__ import annotations

import ast
import re

from catdetector.assess.artefactreads import artefact_names, reads_artefact
from catdetector.assess.pycalls import dotted

METRIC_CALLS = frozenset(
    {
        "accuracy_score", "balanced_accuracy_score", "f1_score", "fbeta_score",
        "precision_score", "recall_score", "roc_auc_score", "average_precision_score",
        "r2_score", "log_loss", "mean_squared_error", "mean_absolute_error",
        "mean_absolute_percentage_error", "root_mean_squared_error", "median_absolute_error",
        "explained_variance_score", "matthews_corrcoef", "cohen_kappa_score", "hamming_loss",
        "jaccard_score", "top_k_accuracy_score", "classification_report",
        "precision_recall_fscore_support", "confusion_matrix", "mean_squared_log_error",
        "get_metrics", "get_metric", "validate_evaluation_results",
        "cross_validate", "cross_val_score",
    }
)  # fmt: skip
_METRIC_PART_RE = re.compile(r"(?i)^(?:evaluate\w*|\w*_metrics?|\w*evaluation\w*)$")
_ARTEFACT_RE = re.compile(r"(?i)metric|eval|score")
LOADS = frozenset({"load", "safe_load", "loads", "read_json", "read_csv", "read_text"})
ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _bound(node: ast.AST) -> float | None:
    value = node.value if isinstance(node, ast.Constant) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def range_check(node: ast.Compare) -> bool:
    """``0 <= accuracy <= 1`` (or ``1 >= x >= 0``): the range every score lies in, which no
    model fails, so a sanity check of the metric's form and not a threshold on its value."""
    if len(node.ops) != 2:
        return False
    low, high = _bound(node.left), _bound(node.comparators[-1])
    if all(isinstance(o, (ast.Lt, ast.LtE)) for o in node.ops):
        return (low, high) == (0.0, 1.0)
    if all(isinstance(o, (ast.Gt, ast.GtE)) for o in node.ops):
        return (low, high) == (1.0, 0.0)
    return False


def threshold(node: ast.AST) -> bool:
    """An ordering comparison a model can fail (a score's own range check is none)."""
    return (
        isinstance(node, ast.Compare)
        and any(isinstance(o, ORDER) for o in node.ops)
        and not range_check(node)
    )
CLOSE_CALLS = frozenset({"isclose", "allclose", "assert_allclose", "approx",
                          "assert_array_almost_equal", "assert_almost_equal"})  # fmt: skip


def last_name(node: ast.Call) -> str:
    return dotted(node.func).rsplit(".", 1)[-1]


def is_prediction(node: ast.Call) -> bool:
    return "predict" in last_name(node).lower()


def is_metric(node: ast.Call) -> bool:
    """A metric function, a model's ``score(X, y)``, an evaluation call or a metrics read."""
    last = last_name(node)
    if last in METRIC_CALLS or _METRIC_PART_RE.match(last):
        return True
    if last == "score" and len(node.args) >= 2 and isinstance(node.func, ast.Attribute):
        return True
    if last in LOADS:  # json.load(open("metrics.json")), pd.read_json("eval/scores.json")
        strings = [
            n.value
            for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        return any(_ARTEFACT_RE.search(s) for s in strings if "/" in s or "." in s)
    return False


def names_in(node: ast.AST) -> set[str]:
    """Names and ``self.x`` attributes an expression reads."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            found.add(f"{sub.value.id}.{sub.attr}")
            if sub.attr == "metrics":  # run.data.metrics, result.metrics
                found.add("<metrics>")
    return found


def targets_of(node: ast.AST) -> set[str]:
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(
        node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor | ast.comprehension
    ):
        targets = [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        targets = [node.optional_vars]
    out: set[str] = set()
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                out.add(sub.id)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                out.add(f"{sub.value.id}.{sub.attr}")
    return out


def value_of(node: ast.AST) -> ast.AST | None:
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        return node.value
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return node.iter
    if isinstance(node, ast.withitem):
        return node.context_expr
    return None


def _seeds(value: ast.AST, artefacts: frozenset[str] = frozenset()) -> tuple[bool, bool]:
    """(an evaluation, a prediction) computed directly by ``value`` (``artefacts``: names
    that hold a metrics file's path or handle, ``artefactreads``)."""
    metric = prediction = False
    for sub in ast.walk(value):
        if isinstance(sub, ast.Call):
            metric = metric or is_metric(sub) or reads_artefact(sub, artefacts)
            prediction = prediction or is_prediction(sub)
        elif isinstance(sub, ast.Attribute) and sub.attr == "metrics":
            metric = True
    return metric, prediction


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
Returns = dict[str, frozenset[int]]  # a function of the file -> what it returns evaluated
WHOLE = -1  # the returned value itself (not one item of a returned tuple)


def _returned(nodes: list[ast.AST], returns: Returns) -> set[str]:
    """Names unpacked from a call of a function that returns an evaluation, by position:
    ``run_id, acc = train_model()`` makes ``acc`` one when ``train_model`` returns
    ``best_run_id, best_acc``."""
    found: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        positions = returns.get(dotted(node.value.func))
        if not positions:
            continue
        for target in node.targets:
            if WHOLE in positions or not isinstance(target, ast.Tuple):
                found |= targets_of(ast.Assign(targets=[target], value=node.value))
            else:
                found |= {
                    f"{e.id}" for i, e in enumerate(target.elts)
                    if i in positions and isinstance(e, ast.Name)
                }
    return found


def _evaluated_positions(value: ast.AST, flow: Flow) -> frozenset[int]:
    """Which items of a returned value are evaluations (``WHOLE`` for the value itself)."""
    if isinstance(value, ast.Tuple):
        return frozenset(i for i, e in enumerate(value.elts) if flow.evaluates(e))
    return frozenset({WHOLE}) if flow.evaluates(value) else frozenset()


def _scope_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of one scope (a module or a function), not those of functions inside it."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return out


def _predictors(nodes: list[ast.AST]) -> set[str]:
    """Names of the objects that predict (``model`` in ``model.predict(x)``)."""
    return {
        dotted(n.func.value)
        for n in nodes
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and is_prediction(n)
    }


def _only_reads(value: ast.AST, names: set[str]) -> bool:
    """Whether ``value`` only picks from ``names`` (``p[0]``, ``r.get("predictions")``)."""
    while isinstance(value, ast.Subscript | ast.Attribute | ast.Call):
        if isinstance(value, ast.Call):
            if not isinstance(value.func, ast.Attribute) or value.func.attr != "get":
                return False
            value = value.func
        value = value.value
    return dotted(value) in names


class Flow:
    """Names of one scope that hold an evaluation, a prediction or a stored value
    (flow-insensitive, to a fixpoint); ``shared`` carries ``self.x`` evaluations across
    the methods of a file."""

    def __init__(
        self,
        nodes: list[ast.AST],
        shared: set[str],
        returns: Returns | None = None,
        artefacts: frozenset[str] = frozenset(),
    ) -> None:
        self.returns = returns or {}
        artefacts = artefact_names(nodes, artefacts)
        self.evaluation: set[str] = {n for n in shared}
        self.prediction: set[str] = set()
        self.loaded: set[str] = set()  # values read from a stored file (differential tests)
        predictors = _predictors(nodes)
        assigns = [
            (targets, value)
            for node in nodes
            if (value := value_of(node)) is not None and (targets := targets_of(node))
        ]
        self.evaluation |= _returned(nodes, self.returns)
        self.evaluation |= {  # a step handed a metric: ``def promote(latest_metric: float)``
            n.arg for n in nodes if isinstance(n, ast.arg) and _METRIC_PART_RE.match(n.arg)
        }
        for targets, value in assigns:
            metric, prediction = _seeds(value, artefacts)
            if metric:
                self.evaluation |= targets
            if prediction:
                self.prediction |= targets
            elif any(isinstance(s, ast.Call) and last_name(s) in LOADS for s in ast.walk(value)):
                self.loaded |= targets - predictors  # a model loaded to predict is no value
        for _ in range(4):
            before = len(self.evaluation) + len(self.prediction) + len(self.loaded)
            for targets, value in assigns:
                used = names_in(value)
                if used & self.evaluation:
                    self.evaluation |= targets  # derived from a metric
                elif used & self.prediction:
                    if _only_reads(value, self.prediction):
                        self.prediction |= targets
                    elif used - self.prediction - predictors:
                        self.evaluation |= targets  # predictions compared with something
                if used & self.loaded and not _seeds(value)[1]:
                    self.loaded |= targets
            if len(self.evaluation) + len(self.prediction) + len(self.loaded) == before:
                break
        shared.update(n for n in self.evaluation if n.startswith("self."))

    def evaluates(self, node: ast.AST) -> bool:
        """Whether an expression uses an evaluation of the model (not a bare prediction)."""
        if names_in(node) & (self.evaluation | {"<metrics>"}):
            return True
        return any(
            isinstance(s, ast.Call) and (is_metric(s) or dotted(s.func) in self.returns)
            for s in ast.walk(node)
        )


def flows(tree: ast.Module) -> list[tuple[list[ast.AST], Flow]]:
    """Each scope's nodes and flow; ``self.x`` evaluations reach every method, and a call of
    a function of this file that returns an evaluation (``acc = train_model()``) is one."""
    scopes: list[ast.AST] = [tree, *(n for n in ast.walk(tree) if isinstance(n, _SCOPES))]
    shared: set[str] = set()
    known = artefact_names(_scope_nodes(tree))  # module-level paths reach every function
    flows = [(nodes, Flow(nodes, shared, None, known)) for nodes in map(_scope_nodes, scopes)]
    returns: Returns = {}
    for scope, (nodes, flow) in zip(scopes, flows, strict=True):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in nodes:
                value = node.value if isinstance(node, ast.Return) else None
                if value is not None and (found := _evaluated_positions(value, flow)):
                    returns[scope.name] = returns.get(scope.name, frozenset()) | found
    if not shared and not returns:
        return flows
    return [(nodes, Flow(nodes, shared, returns, known)) for nodes, _ in flows]


def parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
