"""Which paths of a git work tree git ignores, so assess reads what the repository holds.

A working copy also holds what runs left beside the repository (a venv, screenshots
of a test run, a pulled DVC cache, a local ``.env``): git never commits those, a clone
never has them, and a judgement of the repository must not rest on them. The rules are
git's own: every ``.gitignore`` from the root down (a deeper file's last matching
pattern wins), ``.git/info/exclude``, and a file git tracks is never ignored. Matching
is pathspec's ``GitIgnoreSpec`` (git's wildmatch and negation), not a re-implementation.
"""

from __future__ import annotations

from collections.abc import Collection

from pathspec import GitIgnoreSpec


class Ignores:
    """git's ignore rules for one work tree (paths relative to the walked root)."""

    def __init__(self, tracked: Collection[str], exclude: str = "") -> None:
        self._tracked = set(tracked)
        self._tracked_dirs = {p.rsplit("/", 1)[0] for p in tracked if "/" in p}
        for d in list(self._tracked_dirs):  # every ancestor of a tracked file
            while "/" in d:
                d = d.rsplit("/", 1)[0]
                self._tracked_dirs.add(d)
        self._specs: list[tuple[str, GitIgnoreSpec]] = []  # (base dir, rules)
        if exclude.strip():
            self._specs.append(("", GitIgnoreSpec.from_lines(exclude.splitlines())))

    def add(self, base: str, text: str) -> None:
        """The rules of the ``.gitignore`` in folder ``base`` ("" for the root)."""
        spec = GitIgnoreSpec.from_lines(text.splitlines())
        if spec.patterns:
            self._specs.append((base, spec))
            self._specs.sort(key=lambda s: -len(s[0]))  # deepest first: its rules win

    def _matched(self, path: str, is_dir: bool) -> bool:
        for base, spec in self._specs:
            if base and not path.startswith(base + "/"):
                continue
            inner = path[len(base) + 1 :] if base else path
            result = spec.check_file(inner + "/" if is_dir else inner)
            if result.include is not None:
                return result.include
        return False

    def ignored_dir(self, path: str) -> bool:
        """Whether git ignores the folder ``path``."""
        return self._matched(path, True)

    def holds_tracked(self, path: str) -> bool:
        """Whether a tracked file lies under the folder ``path`` (git still has it)."""
        return path in self._tracked_dirs

    def skip_file(self, path: str, in_ignored_dir: bool) -> bool:
        """An untracked file git ignores (by a rule, or by lying in an ignored folder)."""
        if path in self._tracked:
            return False
        return in_ignored_dir or self._matched(path, False)


def ignored_by(gitignore: str, path: str) -> bool:
    """Whether one ``.gitignore`` text (at the root) ignores the file ``path``."""
    ignores = Ignores(())
    ignores.add("", gitignore)
    return ignores.skip_file(path, False)
