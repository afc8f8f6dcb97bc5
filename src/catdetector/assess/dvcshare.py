"""DVC data that no remote shares: versioned by hash, but held by one machine's cache.

``.dvc`` files and ``dvc.yaml`` stage outputs put the data's hash in git; the data itself
stays in the local DVC cache until ``dvc push`` sends it to a remote. With no remote in the
committed ``.dvc/config`` (``['remote "name"']``), nor one added by CI or a script
(``dvc remote add``), a clone gets the hashes and nothing to ``dvc pull``. A sharing risk
(MEDIUM), not the absence of versioning: it never lowers the level.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

REMOTE_SECTION_RE = re.compile(r"""^\s*\[\s*['"]?\s*remote\s+"[^"]+"\s*['"]?\s*\]""", re.M)
REMOTE_ADD_RE = re.compile(r"\bdvc\s+remote\s+add\b")


def remote_configured(f: Facts) -> bool:
    """Whether a committed ``.dvc/config`` names a remote, or CI or a script adds one."""
    for path, info in f.index.files.items():
        if (
            path.endswith(".dvc/config")
            and posixpath.basename(posixpath.dirname(path)) == ".dvc"
            and REMOTE_SECTION_RE.search(info.text or "")
        ):
            return True
    texts = [f.index.text(p) or "" for p in f.ci_paths]
    texts += [i.text or "" for i in f.script_texts]
    texts += [u.text for u in f.source_units]
    return any("remote" in t and REMOTE_ADD_RE.search(t) for t in texts)


def dvc_no_remote(f: Facts) -> list[Evidence]:
    """``.dvc`` files or ``dvc.yaml`` outputs with no DVC remote to push them to."""
    tracked = [i.path for i in f.dvc_files if not AUX_PATH_RE.search(i.path)]
    stages = [s for s in f.stages if s.kept and not AUX_PATH_RE.search(s.file)]
    if not tracked and not stages:
        return []
    if remote_configured(f):
        return []
    what = f"{len(tracked)} .dvc file(s)" if tracked else f"{len(stages)} dvc.yaml stage output(s)"
    where = tracked[0] if tracked else stages[0].file
    detail = (
        f"{what} version data by hash, but no DVC remote is configured (no remote in the "
        "committed .dvc/config, no `dvc remote add` in CI or scripts): only the machine that "
        "ran `dvc add`/`dvc repro` holds the data"
    )
    return [Evidence(where, None, detail)]
