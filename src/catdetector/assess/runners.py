"""Task runners: which file and task a command line invokes, and the commands of a task.

One row per runner (make is in ``follow``): the regex of its invocation, the files
that define its tasks, and a reader that returns a task's command lines with their
line numbers. Files are parsed (TOML, YAML, JSON), never run.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from catdetector.assess.pytasks import python_task_lines
from catdetector.assess.text import YAML_LOADER

Lines = list[tuple[int, str]]
_CHAIN = r"(?:^|[;&|(]\s*|\s)"
_ENTRY_RE = re.compile(r"^\s*([A-Za-z_][\w.]*):[A-Za-z_][\w.]*(?:\(.*\))?\s*$")


def _line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears in ``text`` (1 when it does not)."""
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _strings(value: Any) -> list[str]:
    """Command strings of a task value (a string, a list, or a table with run/cmd/shell)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        out: list[str] = []
        for key in ("run", "cmd", "cmds", "shell", "sequence", "cmd_run"):
            if key in value:
                out.extend(_strings(value[key]))
        for key in ("script", "call"):  # poe ``script = "pkg.mod:main"``, pdm ``call = ...``
            for item in _strings(value.get(key)):
                entry = _ENTRY_RE.match(item)
                out.append(f"python -m {entry.group(1)}" if entry else item)
        for dep in value.get("depends", []) if isinstance(value.get("depends"), list) else []:
            out.append(f"mise run {dep}" if isinstance(dep, str) else "")
        return out
    return []


def _table_lines(text: str, tasks: Any, name: str) -> Lines:
    if not isinstance(tasks, dict) or name not in tasks:
        return []
    lines: Lines = []
    for command in _strings(tasks[name]):
        for part in command.splitlines() or [command]:
            if part.strip():
                lines.append((_line_of(text, part.strip()), part.strip()))
    return lines


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return {}


def _dig(data: dict[str, Any], *keys: str) -> Any:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _mise(text: str, task: str) -> Lines:
    return _table_lines(text, _toml(text).get("tasks"), task)


def _poe(text: str, task: str) -> Lines:
    return _table_lines(text, _dig(_toml(text), "tool", "poe", "tasks"), task)


def _pdm(text: str, task: str) -> Lines:
    return _table_lines(text, _dig(_toml(text), "tool", "pdm", "scripts"), task)


def _hatch(text: str, task: str) -> Lines:
    envs = _dig(_toml(text), "tool", "hatch", "envs")
    lines: Lines = []
    if isinstance(envs, dict):
        env, _, script = task.rpartition(":")
        for name, body in envs.items():
            if env in ("", name) and isinstance(body, dict):
                lines.extend(_table_lines(text, body.get("scripts"), script))
    return lines


def _package_json(text: str, task: str) -> Lines:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    scripts = data.get("scripts") if isinstance(data, dict) else None
    names = [task, f"pre{task}", f"post{task}"]
    return [line for name in names for line in _table_lines(text, scripts, name)]


def _taskfile(text: str, task: str) -> Lines:
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, dict) or not isinstance(tasks.get(task), dict | list | str):
        return []
    body = tasks[task]
    lines: Lines = []
    for item in body.get("cmds", []) if isinstance(body, dict) else _strings(body):
        command = item.get("cmd") if isinstance(item, dict) else item
        if isinstance(item, dict) and isinstance(item.get("task"), str):
            command = f"task {item['task']}"
        if isinstance(command, str) and command.strip():
            lines.append((_line_of(text, command.strip()), command.strip()))
    for dep in body.get("deps", []) if isinstance(body, dict) else []:
        if isinstance(dep, str):
            lines.append((_line_of(text, dep), f"task {dep}"))
    return lines


_JUST_RECIPE_RE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:\s[^:=]*)?:(?!=)\s*(.*)$")


def _justfile(text: str, task: str) -> Lines:
    lines: Lines = []
    current = ""
    first = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t"):
            if current == task and line.strip() and not line.strip().startswith("#"):
                lines.append((number, line.strip().lstrip("@-")))
            continue
        m = _JUST_RECIPE_RE.match(line)
        current = m.group(1) if m else ""
        first = first or current
        if m and current == task:
            deps = [dep for dep in m.group(2).split() if dep.isidentifier()]
            lines.extend((number, f"just {dep}") for dep in deps)
    if not task and first:
        return _justfile(text, first)
    return lines


def _whole(text: str, task: str) -> Lines:
    """Files read whole (tox.ini): every non-blank line."""
    return [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]


def _python_tasks(text: str, task: str) -> Lines:
    """The task functions of ``tasks.py`` (invoke) or ``noxfile.py`` (nox; every session when
    no task is named), read with ``ast``: each call whose arguments are strings, as the
    command it runs (``c.run("python -m pkg.train")``, ``session.run("pytest")``); each
    import inside it or of a name it calls (``from src.models import run_training``), as an
    import line to follow; the tasks it calls. The whole file when no such task is found."""
    return python_task_lines(text, task) or _whole(text, task)


@dataclass(frozen=True)
class Runner:
    """One task runner: how it is invoked, where its tasks live, how a task is read."""

    name: str
    invocation: re.Pattern[str]
    files: tuple[str, ...]
    read: Callable[[str, str], Lines]


RUNNERS: tuple[Runner, ...] = (
    Runner("just", re.compile(_CHAIN + r"just\s+((?:-\S+\s+)*)([\w-]*)"),
           ("justfile", "Justfile", ".justfile"), _justfile),
    Runner("mise", re.compile(_CHAIN + r"mise\s+(?:run|r|x\s+--\s+\S+\s+run)\s+([\w:-]+)"),
           ("mise.toml", ".mise.toml", "mise/config.toml", ".config/mise.toml"), _mise),
    Runner("poe", re.compile(_CHAIN + r"(?:poe|poethepoet)\s+([\w:-]+)"),
           ("pyproject.toml",), _poe),
    Runner("pdm", re.compile(_CHAIN + r"pdm\s+run\s+([\w:-]+)"), ("pyproject.toml",), _pdm),
    Runner("hatch", re.compile(_CHAIN + r"hatch\s+run\s+([\w:.-]+)"), ("pyproject.toml",), _hatch),
    Runner("npm", re.compile(_CHAIN + r"(?:npm|pnpm|yarn)\s+(?:run(?:-script)?\s+)?([\w:-]+)"),
           ("package.json",), _package_json),
    Runner("task", re.compile(_CHAIN + r"task\s+((?:-\S+\s+)*)([\w:-]+)"),
           ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"), _taskfile),
    Runner("invoke", re.compile(_CHAIN + r"(?:invoke|inv)\s+([\w-]+)"), ("tasks.py",),
           _python_tasks),
    Runner("tox", re.compile(_CHAIN + r"tox\b()"), ("tox.ini",), _whole),
    Runner("nox", re.compile(_CHAIN + r"nox\b()"), ("noxfile.py",), _python_tasks),
)  # fmt: skip
_NPM_BUILTINS = frozenset({"install", "ci", "i", "add", "exec", "dlx", "npx", "init", "publish"})


def invoked(line: str) -> list[tuple[Runner, str]]:
    """(runner, task) for each task runner this command line invokes."""
    found: list[tuple[Runner, str]] = []
    for runner in RUNNERS:
        for m in runner.invocation.finditer(line):
            task = m.group(m.lastindex or 1) if m.lastindex else ""
            if runner.name == "npm" and task in _NPM_BUILTINS:
                continue
            found.append((runner, task))
    return found


def runner_for(path: str) -> Runner | None:
    """The runner whose task file ``path`` is (by its name)."""
    name = path.rsplit("/", 1)[-1]
    for runner in RUNNERS:
        if any(name == f.rsplit("/", 1)[-1] for f in runner.files):
            return runner
    return None
