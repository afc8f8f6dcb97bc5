"""Code that a declared pipeline does not run: comments, the ``__main__`` block of a module
others import (the pipeline calls its functions), and scripts nothing names."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

_MAIN_RE = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""")


def _stem(unit: CodeUnit) -> str:
    return posixpath.splitext(posixpath.basename(unit.path))[0]


def _imported(f: Facts, unit: CodeUnit) -> bool:
    """Whether another file imports the module ``unit`` (``from pkg.mod import x``)."""
    name = re.escape(_stem(unit))
    pattern = re.compile(rf"(?m)^\s*(?:from\s+[\w.]*\b{name}\s+import|import\s+[\w.]*\b{name}\b)")
    return any(
        u.path != unit.path and pattern.search(u.text) for u in f.source_units if u.kind == "py"
    )


def _run(f: Facts, unit: CodeUnit) -> bool:
    """Whether some file runs ``unit`` as a script (``python src/x.py``, ``-m pkg.x``)."""
    name = re.escape(_stem(unit))
    pattern = re.compile(rf"\b{name}\.py\b|-m\s+[\w.]*\b{name}\b")
    return any(
        info.path != unit.path and pattern.search(info.text or "") for info in f.index.texts()
    )


def lines_not_run(f: Facts, unit: CodeUnit) -> set[int]:
    """Line numbers of ``unit`` that nothing runs: comment lines, and the ``__main__`` block
    of a module another file imports, when a declared pipeline trains (it calls the module's
    functions; its ``__main__`` is a developer's own entry point)."""
    if unit.kind != "py":
        return set()
    lines = unit.text.splitlines()
    skipped = {n for n, line in enumerate(lines, 1) if line.lstrip().startswith("#")}
    start = next((n for n, line in enumerate(lines, 1) if _MAIN_RE.match(line)), None)
    if start is None or not f.pipeline_trains or not _imported(f, unit) or _run(f, unit):
        return skipped
    for n in range(start, len(lines) + 1):
        line = lines[n - 1]
        if n > start and line.strip() and not line[0].isspace() and not line.startswith("#"):
            break  # the block ends at the next top-level statement
        skipped.add(n)
    return skipped


def unit_unreached(f: Facts, unit: CodeUnit) -> bool:
    """Whether no other file names the script ``unit`` (no import, command, stage or doc
    mentions its name): an experiment beside the pipeline, like a notebook."""
    stem = _stem(unit)
    if unit.kind != "py" or len(stem) < 3:
        return False
    word = re.compile(rf"\b{re.escape(stem)}\b")
    return not any(
        info.path != unit.path and word.search(info.text or "") for info in f.index.texts()
    )
