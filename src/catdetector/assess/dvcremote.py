"""DVC-tracked data that only one machine holds: ``.dvc`` files committed while the committed
``.dvc/config`` names no remote, so ``dvc pull`` has nowhere to fetch the data from. Read as
text (assess imports only core; ``formats.dvcremote`` reads a workspace with DVC's loader)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess.model import Evidence

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

_REMOTE_RE = re.compile(r"""^\s*\[\s*['"]?remote\b|\bremote\s*=""", re.M)
_REMOTE_ADD_RE = re.compile(r"\bdvc\s+remote\s+add\b")
NO_REMOTE = (
    "data tracked by .dvc files, but .dvc/config names no remote: the data is only in one "
    "machine's DVC cache and nobody else can `dvc pull` it"
)


def dvc_data_without_remote(f: Facts) -> list[Evidence]:
    """The committed ``.dvc/config`` when data ``.dvc`` files exist and no remote is named
    there, in a ``.dvc/config.local`` or added by a script or CI (``dvc remote add``)."""
    config = f.index.files.get(".dvc/config")
    if config is None or config.text is None or not f.dvc_files:
        return []
    if _REMOTE_RE.search(config.text) or ".dvc/config.local" in f.index.files:
        return []
    for info in f.index.texts():  # a script or CI adds one (a README that says how does not)
        if info.suffix not in (".md", ".rst", ".txt") and _REMOTE_ADD_RE.search(info.text or ""):
            return []
    return [Evidence(".dvc/config", None, NO_REMOTE)]
