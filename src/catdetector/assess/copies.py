"""Projects copied into a repository (one home for "is this a copied project").

A folder under a test, fixture, example, docs or vendored folder that holds a project's own
marker (``dvc.yaml``, ``MLproject``, ``pyproject.toml``, ``.dvc``, a ``Dockerfile``...) is a
copy of a project: a fixture a test runs, an example for readers. Its pipeline, data, models,
gates and registry are that copy's, not the repository's own production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE

if TYPE_CHECKING:
    from catdetector.assess.scan import RepoIndex

PROJECT_MARKERS = (
    "dvc.yaml", "MLproject", "pyproject.toml", "setup.py", ".dvc", "Makefile", "requirements.txt",
    "Dockerfile", ".github",
)  # fmt: skip


def in_copy(index: RepoIndex, path: str) -> bool:
    """Whether ``path`` lies in a project copied under a test, fixture, example or docs folder
    (a folder there, below that folder, with a project's own marker)."""
    found = AUX_PATH_RE.search(path)
    if not found:
        return False
    parts = path[found.end() :].split("/")[:-1]
    base = path[: found.end()]
    return any(
        index.exists(base + "/".join(parts[: i + 1]) + "/" + marker)
        for i in range(len(parts))
        for marker in PROJECT_MARKERS
    )
