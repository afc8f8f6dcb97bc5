"""Python read with ``ast`` (never run): the calls, decorators and base classes a file names.

A call is named by its dotted callee as written (``mlflow.register_model``,
``Model.register``, ``LabelEncoder().fit`` becomes ``LabelEncoder().fit``), with
its line and the keyword names and string arguments it passes. A file that does
not parse (a notebook with a stray magic, Python 2) is retried with the offending
lines blanked, a few times, so one bad cell does not hide the rest.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

MAX_RETRIES = 12


@dataclass(frozen=True)
class Call:
    """One call: its dotted name, line, keyword names and string literal arguments."""

    name: str
    line: int
    keywords: frozenset[str] = frozenset()
    strings: tuple[str, ...] = ()
    from_params: frozenset[str] = frozenset()  # arguments ("0", "1", "path"...) a caller gives
    in_function: bool = False  # inside a function or method body (not run on import)
    args: tuple[str, ...] = ()  # positional arguments as dotted names ("?" for other values)

    def named(self, *suffixes: str) -> bool:
        """Whether the callee is, or ends with, one of these dotted names."""
        return any(self.name == s or self.name.endswith("." + s) for s in suffixes)


@dataclass
class PyFacts:
    """What one Python text names: calls, decorators, class bases, functions defined."""

    calls: list[Call] = field(default_factory=list)
    decorators: list[tuple[int, str]] = field(default_factory=list)
    bases: list[tuple[int, str, str]] = field(default_factory=list)  # line, class, base
    functions: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)  # modules, and ``pkg.name`` of from-imports
    decorated: dict[str, list[str]] = field(default_factory=dict)  # function -> decorators
    parsed: bool = False


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain; ``X().m`` for a method of a call result."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{dotted(node.value)}[]"
    return "?"


def parse_python(text: str) -> ast.Module | None:
    """The module ``text`` holds, its lines that do not parse blanked (a few at most: a
    template tag, a notebook magic); None when it still does not parse."""
    lines = text.splitlines()
    for _ in range(MAX_RETRIES):
        try:
            return ast.parse("\n".join(lines))
        except SyntaxError as exc:
            bad = (exc.lineno or 0) - 1
            if not 0 <= bad < len(lines) or not lines[bad]:
                return None
            lines[bad] = ""
        except (ValueError, RecursionError, MemoryError):
            return None
    return None


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    a = node.args
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x)]
    return {n.arg for n in names}


def _from_params(value: ast.AST, params: set[str]) -> bool:
    """Whether ``value`` is built from a parameter of the enclosing function or an attribute
    of ``self``/``cls`` (``path``, ``self.ckpt_path``, ``os.path.join(out_dir, 'm.pt')``)."""
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id in params - {"self", "cls"}:
            return True
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
            and node.value.id in params
            and any(word in node.attr.lower() for word in ("path", "dir", "file"))
        ):
            return True
    return False


def _calls(tree: ast.AST, facts: PyFacts) -> None:
    """Every call, with the arguments built from the enclosing function's parameters."""
    stack: list[tuple[ast.AST, set[str], bool]] = [(tree, set(), False)]
    while stack:
        node, params, inside = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params, inside = params | _params(node), True
        elif isinstance(node, ast.Lambda):
            inside = True
        if isinstance(node, ast.Call):
            values = [*node.args, *(k.value for k in node.keywords)]
            strings = tuple(
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            keywords = frozenset(k.arg for k in node.keywords if k.arg)
            given = frozenset(
                [str(i) for i, v in enumerate(node.args) if params and _from_params(v, params)]
                + [k.arg for k in node.keywords if k.arg and _from_params(k.value, params)]
            )
            args = tuple(dotted(a) for a in node.args)
            facts.calls.append(
                Call(dotted(node.func), node.lineno, keywords, strings, given, inside, args)
            )
        stack.extend((child, params, inside) for child in ast.iter_child_nodes(node))


def read_python(text: str) -> PyFacts:
    """The calls, decorators and class bases of ``text`` (empty when it does not parse)."""
    facts = PyFacts()
    tree = parse_python(text)
    if tree is None:
        return facts
    facts.parsed = True
    _calls(tree, facts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            facts.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):  # relative ones keep their dots: ".train"
            module = "." * node.level + (node.module or "")
            if module:
                facts.imports.add(module)
            sep = "" if module.endswith(".") else "."
            facts.imports.update(f"{module}{sep}{alias.name}" for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            facts.functions.add(node.name)
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                facts.decorators.append((deco.lineno, dotted(target)))
                facts.decorated.setdefault(node.name, []).append(dotted(target))
            if isinstance(node, ast.ClassDef):
                facts.bases.extend((node.lineno, node.name, dotted(b)) for b in node.bases)
    facts.calls.sort(key=lambda c: c.line)
    return facts


def docstring_lines(text: str) -> set[int]:
    """Line numbers inside the docstrings of a module, its classes and functions."""
    tree = parse_python(text)
    lines: set[int] = set()
    if tree is None:
        return lines
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines
