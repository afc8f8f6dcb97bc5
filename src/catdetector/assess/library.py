"""A library of ML tools: ML code for others to call, with no training run of its own.

Such a repository (a trainer class, dataset adapters, a plugin) is not an ML project: it
has no model, data or pipeline whose maturity could be rated, so ``assess`` calls it
"not applicable" (committed secrets and large binaries are still reported). It is one
only when every sign of a project is absent: a package is declared (pyproject, setup.py,
setup.cfg), nothing declares a pipeline or runs training from CI, no model or data file
lies outside tests, docs and examples, nothing serves or loads a hub model by name, and
every piece of training code trains only inside functions and methods (no notebook, no
``__main__`` guard, no command-line decorator, no training call run on import), and no entry
point of its own trains or prepares data with it (a ``__main__``, a Hydra, typer or click
command that imports the training code, or imports its package and reads or writes data).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.code import CodeUnit
from catdetector.assess.codepatterns import TEST_PATH_RE
from catdetector.assess.pycalls import dotted, parse_python
from catdetector.assess.registry import hub_models

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts
    from catdetector.assess.model import Evidence

PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
ENTRY_DECORATORS = frozenset({"command", "main", "group", "callback", "flow", "task", "job"})
TRAIN_CALLS = frozenset({"fit", "train", "step", "fit_generator", "partial_fit", "train_model",
                         "fit_model", "main", "run", "cli", "app"})  # fmt: skip
LIBRARY_NOTE = (
    "an ML library: training code only inside functions and methods for others to call, and "
    "no training run, pipeline, dataset, model or serving of its own: not applicable"
)


def _production(path: str) -> bool:
    return not (AUX_PATH_RE.search(path) or TEST_PATH_RE.search(path))


_SCRIPT_RE = re.compile(r"[\w./-]+\.(?:py|ipynb)\b")


def _example(f: Facts, ev: Evidence) -> bool:
    """Whether a pipeline shows only the library's examples: its definition lies under
    tests, docs or examples, or it is CI's training and every script the training command
    names does (``python examples/x/train.py run``): a demonstration of the library."""
    if ev.detail != "training that CI runs":
        return ev.file is not None and not _production(ev.file)
    command = f.ci_training
    scripts = _SCRIPT_RE.findall(command.text) if command is not None else []
    return bool(scripts) and not any(_production(s) for s in scripts)


def _library_code(unit: CodeUnit) -> bool:
    """Training code that runs only when a caller calls it."""
    py = unit.py
    if unit.kind != "py" or not py.parsed or "__main__" in unit.text:
        return False
    if any(name.rsplit(".", 1)[-1] in ENTRY_DECORATORS for _, name in py.decorators):
        return False
    for call in py.calls:
        if call.in_function:
            continue
        last = call.name.rsplit(".", 1)[-1]
        if last in TRAIN_CALLS or (call.name in py.functions and _trains(unit, call.name)):
            return False  # run on import: a script
    return True


def _trains(unit: CodeUnit, name: str) -> bool:
    """Whether the module-level function ``name`` calls a training (or entry) call: a
    helper run on import that patches a class or registers a handler trains nothing."""
    tree = parse_python(unit.text)
    for node in tree.body if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return any(
                isinstance(sub, ast.Call) and dotted(sub.func).rsplit(".", 1)[-1] in TRAIN_CALLS
                for sub in ast.walk(node)
            )
    return True  # defined twice or not found at the top: as before, a script


def is_library(f: Facts) -> bool:
    """Whether the repository is a library of ML tools with no project of its own."""
    if not any(_production(i.path) for i in f.named(*PACKAGE_FILES)):
        return False
    if any(not _example(f, e) for e in f.pipelines) or f.stages or f.job_specs:
        return False
    if any(_production(m.path) for m in f.model_files):
        return False
    if any(_production(i.path) for i in f.ml_data_files):
        return False
    if any(_production(u.path) for u in f.serving_units) or hub_models(f):
        return False
    training = [u for u in f.training_units if _production(u.path)]
    if not all(_library_code(u) for u in training):
        return False
    return not _entry_reaches_training(f, training)


def _module(path: str) -> str:
    return path[:-3].removesuffix("/__init__").replace("/", ".")


def _absolute(unit: CodeUnit, name: str) -> str:
    """An import as a dotted module path from the root (relative ones resolved)."""
    dots = len(name) - len(name.lstrip("."))
    if not dots:
        return name
    base = _module(unit.path).split(".")
    base = base[: len(base) - dots] if not unit.path.endswith("__init__.py") else base
    return ".".join([*base, name[dots:]] if name[dots:] else base)


_DATA_IO = ("read_csv", "read_parquet", "read_json", "read_excel", "read_sql", "read_table",
            "read_feather", "to_csv", "to_parquet", "to_json", "to_feather", "to_pickle",
            "load_dataset", "save_to_disk")  # fmt: skip


def _prepares_data(unit: CodeUnit, packages: set[str]) -> bool:
    """Whether an entry point prepares data with the repository's own package: it imports
    a package that holds training code and reads or writes a dataset itself."""
    imported = {_absolute(unit, n).removeprefix("src.").split(".")[0] for n in unit.py.imports}
    if not imported & packages:
        return False
    return any(call.name.rsplit(".", 1)[-1] in _DATA_IO for call in unit.py.calls)


def _entry_reaches_training(f: Facts, training: list[CodeUnit]) -> bool:
    """Whether a command-line entry point (a ``__main__`` guard or module, a CLI command, a
    console script) imports the training code, or prepares data with the package that holds
    it: then the repository runs its own data preparation or training, it is a project."""
    modules = {_module(u.path) for u in training}
    packages = {m.removeprefix("src.").split(".")[0] for m in modules if "." in m}
    scripts = " ".join(i.text or "" for i in f.named(*PACKAGE_FILES) if _production(i.path))
    named = {n for m in modules for n in (m, m.removeprefix("src.")) if "." in n}
    if any(n + ":" in scripts for n in named):
        return True  # `train = "pkg.training:main"` in [project.scripts] or entry_points
    for unit in f.source_units:
        py = unit.py
        if unit.kind != "py" or not _production(unit.path) or not py.parsed:
            continue
        entry = "__main__" in unit.path or "__main__" in unit.text or any(
            name.rsplit(".", 1)[-1] in ENTRY_DECORATORS for _, name in py.decorators
        )
        if not entry:
            continue
        if _prepares_data(unit, packages):
            return True
        for name in py.imports:
            target = _absolute(unit, name)
            if any(m == target or m.endswith("." + target) or target.startswith(m + ".")
                   or m.endswith("." + target.rsplit(".", 1)[0]) for m in modules):  # fmt: skip
                return True
    return False
