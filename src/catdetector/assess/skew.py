"""Training-serving skew: environments that differ or float, preprocessing written twice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess.code import CodeUnit
from catdetector.assess.environment import env_skew
from catdetector.assess.fittedskew import fitted_transformer_skew
from catdetector.assess.model import Evidence, Severity, has_proof, proven
from catdetector.assess.text import Rx, snippet
from catdetector.assess.vocab import INFERENCE_NAME_RE

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


PREP_STMT_RE = Rx(
    r"resize\(|/\s*255|\bnormali[sz]e\(|img_to_array\(|\.astype\(|preprocess_input\(|"
    r"StandardScaler\(|\bmean\s*=|\bstd\s*=|tokeni[sz]e|\.convert\(\s*['\"]",
    0,
    (
        "resize(",
        "255",
        "ormali",
        "img_to_array",
        ".astype(",
        "preprocess_input",
        "StandardScaler",
        "mean",
        "std",
        "tokeni",
        ".convert(",
    ),
)




def training_side(f: Facts) -> list[CodeUnit]:
    """Training code and the project modules it imports (``utils.py``, ``data.py``...)."""
    return f.memo("training_side", lambda: _training_side(f))


def _training_side(f: Facts) -> list[CodeUnit]:
    training = [u for u in f.training_units if not u.is_serving]
    by_module: dict[str, list[CodeUnit]] = {}
    for unit in f.source_units:
        if unit.kind == "py":
            stem = unit.path[:-3].replace("/", ".")
            for i in range(stem.count(".") + 1):
                by_module.setdefault(stem.split(".", i)[-1], []).append(unit)
    side = {u.path: u for u in training}
    for unit in training:
        for name in unit.imports:
            for other in by_module.get(name, []):
                side.setdefault(other.path, other)
    return list(side.values())


def inference_side(f: Facts, training: list[CodeUnit]) -> list[CodeUnit]:
    """Code that predicts: serving code and CLI prediction scripts, outside the training side."""
    shared = {u.path for u in training}
    return [
        u
        for u in f.source_units
        if u.path not in shared
        and not u.is_training
        and (u.is_serving or (u.kind == "py" and INFERENCE_NAME_RE.search(u.path)))
    ]


def preprocessing_skew(f: Facts) -> list[Evidence]:
    """Preprocessing defined or copied in both training-side and prediction code."""
    return f.memo("preprocessing_skew", lambda: _preprocessing_skew(f))


def project_of(f: Facts, path: str) -> str:
    """The project a file belongs to: the nearest folder above it that holds an environment
    file (requirements, pyproject, Pipfile, conda...; "" for the root). A course of independent
    examples has one per example; training and serving of one project share it."""
    roots = f.memo("project_roots", lambda: sorted({s.project for s in f.env_specs}, key=len))
    return next((r for r in reversed(roots) if r and path.startswith(r + "/")), "")


PREP_NAME_RE = re.compile(
    r"preprocess|pre_process|transform|featuri[sz]|normali[sz]|resize|"
    r"prepare_(?:image|input|features?)|load_image|clean|encode",
    re.I,
)
PREP_PROOF = (
    "proof 1b: a preprocessing function defined in both training and serving code "
    "(re-implemented, read with ast)"
)
FITTED_PROOF = "proof 1c: a fitted transformer the served model needs, never applied in serving"
COPIED = " (a copied line may differ; not a function defined twice)"


def preprocessing_defs(unit: CodeUnit) -> dict[str, tuple[str, int]]:
    """Preprocessing functions a unit defines at module level (also under a module-level
    ``if``/``try``), read with ``ast`` (name lower-cased -> (name, line)). Methods are not functions
    of the project (every scikit-learn transformer has a ``transform``), nor are local
    helpers inside another function."""
    import ast

    tree = unit.tree
    found: dict[str, tuple[str, int]] = {}
    todo: list[ast.stmt] = list(tree.body) if tree is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if PREP_NAME_RE.search(node.name):
                found[node.name.lower()] = (node.name, node.lineno)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            todo.extend(node.body)
            todo.extend(getattr(node, "orelse", []))
            todo.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                todo.extend(handler.body)
    return found


def _preprocessing_skew(f: Facts) -> list[Evidence]:
    ev: list[Evidence] = []
    train_defs: dict[tuple[str, str], tuple[CodeUnit, int]] = {}
    train_stmts: dict[tuple[str, str], tuple[CodeUnit, int]] = {}
    training = training_side(f)
    serving = inference_side(f, training)
    for unit in training:
        project = project_of(f, unit.path)
        for name, (_, number) in preprocessing_defs(unit).items():
            train_defs.setdefault((project, name), (unit, number))
        for number, line in unit.find(PREP_STMT_RE):
            train_stmts.setdefault((project, " ".join(line.split())), (unit, number))
    for unit in serving:
        project = project_of(f, unit.path)
        defs = preprocessing_defs(unit)
        for name, (written, number) in sorted(defs.items(), key=lambda item: item[1][1]):
            other = train_defs.get((project, name))
            if other:
                found = unit.evidence(
                    number,
                    f"preprocessing `{written}` re-implemented in "
                    f"{'serving' if unit.is_serving else 'prediction'} code "
                    f"(also defined in {other[0].path})",
                )
                ev.append(proven(found, PREP_PROOF))
        if ev:
            continue
        for number, line in unit.find(PREP_STMT_RE):
            key = (project, " ".join(line.split()))
            if key in train_stmts and not key[1].startswith(("import", "from")):
                other_unit = train_stmts[key][0]
                ev.append(
                    unit.evidence(
                        number,
                        f"preprocessing copied from {other_unit.path}: {snippet(line)}{COPIED}",
                    )
                )
                break
    return ev


def training_serving_skew(f: Facts) -> list[Evidence]:
    """Environments that differ or float, or preprocessing written twice."""
    if not (f.training_units or f.serving_units or f.model_files or f.stages):
        return []
    return env_skew(f) + preprocessing_skew(f) or fitted_skew(f)


def fitted_skew(f: Facts) -> list[Evidence]:
    """A fitted transformer the served model needs and serving never applies."""

    def compute() -> list[Evidence]:
        training = training_side(f)
        found = fitted_transformer_skew(f, training, inference_side(f, training))
        return [proven(e, FITTED_PROOF) for e in found]

    return f.memo("fitted_skew", compute)


def skew_fix(f: Facts) -> str | None:
    """The fix in the repository's terms when the only skew is a forgotten transformer."""
    if env_skew(f) or preprocessing_skew(f) or not fitted_skew(f):
        return None
    return (
        "Ship the fitted transformer with the model: fit one scikit-learn Pipeline "
        "(transformer + model) and save that, or save the fitted transformer beside the model "
        "and load and apply it in serving before `predict`."
    )


def skew_severity(f: Facts, evidence: list[Evidence]) -> Severity:
    """Critical only on a structural proof that serving computes something else than
    training: (1a) the environment that serves the model and training's pin different
    versions of a package that changes predictions; (1b) a preprocessing function defined in
    both training and serving code (``ast``); (1c) a fitted transformer the served model
    needs that serving never applies. Anything else (one side floating, a package absent on
    one side, a web framework pinned twice, a copied line, no environment file) is high:
    serving may differ, and ``no-lock-file`` names the unpinned installs."""
    return "critical" if has_proof(evidence) else "high"
