"""Repository files named by a Python module (``pkg.train``) or by a file a command runs.

Nothing is imported: a module is looked for as a file under the folder of whatever names
it, under the root, under ``src/``, then (for dotted names) anywhere its path ends with the
module's path, so ``pipeline_worker.cli.train`` run in a container is
``containers/worker/src/pipeline_worker/cli/train.py``.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from functools import cached_property

from catdetector.assess.scan import RepoIndex
from catdetector.assess.text import normpath

_MODULE_NAME_RE = re.compile(r"^\.*[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*$")
_ENTRY_RE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?::\s*[\w.]+)?\s*$")


class Modules:
    """Module and file look-ups in one repository, with an index by file name built once."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index

    @cached_property
    def by_name(self) -> dict[str, list[str]]:
        """File base name -> paths (Python and YAML files)."""
        out: dict[str, list[str]] = {}
        for path in self.index.files:
            if path.endswith((".py", ".yml", ".yaml")):
                out.setdefault(path.rsplit("/", 1)[-1], []).append(path)
        return out

    @cached_property
    def console_scripts(self) -> dict[str, str]:
        """Console script name -> module (``[project.scripts]``, ``[tool.poetry.scripts]``)."""
        out: dict[str, str] = {}
        for info in self.index.files.values():
            if info.name != "pyproject.toml" or not info.text:
                continue
            try:
                data = tomllib.loads(info.text)
            except (tomllib.TOMLDecodeError, ValueError):
                continue
            tables = [data.get("project", {}).get("scripts"),
                      data.get("tool", {}).get("poetry", {}).get("scripts")]  # fmt: skip
            for table in tables:
                for name, target in table.items() if isinstance(table, dict) else ():
                    m = _ENTRY_RE.match(target) if isinstance(target, str) else None
                    if m:
                        out.setdefault(str(name), m.group(1))
        return out

    def _ending(self, tail: str, near: str) -> list[str]:
        name = tail.rsplit("/", 1)[-1]
        found = [p for p in self.by_name.get(name, []) if p == tail or p.endswith("/" + tail)]
        return sorted(found, key=lambda p: (not p.startswith(near + "/") if near else 0, len(p)))

    def module(self, module: str, near: str = "", *, run: bool = False) -> list[str]:
        """Files of ``module`` (``a.b`` is ``a/b.py``, ``a/b/__main__.py`` or
        ``a/b/__init__.py``), looked for from ``near`` (a folder), the root, ``src/``, then by
        the end of their path when the name is dotted. Relative names (``.train``) are read
        from ``near``. ``run``: the module is run (``python -m``), so a package is its
        ``__main__.py``, never its ``__init__.py``."""
        if not _MODULE_NAME_RE.match(module):
            return []
        dots = len(module) - len(module.lstrip("."))
        base = near
        for _ in range(max(dots - 1, 0)):
            base = posixpath.dirname(base)
        stem = module.lstrip(".").replace(".", "/")
        tails = [f"{stem}.py", f"{stem}/__main__.py", f"{stem}/__init__.py"] if stem else []
        tails = tails[:2] if run else tails
        bases = [base] if dots else list(dict.fromkeys((near, "", "src")))
        for folder in bases:
            for tail in tails:
                path = normpath(tail, folder)
                if path is not None and path in self.index.files:
                    return [path]
        if dots or "/" not in stem:
            return []
        for tail in tails:
            found = self._ending(tail, near)
            if found:
                return found[:1]
        return []

    def file(self, token: str, bases: list[str]) -> str | None:
        """The file a command names (``train.py``, ``src/train.py``), from each base folder in
        turn, then (for Python and YAML files) any file whose path ends with it."""
        token = token.strip("'\"")
        for base in dict.fromkeys(bases):
            path = normpath(token, base)
            if path is not None and path in self.index.files:
                return path
        clean = normpath(token)
        if clean and clean.endswith((".py", ".yml", ".yaml")):
            near = bases[0] if bases else ""
            found = self._ending(clean, near)
            if found and ("/" in clean or (near and found[0].startswith(near + "/"))):
                return found[0]
        return None

    def nearest(self, token: str, here: str) -> str | None:
        """The file whose path ends with ``token`` nearest to the folder ``here`` (the longest
        shared folder prefix): a name joined to a folder held in a variable
        (``parent_dir + "/train.yml"``)."""
        clean = normpath(token.lstrip("/"))
        if not clean:
            return None
        found = self._ending(clean, "")
        parts = here.split("/") if here else []

        def shared(path: str) -> int:
            folders = path.split("/")[:-1]
            n = 0
            while n < min(len(parts), len(folders)) and parts[n] == folders[n]:
                n += 1
            return n

        return max(found, key=lambda p: (shared(p), -len(p)), default=None)

    def _absolute(self, word: str, bases: list[str]) -> str | None:
        """A file named by its path inside a container or on a worker
        (``/app/train.py``, ``/opt/airflow/dags/scripts/fit.py``): the longest tail of it
        found from a base folder, or (two parts or more) anywhere."""
        parts = word.strip("'\"").replace("\\", "/").split("/")
        if not word.startswith("/") or len(parts) < 3:
            return None
        for i in range(1, len(parts)):
            path = self.file("/".join(parts[i:]), bases)
            if path:
                return path
        return None

    def command_files(self, words: list[str], bases: list[str]) -> list[str]:
        """Files a command's words run: ``-m module``, ``x.py``, a console script."""
        found: list[str] = []
        near = bases[0] if bases else ""
        for i, word in enumerate(words):
            if word == "-m" and i + 1 < len(words):
                found.extend(self.module(words[i + 1], near, run=True))
            elif word.endswith(".py"):
                path = self.file(word, bases) or self._absolute(word, bases)
                if path:
                    found.append(path)
            elif i == 0 and word in self.console_scripts:
                found.extend(self.module(self.console_scripts[word], near))
        return list(dict.fromkeys(found))
