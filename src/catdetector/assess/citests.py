"""Pipelines CI runs through a test: a pytest test that runs a project entry point by
subprocess (``subprocess.check_output([sys.executable, "run.py"])``, ``python -m pkg``, a
console script) and checks the outcome, or that hands a pipeline function of the project
to a helper that runs or submits it (``pipeline_e2e_test(xgboost_pipeline, ...)``).

Only test files a CI pytest command selects are read: its path arguments (``pytest
tests/e2e``; a path under a folder the checkout was put in, ``./local_checkout/tests``, is
read from the root), else the ``testpaths`` the pytest configuration names, else every test
file. Read with ``ast``; nothing is run.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

from catdetector.assess.follow import Command
from catdetector.assess.modules import Modules
from catdetector.assess.pycalls import dotted
from catdetector.assess.reexports import defining_files
from catdetector.assess.scan import RepoIndex
from catdetector.assess.text import normpath

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit

_PYTEST_RE = re.compile(r"(?:^|[\s;&|(/])(?:py\.test|pytest)\b(.*)")
_VALUED = {"-m", "-k", "-c", "-p", "-o", "-n", "--rootdir", "--junitxml", "--junit-xml",
           "--cov", "--cov-report", "--maxfail", "--durations", "--log-level", "--basetemp",
           "--ignore", "--deselect", "--dist", "-W", "--tb", "--confcutdir"}  # fmt: skip
_NAMES_PYTEST_RE = re.compile(r"\bpytest\b")
_TESTPATHS_RE = re.compile(r"(?m)^\s*testpaths\s*=\s*(\[[^\]]*\]|.+)$")
RUN_BY_TEST = "run by a test CI runs: "
_PIPELINE_RUN_RE = re.compile(  # a pipeline tool's run command (no file of the repository)
    r"^(?:\S*/)?(?:dvc\s+(?:repro|exp\s+run)|mlflow\s+run|kedro\s+run|snakemake|"
    r"zenml\s+pipeline\s+run)\b"
)
_CD_RE = re.compile(r"(?:^|[;&|(]\s*|\s)cd\s+([^\s;&|)$]+)")
_RUN_CALLS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
_CHECKS = frozenset({"check_call", "check_output"})
_PIPELINE_DECORATOR_RE = re.compile(r"(?m)^@\s*(?:[\w.]+\.)?(?:pipeline|flow|job|dag)\b")


def _test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _arguments(rest: str) -> tuple[list[str], dict[str, list[str]]] | None:
    """The paths a pytest command line names (``[]``: none) and its selecting options
    (``-m``, ``-k``, ``--ignore``); None when it cannot be read."""
    try:
        words = shlex.split(rest.split("&&")[0].split(";")[0].split("|")[0])
    except ValueError:
        return None
    paths: list[str] = []
    options: dict[str, list[str]] = {}
    held = ""
    for word in words:
        if held:
            options.setdefault(held, []).append(word)
            held = ""
        elif word in _VALUED:
            held = word
        elif word.startswith("--ignore="):
            options.setdefault("--ignore", []).append(word.split("=", 1)[1])
        elif not word.startswith("-") and "=" not in word:
            paths.append(word.split("::")[0])
    return paths, options


def _keeps(path: str, text: str, options: dict[str, list[str]]) -> bool:
    """Whether ``-m``/``-k``/``--ignore`` keep a test file (by its markers, its path and test
    names; an expression read as words: ``not x`` drops, any other word must be there)."""
    if any(path.startswith((normpath(i) or "").rstrip("/") + "/") or path == normpath(i)
           for i in options.get("--ignore", [])):  # fmt: skip
        return False
    for flag, has in (
        ("-m", lambda w: f"mark.{w}" in text),
        ("-k", lambda w: w.lower() in path.lower() or f"def test{w}" in text or w in text),
    ):
        for expr in options.get(flag, []):
            words = re.findall(r"[\w.]+", expr)
            dropped = {b for a, b in pairwise(words) if a == "not"}
            wanted = [w for w in words if w not in ("not", "and", "or") and w not in dropped]
            if any(has(w) for w in dropped) or (wanted and not any(has(w) for w in wanted)):
                return False
    return True


_VARIABLE_RE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\$\w+")


def _resolve(index: RepoIndex, path: str, cwd: str) -> list[str]:
    """The folders or files a path pytest is given names in the repository: from the folder
    the command moved to, else the longest tail of it (the repository checked out under a
    folder of its own). A variable left unknown (``tests/${TEMPLATE}/training``) stands for
    any one folder."""
    for base in dict.fromkeys((cwd, "")):
        parts = (normpath(path, base) or "").split("/")
        for i in range(len(parts)):
            tail = "/".join(parts[i:])
            if not tail:
                continue
            if "$" not in tail:
                if tail in index.files or tail in index.dirs:
                    return [tail]
                continue
            pattern = re.compile(
                "/".join(
                    "[^/]+" if _VARIABLE_RE.fullmatch(part) else re.escape(part)
                    for part in tail.split("/")
                )
                + "$"
            )
            found = [d for d in (*index.dirs, *index.files) if pattern.match(d)]
            if found:
                return sorted(found)
    return []


def _configured(index: RepoIndex) -> list[str]:
    """The ``testpaths`` of the pytest configuration (pyproject, pytest.ini, setup.cfg,
    tox.ini), else the root."""
    for name in ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"):
        m = _TESTPATHS_RE.search(index.text(name) or "")
        if m:
            return re.findall(r"[\w./-]+", m.group(1).replace("testpaths", "")) or [""]
    return [""]


def selected(index: RepoIndex, commands: list[Command]) -> dict[str, Command]:
    """Test files a CI pytest command selects -> the command."""
    chosen: dict[str, Command] = {}
    tests = [p for p in index.files if _test_file(p)]
    readable = False
    for command in commands:
        if command.file.endswith(".py") or not (m := _PYTEST_RE.search(command.text)):
            continue
        read = _arguments(m.group(1))
        if read is None:
            continue
        readable = True
        args, options = read
        moved = _CD_RE.findall(command.text[: m.start()])
        cwd = (normpath(moved[-1]) or "") if moved else ""
        folders = [r for a in args for r in _resolve(index, a, cwd)]
        if args and not folders:
            continue  # it names paths, none of them here
        for folder in folders or _configured(index):
            for path in tests:
                under = not folder or path.startswith(folder.rstrip("/") + "/")
                if (path == folder or under) and _keeps(path, index.text(path) or "", options):
                    chosen.setdefault(path, command)
    if not readable:  # pytest run only by a command built at run time (`bash -c "$cmd"`)
        named = [
            c for c in commands if not c.file.endswith(".py") and _NAMES_PYTEST_RE.search(c.text)
        ]
        for folder in _configured(index) if named else []:
            for path in tests:
                if not folder or path.startswith(folder.rstrip("/") + "/"):
                    chosen.setdefault(path, named[0])
    return chosen


def _lists(tree: ast.AST) -> dict[str, list[ast.expr]]:
    """Names assigned a list or tuple (``call = [sys.executable, "run.py"]``)."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = list(node.value.elts)
    return found


def _words(arg: ast.expr, lists: dict[str, list[ast.expr]]) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        try:
            return shlex.split(arg.value)
        except ValueError:
            return arg.value.split()
    elts = lists.get(arg.id, []) if isinstance(arg, ast.Name) else getattr(arg, "elts", [])
    return [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else "python"
            for e in elts]  # fmt: skip


def _checked(call: ast.Call, tree: ast.AST) -> bool:
    """Whether the run's outcome is checked: ``check_call``/``check_output``, ``check=True``,
    or an assert in the test file."""
    if dotted(call.func).rsplit(".", 1)[-1] in _CHECKS:
        return True
    if any(k.arg == "check" and getattr(k.value, "value", False) is True for k in call.keywords):
        return True
    return any(isinstance(n, ast.Assert) for n in ast.walk(tree))


def _runs_first_argument(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a function hands its first parameter to a subprocess run call (a test
    helper ``run(args, cwd)`` that runs ``[exe, *args[1:]]``)."""
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if not params:
        return False
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call) or not sub.args:
            continue
        name = dotted(sub.func)
        if name.startswith("subprocess.") and name[11:] in _RUN_CALLS:
            first = sub.args[0]
            if any(isinstance(n, ast.Name) and n.id == params[0] for n in ast.walk(first)):
                return True
    return False


def _helpers(index: RepoIndex, modules: Modules, tree: ast.Module, here: str) -> set[str]:
    """Functions a test calls, defined in it or imported from the repository, that run the
    command they are given in a subprocess."""
    found = {
        n.name for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and _runs_first_argument(n)
    }  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
            continue
        for path in modules.module(node.module, here):
            try:
                defined = ast.parse(index.text(path) or "")
            except (SyntaxError, ValueError, RecursionError):
                continue
            runners = {
                n.name for n in defined.body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                and _runs_first_argument(n)
            }  # fmt: skip
            found |= {a.asname or a.name for a in node.names if a.name in runners}
    return found


def _unique(modules: Modules, word: str) -> str | None:
    """The one file of the repository (outside tests) named ``word``: a script a test runs
    from the project it generated or copied."""
    name = word.rsplit("/", 1)[-1]
    found = [p for p in modules.by_name.get(name, []) if p.endswith(word) and not _test_file(p)]
    found = [p for p in found if "/tests/" not in f"/{p}"]
    return found[0] if len(found) == 1 else None


def _pipelines(index: RepoIndex, modules: Modules, tree: ast.Module, here: str) -> dict[str, str]:
    """Names a test imports from the project that are pipeline functions -> their file."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
            continue
        for path in modules.module(node.module, here):
            text = index.text(path) or ""
            for alias in node.names:
                # ``import *`` brings every public pipeline function of the module
                name = r"(?!_)\w+" if alias.name == "*" else re.escape(alias.name)
                pattern = rf"(?m)^@[^\n]*\n(?:@[^\n]*\n)*(?:async\s+)?def\s+({name})\s*\("
                for block in re.finditer(pattern, text):
                    if _PIPELINE_DECORATOR_RE.search(block.group(0)):
                        found[alias.asname or block.group(1)] = path
    return found


def _runs(index: RepoIndex, modules: Modules, path: str) -> Iterator[tuple[int, str, str]]:
    """(line, what, file) for each entry point or pipeline a test file runs."""
    try:
        tree = ast.parse(index.text(path) or "")
    except (SyntaxError, ValueError, RecursionError):
        return
    here = posixpath.dirname(path)
    lists = _lists(tree)
    pipelines = _pipelines(index, modules, tree, here)
    imported = any(  # ``from subprocess import check_output``
        isinstance(n, ast.ImportFrom) and n.module == "subprocess" for n in ast.walk(tree)
    )
    helpers = _helpers(index, modules, tree, here) if "(" in (index.text(path) or "") else set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        if node.args and (
            (name.startswith("subprocess.") and name[11:] in _RUN_CALLS)
            or (name in _RUN_CALLS and imported)
            or name in helpers
        ):
            words = _words(node.args[0], lists)
            if not words or not _checked(node, tree) or {"--help", "-h", "--version"} & set(words):
                continue  # `train.py --help` runs no training
            files = modules.command_files(words, [here, ""])
            script = next((w for w in words if w.endswith(".py")), None)
            if not files and script and (unique := _unique(modules, script)):
                files = [unique]
            for found in files:
                yield node.lineno, " ".join(words), found
            if not files and _PIPELINE_RUN_RE.match(" ".join(words)):
                yield node.lineno, " ".join(words), path  # the pipeline of a project it made
        else:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Name) and arg.id in pipelines:
                    yield node.lineno, f"{name}({arg.id}, ...)", pipelines[arg.id]


def test_runs(index: RepoIndex, commands: list[Command], modules: Modules) -> list[Command]:
    """Entry points and pipelines that tests CI runs execute, as commands CI runs (the file
    run, at line 1, reached through the test's line and the pytest command)."""
    out: list[Command] = []
    for path, command in selected(index, commands).items():
        for line, what, found in _runs(index, modules, path):
            via = f"{path}:{line} `{what[:60]}`, run from {command.where()}"
            at = line if found == path else 1  # a pipeline tool's run: the test's own line
            out.append(Command(found, at, f"{RUN_BY_TEST}{what[:80]}", via))
    return out


def imported_pipeline_run(
    index: RepoIndex, commands: list[Command], units: dict[str, CodeUnit], training: set[str]
) -> Command | None:
    """A Python file CI runs (or a test CI runs runs) that imports a training pipeline, through
    the packages that re-export it, and calls it (``training.with_options(...)()``)."""
    for command in commands:
        if command.file in training and command.text.startswith(RUN_BY_TEST):
            return Command(command.file, 1, "runs the training pipeline", command.via)
        unit = units.get(command.file)
        if unit is None or unit.is_test or not training:
            continue
        if not defining_files(set(index.files), index.text, command.file) & training:
            continue
        names = _imported_names(index.text(command.file) or "")
        if any(c.name.split(".")[0].split("(")[0] in names for c in unit.py.calls):
            return Command(command.file, 1, "runs the training pipeline", command.via)
    return None


def _imported_names(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    return {
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and not n.level
        for a in n.names
    }
