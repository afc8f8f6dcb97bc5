"""Skew through a fitted transformer that serving never applies (data flow read with ``ast``).

Training fits a transformer (``StandardScaler``, ``OneHotEncoder``, ``TfidfVectorizer``, a
tokenizer's ``fit_on_texts``...) and fits the model on its output: the model only knows
transformed inputs. The flow is followed within the project: a name assigned the output of
``t.fit_transform(...)``/``t.transform(...)``/``t.texts_to_sequences(...)``, names assigned
from it, values a project function returns and the names its callers unpack, arguments
handed to a project function's parameters, up to ``model.fit(X, ...)``. When serving code
exists and never applies the transformer (no ``transform``/``texts_to_sequences`` call, no
mention of the transformer's class, variable or saved file), the served model is called on
raw inputs: skew on positive evidence. A scikit-learn ``Pipeline`` that holds the transformer
and the model has no separate transformer to forget (it is never fit apart).
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.runfolders import parsed
from catdetector.assess.waysback import PREPROCESSING_CLASS_RE

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

APPLY = frozenset({"fit_transform", "transform", "texts_to_sequences", "texts_to_matrix"})
FITS = frozenset({"fit_on_texts", "fit", "fit_transform", "adapt"})


@dataclass
class _Flow:
    """Names carrying transformed data, per function (``(path, function)``)."""

    tainted: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    returns: set[str] = field(default_factory=set)  # project functions returning it
    params: dict[str, set[int]] = field(default_factory=dict)  # function -> positions
    origin: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # class, path, line
    # frames a transformer wrote only some columns of (``df['y'] = le.fit_transform(...)``)
    columns: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    whole: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # tainted as a whole


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _targets(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n for t in targets for n in _names(t)}


def _scopes(tree: ast.Module) -> list[tuple[str, ast.AST, list[str]]]:
    out: list[tuple[str, ast.AST, list[str]]] = [("<module>", tree, [])]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node.name, node, [a.arg for a in node.args.args if a.arg != "self"]))
    return out


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The scope's statements' nodes, without nested functions' bodies."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda n: getattr(n, "lineno", 0))


def _column(target: ast.expr) -> tuple[str, str] | None:
    """(frame, column) of a target ``df['col']``."""
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
    ):
        return target.value.id, target.slice.value
    return None


def _mark(flow: _Flow, key: tuple[str, str], node: ast.Assign | ast.AnnAssign) -> None:
    """Record which targets a transformer's output taints whole, which in some columns."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if (col := _column(target)) is not None:
            flow.columns.setdefault(key, {}).setdefault(col[0], set()).add(col[1])
        else:
            flow.whole.setdefault(key, set()).update(_names(target))


def _carried(flow: _Flow, key: tuple[str, str], value: ast.expr, tainted: set[str]) -> bool:
    """Whether ``value`` carries transformed data. A frame a transformer wrote only some
    columns of does not pass them on through ``df.drop(those columns)`` (a label encoded
    in place and dropped from the features never reaches the model's inputs)."""
    used = _names(value) & tainted
    whole = flow.whole.get(key, set())
    for frame, cols in flow.columns.get(key, {}).items():
        if frame in used and frame not in whole and _drops(value, frame, cols):
            used.discard(frame)
    return bool(used)


def _drops(value: ast.expr, frame: str, cols: set[str]) -> bool:
    """Whether ``frame`` appears in ``value`` only as ``frame.drop(...)`` naming all of
    ``cols`` or as ``frame['other']``, a column it did not write."""
    uses = [n for n in ast.walk(value) if isinstance(n, ast.Name) and n.id == frame]
    clean = 0
    for node in ast.walk(value):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "drop" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == frame
            and cols <= {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)}
        ):  # fmt: skip
            clean += 1
        elif isinstance(node, ast.Subscript) and (col := _column(node)) is not None:
            clean += col[0] == frame and col[1] not in cols
    return clean == len(uses)


def _split_targets(
    node: ast.Assign | ast.AnnAssign, call: ast.Call
) -> list[tuple[ast.expr, set[str]]] | None:
    """``X_tr, X_te, y_tr, y_te = train_test_split(X, y)``: each array with the names of its
    two parts (scikit-learn returns a train and a test part per array, in order)."""
    target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
    if _name(call.func) != "train_test_split" or not isinstance(target, ast.Tuple):
        return None
    elts = target.elts
    if len(elts) != 2 * len(call.args) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return [(a, _names(elts[2 * i]) | _names(elts[2 * i + 1])) for i, a in enumerate(call.args)]


def _round(flow: _Flow, path: str, name: str, scope: ast.AST, params: list[str]) -> bool:
    key = (path, name)
    tainted = flow.tainted.setdefault(key, set())
    before = len(tainted)
    tainted.update(params[i] for i in flow.params.get(name, ()) if i < len(params))
    transformers: dict[str, str] = {}
    for node in _own_nodes(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call) and PREPROCESSING_CLASS_RE.search(_name(value.func)):
                transformers.update(dict.fromkeys(_targets(node), _name(value.func)))
                continue
            call = value if isinstance(value, ast.Call) else None
            owner = call.func.value if call and isinstance(call.func, ast.Attribute) else None
            held = sorted(_names(owner) & set(transformers)) if owner is not None else []
            if call and _name(call.func) in APPLY and held:  # `sc`, `encoders[c]`, `self.sc`
                for target in _targets(node):
                    flow.origin.setdefault(target, (transformers[held[0]], path, node.lineno))
                _mark(flow, key, node)
                tainted.update(_targets(node))
            elif call and (split := _split_targets(node, call)) is not None:
                for arg, outs in split:  # each array's train and test part carry it alone
                    if _carried(flow, key, arg, tainted):
                        flow.whole.setdefault(key, set()).update(outs)
                        tainted.update(outs)
            elif _carried(flow, key, value, tainted) or (
                call and _name(call.func) in flow.returns
            ):
                flow.whole.setdefault(key, set()).update(_targets(node))
                tainted.update(_targets(node))
        elif isinstance(node, ast.Return) and node.value is not None:
            if _names(node.value) & tainted:
                flow.returns.add(name)
        elif isinstance(node, ast.Call):
            for i, arg in enumerate(node.args):
                if _names(arg) & tainted and _name(node.func) not in FITS:
                    flow.params.setdefault(_name(node.func), set()).add(i)
    return len(tainted) != before


def fitted_on_transformed(f: Facts, units: list[CodeUnit]) -> list[tuple[str, str, int]]:
    """(transformer class, path, line) of each ``model.fit(X, ...)`` whose ``X`` carries a
    fitted transformer's output."""
    flow = _Flow()
    trees = [(u.path, t) for u in units if u.kind == "py" and (t := parsed(u.text))]
    scopes = [(path, *s) for path, tree in trees for s in _scopes(tree)]
    for _ in range(4):  # to a fixpoint through returns and parameters
        changed = [_round(flow, path, name, node, params) for path, name, node, params in scopes]
        if not any(changed):
            break
    found: list[tuple[str, str, int]] = []
    for path, name, scope, _params in scopes:
        tainted = flow.tainted.get((path, name), set())
        for node in _own_nodes(scope):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "fit"
                and node.args
                and _names(node.args[0]) & tainted
            ):
                origin = next(
                    (flow.origin[n] for n in _names(node.args[0]) if n in flow.origin), None
                )
                cls = origin[0] if origin else _any_origin(flow)
                found.append((cls, path, node.lineno))
    return found


def _any_origin(flow: _Flow) -> str:
    return next(iter(flow.origin.values()))[0] if flow.origin else "transformer"


def _applies(units: list[CodeUnit], cls: str) -> bool:
    words = {cls, *(w for w in ("scaler", "encoder", "vectori", "tokeni") if w in cls.lower())}
    return any(
        any(f".{m}(" in u.text for m in APPLY)
        or any(w in u.text or w.capitalize() in u.text for w in words)
        for u in units
    )


SAVES = ("dump", "save", "save_model", "log_model", "register_model", "log_artifact",
         "create_registered_model", "save_pretrained", "push_to_hub")  # fmt: skip
GENERIC = frozenset({"model", "models", "latest", "production", "staging", "champion"})


def _strings(node: ast.AST, assigned: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            found.add(sub.value)
        elif isinstance(sub, ast.Name) and sub.id in assigned:
            found.add(assigned[sub.id])
    return found


def _artifact_names(values: set[str]) -> set[str]:
    """Names that can tie a save to a load: file basenames and model names (not generic)."""
    out = set()
    for value in values:
        for part in (value, posixpath.basename(value.rstrip("/"))):
            part = part.strip("_/ ")
            if len(part) >= 6 and " " not in part and part.lower() not in GENERIC:
                out.add(part)
    return out


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        t.id: n.value.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Constant)
        and isinstance(n.value.value, str)
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def saved_names(units: list[CodeUnit]) -> set[str]:
    """What training saves, logs or registers its model as (paths, registered names)."""
    found: set[str] = set()
    for unit in units:
        tree = parsed(unit.text) if unit.kind == "py" else None
        if tree is None:
            continue
        assigned = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func).endswith(SAVES):
                found |= _strings(node, assigned)
    return _artifact_names(found)


def mentioned_names(units: list[CodeUnit]) -> set[str]:
    """Every string the serving side names (what it may load)."""
    found: set[str] = set()
    for unit in units:
        tree = parsed(unit.text) if unit.kind == "py" else None
        if tree is not None:
            found |= _strings(tree, {})
    return _artifact_names(found)


def serving_side(f: Facts, served: list[CodeUnit]) -> list[CodeUnit]:
    """Serving code and the project modules it imports (three hops)."""
    by_module: dict[str, list[CodeUnit]] = {}
    for unit in f.source_units:
        if unit.kind == "py" and not AUX_PATH_RE.search(unit.path):
            stem = unit.path[:-3].replace("/", ".").removesuffix(".__init__")
            for i in range(stem.count(".") + 1):
                by_module.setdefault(stem.split(".", i)[-1], []).append(unit)
    side = {u.path: u for u in served}
    frontier = list(served)
    for _ in range(3):
        nxt: list[CodeUnit] = []
        for unit in frontier:
            for name in unit.imports:
                for other in by_module.get(name, []):
                    if other.path not in side:
                        side[other.path] = other
                        nxt.append(other)
        frontier = nxt
    return list(side.values())


def fitted_transformer_skew(
    f: Facts, training: list[CodeUnit], serving: list[CodeUnit]
) -> list[Evidence]:
    """A model fit on a fitted transformer's output, served by code that loads that model
    (a saved file or registered name both sides name) and never applies the transformer."""
    served = [u for u in serving if u.is_serving and not AUX_PATH_RE.search(u.path)]
    if not served:
        return []
    units = [u for u in training if not AUX_PATH_RE.search(u.path)]
    side = serving_side(f, served)
    mentioned = mentioned_names(side)
    for cls, path, line in fitted_on_transformed(f, units):
        fitting = [u for u in units if u.path == path]
        if not saved_names(fitting) & mentioned or _applies(side, cls):
            continue
        detail = (
            f"the model is fit on the output of a fitted {cls}, but the serving code "
            f"({served[0].path}) loads the model and never loads or applies the {cls}: "
            "predictions are made on raw inputs"
        )
        return [Evidence(path, line, detail)]
    return []
