"""Lines of a Python file that run nothing: docstrings and comment-only lines.

A Python file that CI runs is read line by line for the commands it runs
(``subprocess.run("dvc repro")``); its docstring's usage notes (``pytest tests/test_model.py``)
and its comments are text about the file, not steps CI takes. Docstrings are found with
``ast``; a file that does not parse keeps all its lines.
"""

from __future__ import annotations

import ast

from catdetector.assess.pycalls import docstring_lines, parse_python


def not_run_lines(text: str) -> set[int]:
    """Numbers (from 1) of the docstring and comment-only lines of Python ``text``."""
    lines = {n for n, ln in enumerate(text.splitlines(), 1) if ln.lstrip().startswith("#")}
    return lines | docstring_lines(text)


def _is_main_guard(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def runs_own_tests(text: str) -> bool:
    """Whether a test file, run as a script, runs its tests: it defines ``test_*`` functions
    and its ``if __name__ == "__main__":`` block calls a function it defines."""
    tree = parse_python(text)
    if tree is None:
        return False
    defined = {
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    if not any(name.startswith("test") for name in defined):
        return False
    for node in tree.body:
        if _is_main_guard(node):
            calls = [s for s in ast.walk(node) if isinstance(s, ast.Call)]
            if any(isinstance(c.func, ast.Name) and c.func.id in defined for c in calls):
                return True
    return False
