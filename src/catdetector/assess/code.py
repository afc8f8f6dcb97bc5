"""Python files and notebooks as code units: imports, roles (training, serving, test)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

from catdetector.assess.codepatterns import (
    CONST_RE,
    IMPORT_RE,
    READ_RE,
    REQUEST_READ_RE,
    ROUTE_RE,
    SERVE_RE,
    STRING_RE,
    TEST_BODY_RE,
    TEST_PATH_RE,
    TRAIN_RE,
    WRITE_RE,
    looks_like_path,
)
from catdetector.assess.model import Evidence
from catdetector.assess.pycalls import PyFacts, parse_python, read_python
from catdetector.assess.scan import FileInfo, RepoIndex
from catdetector.assess.servicetrain import may_train_by_call, trains_by_call
from catdetector.assess.text import Rx, blank_strings, glob_root, line_numbers, normpath
from catdetector.assess.vocab import ML_MODULES, PREPROCESSING_FIT_RE, ROLE_MODULES, WEB_MODULES


def _imports(text: str) -> set[str]:
    names: set[str] = set()
    for m in IMPORT_RE.finditer(text):
        if m.group(1):
            names.add(m.group(1))
        else:
            names.update(n.strip() for n in m.group(2).split(","))
    return names


@dataclass
class CodeUnit:
    """A Python file or the code cells of a notebook."""

    path: str
    kind: str
    text: str
    cells: list[int] | None = None
    found: dict[tuple[int, bool], list[tuple[int, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def lines(self) -> list[str]:
        """The lines of code."""
        return self.text.splitlines()

    @cached_property
    def code(self) -> str:
        """The text with strings blanked and comments removed (for matching code only)."""
        return blank_strings(self.text)

    @cached_property
    def lower(self) -> str:
        """The text, lower-cased (for needle look-ups)."""
        return self.text.lower()

    def matches(self, regex: Rx) -> bool:
        """Whether ``regex`` matches the code (not inside strings or comments)."""
        if regex.search(self.text, self.lower) is None:
            return False
        return regex.regex.search(self.code) is not None

    def iter_code(self, regex: Rx) -> Iterator[tuple[int, re.Match[str]]]:
        """(line number, match) of each match in the code."""
        if regex.search(self.text, self.lower) is None:
            return iter(())
        return line_numbers(self.code, regex.regex)

    @cached_property
    def py(self) -> PyFacts:
        """Calls, decorators and class bases, read with ``ast``."""
        return read_python(self.text)

    @cached_property
    def tree(self) -> ast.Module | None:
        """The parsed code, once for every reader (None when it does not parse)."""
        return parse_python(self.text)

    @cached_property
    def imports(self) -> set[str]:
        """Dotted module names imported (not those quoted inside triple-quoted strings)."""
        names = _imports(self.text)
        top = {n.split(".", 1)[0] for n in names}
        if top & ROLE_MODULES and ('"""' in self.text or "'''" in self.text):
            names = _imports(self.code)
        return names

    @cached_property
    def top_imports(self) -> set[str]:
        """Top-level package names imported."""
        return {n.split(".", 1)[0] for n in self.imports}

    @cached_property
    def is_test(self) -> bool:
        """Whether the unit is test code."""
        return bool(TEST_PATH_RE.search(self.path))

    @cached_property
    def is_training(self) -> bool:
        """Whether the unit trains a model."""
        if self.is_test:
            return False
        if self.matches(TRAIN_RE):  # a request handler that scales its input fits no model
            fits = [PREPROCESSING_FIT_RE.search(line) for _, line in self.find(TRAIN_RE)]
            return not (self.is_serving and fits and all(fits))
        if may_train_by_call(self.text) and trains_by_call(
            self.imports | self.py.imports, self.py.calls
        ):  # a TF Estimator, a managed AutoML or SageMaker job (``servicetrain``)
            return True
        name = self.path.rsplit("/", 1)[-1].lower()
        return "train" in name and bool(self.top_imports & ML_MODULES)

    @cached_property
    def is_serving(self) -> bool:
        """Whether the unit serves predictions over the network."""
        if self.is_test:
            return False
        return bool(self.top_imports & WEB_MODULES) or self.matches(SERVE_RE)

    @cached_property
    def handles_requests(self) -> bool:
        """Whether the unit defines request handlers (routes) or reads requests."""
        return self.is_serving and (self.matches(ROUTE_RE) or self.matches(REQUEST_READ_RE))

    @cached_property
    def constants(self) -> dict[str, str]:
        """Module-level string constants (name -> literal), for path resolution."""
        return {m.group(1): m.group(2) for m in CONST_RE.finditer(self.text)}

    def evidence(self, line: int, detail: str) -> Evidence:
        """Evidence at a 1-based line of this unit (a cell number for notebooks)."""
        if self.cells is None:
            return Evidence(self.path, line, detail)
        cell = self.cells[line - 1] if 0 < line <= len(self.cells) else None
        prefix = f"cell {cell}: " if cell is not None else ""
        return Evidence(self.path, None, prefix + detail)

    def find(self, regex: Rx, *, raw: bool = False) -> list[tuple[int, str]]:
        """(line number, line) of each line where ``regex`` matches the code (or raw text)."""
        key = (id(regex), raw)
        cached = self.found.get(key)
        if cached is None:
            cached = self.found[key] = self._find(regex, raw)
        return cached

    def _find(self, regex: Rx, raw: bool) -> list[tuple[int, str]]:
        if regex.search(self.text, self.lower) is None:
            return []
        seen: set[int] = set()
        found: list[tuple[int, str]] = []
        lines = self.lines
        for number, _ in line_numbers(self.text if raw else self.code, regex.regex):
            if number not in seen and number <= len(lines):
                seen.add(number)
                found.append((number, lines[number - 1]))
        return found

    def path_literals(self, line: str) -> list[str]:
        """String literals on a line that look like paths, plus constants the line uses."""
        found = [s for s in STRING_RE.findall(line) if looks_like_path(s)]
        consts = self.constants
        if consts:
            for word in re.findall(r"[A-Za-z_]\w*", line):
                value = consts.get(word)
                if value is not None and looks_like_path(value):
                    found.append(value)
        return found


def notebook_unit(info: FileInfo) -> CodeUnit:
    """The code cells of a notebook, or (when the JSON is truncated) its strings."""
    text = info.text or ""
    try:
        nb = json.loads(text)
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
    except (ValueError, AttributeError, RecursionError):
        strings: list[str] = []
        for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
            try:
                strings.append(json.loads(f'"{m.group(1)}"'))
            except ValueError:
                continue
        return CodeUnit(info.path, "ipynb", "".join(strings), [])
    lines: list[str] = []
    owners: list[int] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        src = "".join(source) if isinstance(source, list) else str(source)
        for line in src.splitlines():
            if line.lstrip().startswith(("%", "!")):
                line = ""
            lines.append(line)
            owners.append(number)
    return CodeUnit(info.path, "ipynb", "\n".join(lines), owners)


def first_hit(unit: CodeUnit, regex: Rx) -> tuple[int, str] | None:
    """The first (line, text) where ``regex`` matches the code of ``unit``."""
    found = unit.find(regex)
    return found[0] if found else None


def paths_by_verb(
    units: list[CodeUnit], verb: Rx, *, strip_globs: bool = False
) -> dict[str, tuple[CodeUnit, int, str]]:
    found: dict[str, tuple[CodeUnit, int, str]] = {}
    for unit in units:
        for number, line in unit.find(verb, raw=True):
            if verb is READ_RE and WRITE_RE.search(line):
                continue
            for literal in unit.path_literals(line):
                path = normpath(glob_root(literal) if strip_globs else literal)
                if path:
                    found.setdefault(path, (unit, number, line))
    return found


T = TypeVar("T")


class CodeFacts:
    """Files and code units of one scanned repository (the base of ``Facts``)."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.notes: list[str] = []
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per repository (checks and the score share results)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    # -- files ----------------------------------------------------------------------------
    @cached_property
    def by_name(self) -> dict[str, list[FileInfo]]:
        """Files by lower-case base name."""
        out: dict[str, list[FileInfo]] = {}
        for info in self.index.files.values():
            out.setdefault(info.name.lower(), []).append(info)
        return out

    def named(self, *names: str) -> list[FileInfo]:
        """Files with any of these base names (case-insensitive)."""
        return [f for n in names for f in self.by_name.get(n.lower(), [])]

    @cached_property
    def code_units(self) -> list[CodeUnit]:
        """Python files and notebooks whose text was read."""
        units: list[CodeUnit] = []
        for info in self.index.texts():
            if info.suffix == ".py":
                units.append(CodeUnit(info.path, "py", info.text or ""))
            elif info.suffix == ".ipynb":
                units.append(notebook_unit(info))
        return units

    @cached_property
    def training_units(self) -> list[CodeUnit]:
        """Code that trains a model."""
        return [u for u in self.code_units if u.is_training]

    @cached_property
    def serving_units(self) -> list[CodeUnit]:
        """Code that serves predictions."""
        return [u for u in self.code_units if u.is_serving]

    @cached_property
    def test_units(self) -> list[CodeUnit]:
        """Test files that contain tests."""
        return [
            u
            for u in self.code_units
            if u.is_test and u.kind == "py" and TEST_BODY_RE.search(u.text, u.lower)
        ]

    @cached_property
    def source_units(self) -> list[CodeUnit]:
        """Code units that are not tests."""
        return [u for u in self.code_units if not u.is_test]

    @cached_property
    def config_texts(self) -> list[FileInfo]:
        """YAML, TOML, INI and CFG files that were read (not CI definitions)."""
        return [
            f
            for f in self.index.texts()
            if f.suffix in (".yaml", ".yml", ".toml", ".cfg", ".ini", ".json")
        ]
