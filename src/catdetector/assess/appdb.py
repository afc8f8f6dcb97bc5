"""A web application's own database file, read from its settings with ``ast`` (never run).

A web framework keeps its users, sessions and records in a database its settings name: Django's
``DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR /
"db.sqlite3"}}``, Flask-SQLAlchemy's ``SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"`` (also
``app.config["SQLALCHEMY_DATABASE_URI"] = ...``). That file is the application's state, not a
dataset: by itself it says nothing about ML (a Django starter that commits its empty
``db.sqlite3`` is a web app). Training code that reads it is still seen by the data checks.
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from catdetector.assess.code import CodeUnit

_NEEDLES = ("django.db.backends.sqlite3", "SQLALCHEMY_DATABASE_URI")
_URI_KEY = "SQLALCHEMY_DATABASE_URI"
_SQLITE_URI = "sqlite:///"


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _django_names(value: ast.AST) -> set[str]:
    """File names of the SQLite databases a Django ``DATABASES`` mapping declares."""
    found: set[str] = set()
    for node in ast.walk(value):
        if not isinstance(node, ast.Dict):
            continue
        entries = {
            k.value: v
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
        engine, name = entries.get("ENGINE"), entries.get("NAME")
        if engine is None or name is None:
            continue
        if any(s.endswith(".sqlite3") for s in _strings(engine)) and (names := _strings(name)):
            found.add(posixpath.basename(names[-1]))
    return found


def _uri_names(value: ast.AST) -> set[str]:
    """File names of ``sqlite:///path`` URIs (a fallback in ``os.getenv(..., default)`` too)."""
    return {
        posixpath.basename(s[len(_SQLITE_URI) :])
        for s in _strings(value)
        if s.startswith(_SQLITE_URI) and len(s) > len(_SQLITE_URI)
    }


def _target_names(node: ast.Assign | ast.AnnAssign) -> set[str]:
    """``X`` for ``X = ...``, ``obj.X = ...`` and ``obj["X"] = ...``."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    out: set[str] = set()
    for target in targets:
        if isinstance(target, ast.Name):
            out.add(target.id)
        elif isinstance(target, ast.Attribute):
            out.add(target.attr)
        elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
            out.add(str(target.slice.value))
    return out


def _declared(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            names = _target_names(node)
            if "DATABASES" in names:
                found |= _django_names(node.value)
            if _URI_KEY in names:
                found |= _uri_names(node.value)
        elif isinstance(node, ast.Dict):  # app.config.update({"SQLALCHEMY_DATABASE_URI": ...})
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == _URI_KEY:
                    found |= _uri_names(value)
        elif isinstance(node, ast.keyword) and node.arg == _URI_KEY:
            found |= _uri_names(node.value)
    return found


def app_database_names(units: Iterable[CodeUnit]) -> set[str]:
    """File names of the databases web applications here declare as their own."""
    found: set[str] = set()
    for unit in units:
        if unit.kind != "py" or not any(n in unit.text for n in _NEEDLES):
            continue
        if unit.tree is not None:
            found |= _declared(unit.tree)
    return found
