"""Training data read by a SQL query at run time, with nothing that snapshots or dates it.

A query (a ``SELECT ... FROM`` literal) run by a call that executes SQL (``pd.read_sql``,
``read_sql_query``, ``read_sql_table``, SQLAlchemy or DB-API ``execute``, ``copy_expert``,
Spark ``.sql(``, BigQuery ``client.query(``, ``read_gbq``) in training code, or in a project
module a training pipeline or training file imports, reads whatever the table holds that
day: the data a model was trained on cannot be recovered. A query is dated when it reads a
table version (``VERSION AS OF``, ``TIMESTAMP AS OF``, ``FOR SYSTEM_TIME AS OF``,
``versionAsOf``, Snowflake ``AT(``/``BEFORE(``), or when the repository versions data by
other means (DVC, ``data_versioning``). A file database the code opens itself (DuckDB,
SQLite) is a file the pipeline builds or the data rules see, not a live source. Read with
``ast``; nothing is run.
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.model import Evidence
from catdetector.assess.pycalls import dotted
from catdetector.assess.stacks import names_training_file

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

SQL_CALLS = frozenset(
    {"read_sql", "read_sql_query", "read_sql_table", "execute", "executemany", "copy_expert",
     "sql", "query", "read_gbq", "fetch_pandas_all", "raw_sql", "from_sql_query"}
)  # fmt: skip
_SELECT_RE = re.compile(r"(?is)\bselect\b.+?\bfrom\b")
_DATED_RE = re.compile(
    r"(?i)\b(?:version|timestamp)\s+as\s+of\b|\bfor\s+system_time\s+as\s+of\b|versionAsOf|"
    r"timestampAsOf|\bAT\s*\(\s*(?:TIMESTAMP|OFFSET|STATEMENT)\b|\bBEFORE\s*\(\s*STATEMENT\b"
)


_EMBEDDED_RE = re.compile(r"(?m)^\s*(?:import|from)\s+(?:duckdb|sqlite3|aiosqlite)\b")


def _query_line(unit: CodeUnit) -> int | None:
    """The line of a SQL-executing call in a file that holds a ``SELECT ... FROM`` query."""
    text = unit.text
    if not _SELECT_RE.search(text) or _DATED_RE.search(text) or _EMBEDDED_RE.search(text):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    queries = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and _SELECT_RE.search(n.value)
    ]
    if not queries:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or dotted(node.func).rsplit(".", 1)[-1] not in SQL_CALLS:
            continue
        if node.args or any(k.arg in ("sql", "query") for k in node.keywords):
            return node.lineno
    return None


def _imported(f: Facts, path: str) -> set[str]:
    """Project files ``path`` imports (``from functions import data`` names
    ``functions/data.py``; ``import pkg.mod`` names ``pkg/mod.py``)."""
    try:
        tree = ast.parse(f.index.text(path) or "")
    except (SyntaxError, ValueError, RecursionError):
        return set()
    here = posixpath.dirname(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            found.update(f.modules.module(name, here))
    return found


def sql_reads(f: Facts) -> list[Evidence]:
    """Training reads of a SQL query that nothing snapshots (``no-data-versioning``)."""
    if f.dvc_tracked or f.data_versioning:
        return []
    units = {u.path: u for u in f.source_units if u.kind == "py" and not u.is_test}
    starts = {u.path for u in f.training_units} | {
        e.file
        for e in f.pipelines
        if e.file and e.file.endswith(".py") and names_training_file(f, e.file)
    }  # an inference pipeline's queries read no training data
    candidates = set(starts)
    for path in sorted(starts):
        candidates |= _imported(f, path)
    for path in sorted(candidates):
        unit = units.get(path)
        if unit is None or (line := _query_line(unit)) is None:
            continue
        detail = (
            "training data read by a SQL query at run time; nothing snapshots or dates it "
            "(no table version, time travel, DVC import or tracked export)"
        )
        return [unit.evidence(line, detail)]
    return []
