"""Ways back by structure: saves into a per-run folder, and stores the pipeline deletes.

* **A per-run destination keeps versions.** A save whose destination is built (read with
  ``ast``, through the names it is assigned from and the project functions that return it,
  up to three steps) from a timestamp (``datetime.now()``, ``strftime``, ``time.time()``), a
  uuid, a run id or run name, a version or a git sha, or a tracked run's artifact folder
  (``mlflow.get_artifact_uri()``, ``wandb.run.dir``), writes each run beside the others:
  the previous model is still there.
* **A way back the pipeline deletes is none.** ``bentoml models delete``, ``bentoml.models
  .delete(...)``, MLflow's ``delete_registered_model``/``delete_model_version``, or ``rm -rf``
  / ``shutil.rmtree`` of the folder models are saved to, in the project's own code or
  scripts, leave only the newest model.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.text import snippet

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

PER_RUN_CALLS = frozenset(
    {"now", "utcnow", "today", "strftime", "time", "time_ns", "uuid1", "uuid4", "isoformat",
     "get_artifact_uri", "token_hex", "getpid"}
)  # fmt: skip
PER_RUN_NAME_RE = re.compile(
    r"(?:^|_)(?:run_?id|run_?name|timestamp|ts|uuid|version|sha|git_?sha|commit|datetime|"
    r"artifact_uri|stamp)(?:$|_)",
    re.I,
)
PER_RUN_ENV_RE = re.compile(r"SHA|RUN_ID|BUILD_ID|VERSION|COMMIT|TIMESTAMP", re.I)
_DEPTH = 3


@functools.lru_cache(maxsize=256)
def parsed(text: str) -> ast.Module | None:
    """The module ``text`` parses to, or None (cached)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _assignments(tree: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, (ast.AnnAssign, ast.AugAssign))
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            found.setdefault(node.target.id, []).append(node.value)
    return found


class _Scope:
    """The project's functions (by name) and one module's assignments, to follow names."""

    def __init__(self, f: Facts, tree: ast.Module) -> None:
        self.f = f
        self.assigned = _assignments(tree)
        self.seen: set[str] = set()  # names followed in this scope
        self.functions: set[str] = set()  # project functions followed (shared)
        self.literals: set[str] = set()  # folders named on the way (shared)

    def function(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for unit in self.f.source_units:
            if unit.kind != "py" or f"def {name}(" not in unit.text:
                continue
            tree = parsed(unit.text)
            for node in ast.walk(tree) if tree else ():
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                    return node
        return None

    def per_run(self, node: ast.AST | None, depth: int = 0) -> bool:
        """Whether ``node`` is built from something that changes with every run."""
        if node is None or depth > _DEPTH:
            return False
        self.literals.update(
            sub.value.strip("./").rstrip("/")
            for sub in ast.walk(node)
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
        )
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and (
                PER_RUN_NAME_RE.search(sub.attr) or (sub.attr == "dir" and _is_wandb_run(sub))
            ):
                return True
            if isinstance(sub, ast.Name) and PER_RUN_NAME_RE.search(sub.id):
                return True
            if (
                isinstance(sub, ast.Constant)
                and isinstance(sub.value, str)
                and PER_RUN_ENV_RE.search(sub.value)
                and _env_read(node, sub)
            ):
                return True
            if isinstance(sub, ast.Call):
                func = sub.func
                last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if last in PER_RUN_CALLS:
                    return True
                if last and last not in self.functions and (fn := self.function(last)):
                    self.functions.add(last)
                    if self._returns_per_run(fn, depth + 1):
                        return True
            if isinstance(sub, ast.Name) and sub.id not in self.seen:
                self.seen.add(sub.id)
                if any(self.per_run(v, depth + 1) for v in self.assigned.get(sub.id, [])):
                    return True
        return False

    def _returns_per_run(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> bool:
        inner = _Scope(self.f, ast.Module(body=fn.body, type_ignores=[]))
        inner.functions, inner.literals = self.functions, self.literals
        return any(
            isinstance(n, ast.Return) and inner.per_run(n.value, depth) for n in ast.walk(fn)
        )


def _is_wandb_run(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Attribute) and node.value.attr == "run"


def _env_read(root: ast.AST, const: ast.Constant) -> bool:
    """Whether ``const`` names an environment variable read (``os.getenv("X")``,
    ``os.environ["X"]``) within ``root``."""
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and const in node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("getenv", "get"):
                return True
        if isinstance(node, ast.Subscript) and node.slice is const:
            return isinstance(node.value, ast.Attribute) and node.value.attr == "environ"
    return False


def per_run_save(f: Facts, unit: CodeUnit, line: int) -> bool:
    """Whether a save called on ``line`` of ``unit`` writes into a per-run destination (its
    arguments after the object saved: ``joblib.dump(m, dest)``, ``model.save(dest)``), and
    no folder on that destination is removed by the project (``rm -rf``, ``rmtree``)."""
    tree = parsed(unit.text) if unit.kind == "py" else None
    if tree is None:
        return False
    scope = _Scope(f, tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno != line:
            continue
        args = node.args[1:] if len(node.args) > 1 else node.args
        dests: list[ast.expr] = [*args, *(k.value for k in node.keywords if k.arg)]
        if any(scope.per_run(d) for d in dests):
            return not scope.literals & removed_folders(f)  # a run folder's parent removed
    return False


def removed_folders(f: Facts) -> set[str]:
    """Folders the project's code or scripts remove (``rm -rf d``, ``shutil.rmtree("d")``)."""
    return f.memo("removed_folders", lambda: _removed_folders(f))


def _removed_folders(f: Facts) -> set[str]:
    found: set[str] = set()
    for _path, text in _texts(f):
        for m in RMTREE_RE.finditer(text):
            found.add((m.group(1) or m.group(2)).strip("./").rstrip("/"))
    return found - {""}


def _texts(f: Facts) -> list[tuple[str, str]]:
    texts = [(u.path, u.text) for u in f.source_units]
    texts += [(i.path, i.text or "") for i in f.script_texts]
    return [(p, t) for p, t in texts if not AUX_PATH_RE.search(p)]


DELETE_STORE_RE = re.compile(
    r"\bbentoml\s+models\s+delete\s+(?:-\S+\s+)*[A-Za-z_][\w.-]*(?![\w.:${}-])|"
    r"\bbentoml\.models\.delete\(\s*['\"][\w.-]+['\"]|\bdelete_registered_model\("
)  # every version of a model (a name with no `:tag`), not one old version
RMTREE_RE = re.compile(
    r"\brm\s+-(?:rf|fr|r)\s+['\"]?([\w./-]+)|\bshutil\.rmtree\(\s*['\"]([\w./-]+)"
)


def deleted_stores(f: Facts) -> dict[str, Evidence]:
    """Lines of the project's code or scripts that delete every version in its model store
    (by kind: ``bentoml``, ``mlflow``), or a Dockerfile that writes the store while the image
    builds: a way back the pipeline itself removes, or keeps only inside one image."""
    return f.memo("deleted_stores", lambda: _deleted_stores(f))


_IMAGE_RUN_RE = re.compile(r"^\s*RUN\b.*?\bpython[\d.]*\s+(?:-m\s+([\w.]+)|([\w./-]+\.py))")
_STORE_SAVE_RE = re.compile(r"\bbentoml\.[\w.]*save_model\(")


def _built_stores(f: Facts) -> dict[str, Evidence]:
    """A BentoML store written by a script a Dockerfile ``RUN``s: it exists only inside that
    image (its way back is the image's tag, which ``ways_back`` judges)."""
    for info in f.index.texts():
        if not info.name.lower().startswith("dockerfile") or AUX_PATH_RE.search(info.path):
            continue
        for number, raw in enumerate((info.text or "").splitlines(), 1):
            if (m := _IMAGE_RUN_RE.search(raw)) is None:
                continue
            paths = f.modules.module(m.group(1), run=True) if m.group(1) else [m.group(2)]
            for path in paths:
                if _STORE_SAVE_RE.search(f.index.text(path) or ""):
                    detail = (
                        "the model store is written while the image builds, so it lives only "
                        f"in that image: {snippet(raw)}"
                    )
                    return {"bentoml": Evidence(info.path, number, detail)}
    return {}


def _deleted_stores(f: Facts) -> dict[str, Evidence]:
    found: dict[str, Evidence] = _built_stores(f)
    for path, text in _texts(f):
        if "delete" not in text:
            continue
        for number, raw in enumerate(text.splitlines(), 1):
            m = DELETE_STORE_RE.search(raw)
            if m is None or raw.lstrip().startswith("#"):
                continue
            kind = "bentoml" if "bentoml" in m.group(0) else "mlflow"
            detail = f"the pipeline deletes its stored models ({m.group(0)}): {snippet(raw)}"
            found.setdefault(kind, Evidence(path, number, detail))
    return found


def store_kind(detail: str) -> str:
    """Which store a way back's evidence names (``bentoml``, ``mlflow``, or other)."""
    low = detail.lower()
    return "bentoml" if "bentoml" in low else "mlflow" if "mlflow" in low else "other"
