"""Training data that DVC records as an empty file: a ``.dvc`` file that versions nothing.

``dvc add`` of an empty file writes ``md5: d41d8cd98f00b204e9800998ecf8427e`` (the MD5 of no
bytes) and ``size: 0``. Such a record looks like versioned data, but ``dvc pull`` gives back
an empty file: the data training reads was never added. Positive evidence for
``no-data-versioning`` only where training code (or a DVC stage) reads that path.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

import yaml

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.text import YAML_LOADER, normpath

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _empty_outs(text: str, base: str) -> list[str]:
    try:
        data: Any = yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    outs = data.get("outs") if isinstance(data, dict) else None
    found: list[str] = []
    for out in outs if isinstance(outs, list) else []:
        if not isinstance(out, dict) or not isinstance(out.get("path"), str):
            continue
        if str(out.get("md5", "")) == EMPTY_MD5 or str(out.get("size", "")) == "0":
            path = normpath(out["path"], base)
            if path:
                found.append(path)
    return found


def empty_dvc_reads(f: Facts) -> list[Evidence]:
    """``.dvc`` records of an empty file whose path training code or a stage reads."""
    ev: list[Evidence] = []
    for info in f.dvc_files:
        text = info.text or ""
        if AUX_PATH_RE.search(info.path) or (EMPTY_MD5 not in text and "size: 0" not in text):
            continue
        for path in _empty_outs(info.text or "", posixpath.dirname(info.path)):
            readers = [u.path for u in f.training_units if f"'{path}'" in u.text
                       or f'"{path}"' in u.text]  # fmt: skip
            readers += [f"stage {s.name}" for s in f.stages if path in s.deps]
            if not readers:
                continue
            line = next((i for i, t in enumerate(info.lines, 1) if "md5:" in t or "size:" in t),
                        None)  # fmt: skip
            ev.append(Evidence(
                info.path, line,
                f"`{path}` is recorded as an empty file (size 0, the MD5 of no bytes): the data "
                f"{readers[0]} reads was never added, `dvc pull` gives back nothing",
            ))  # fmt: skip
    return ev
