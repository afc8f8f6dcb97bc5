"""DVC's files and hashes: ``dvc.lock``, ``.dvc`` files, file and directory md5s.

Hashes come from dvc-data (the library DVC itself hashes with), so a directory hash
is exactly the ``<md5>.dir`` that ``dvc add`` and ``dvc repro`` record (DVC 3: plain md5).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_FILE = Path("dvc.lock")  # dvc.dvcfile.LOCK_FILE
DIR_SUFFIX = ".dir"  # dvc_data.hashfile.hash_info.HASH_DIR_SUFFIX


@dataclass(frozen=True)
class Out:
    """One output as a ``dvc.lock`` stage or a ``.dvc`` file records it."""

    path: str
    md5: str
    size: int | None = None
    nfiles: int | None = None
    hash: str | None = None  # "md5" for DVC 3; absent for DVC 2 (md5-dos2unix)

    @property
    def is_dir(self) -> bool:
        """True for a directory output (its md5 ends with ``.dir``)."""
        return self.md5.endswith(DIR_SUFFIX)


def _yaml(text: str) -> Any:
    import yaml  # here: most callers never parse

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _outs(entries: Any) -> list[Out]:
    outs = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("path") and entry.get("md5"):
            outs.append(
                Out(
                    str(entry["path"]),
                    str(entry["md5"]),
                    entry.get("size") if isinstance(entry.get("size"), int) else None,
                    entry.get("nfiles") if isinstance(entry.get("nfiles"), int) else None,
                    str(entry["hash"]) if entry.get("hash") else None,
                )
            )
    return outs


def lock_outs(text: str) -> dict[str, list[Out]]:
    """Outputs of every stage of a ``dvc.lock`` text ({} when it is not one)."""
    doc = _yaml(text)
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if not isinstance(stages, dict):
        return {}
    return {str(name): _outs((s or {}).get("outs")) for name, s in stages.items()}


def lock_out(text: str, path: str | Path, stage: str | None = None) -> Out | None:
    """The output ``path`` that a ``dvc.lock`` text records (in ``stage``, or any)."""
    wanted = Path(path).as_posix()
    for name, outs in lock_outs(text).items():
        if stage is not None and name != stage:
            continue
        for out in outs:
            if Path(out.path).as_posix() == wanted:
                return out
    return None


def dvcfile_outs(text: str) -> list[Out]:
    """Outputs that a ``.dvc`` file records ([] when it is not one)."""
    doc = _yaml(text)
    return _outs(doc.get("outs")) if isinstance(doc, dict) else []


def read_dvcfile_out(path: Path) -> Out | None:
    """The first output of the ``.dvc`` file at ``path`` (None if absent or unreadable)."""
    try:
        outs = dvcfile_outs(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return outs[0] if outs else None


def yaml_artifacts(text: str) -> dict[str, str]:
    """The ``artifacts:`` a ``dvc.yaml`` text declares: name -> path ({} when none)."""
    doc = _yaml(text)
    declared = doc.get("artifacts") if isinstance(doc, dict) else None
    if not isinstance(declared, dict):
        return {}
    return {
        str(name): str(entry["path"])
        for name, entry in declared.items()
        if isinstance(entry, dict) and entry.get("path")
    }


def file_md5(path: Path) -> str:
    """DVC 3's hash of one file (what ``dvc add`` records for it)."""
    from dvc_data.hashfile.hash import file_md5 as _file_md5

    return str(_file_md5(os.fspath(path)))


def dir_entries(directory: Path) -> list[dict[str, str]]:
    """The listing DVC stores for a directory: ``[{"md5", "relpath"}]`` sorted by relpath."""
    return [dict(e) for e in _tree(directory).as_list()]


def dir_md5(directory: Path) -> str:
    """DVC's hash of a directory output (``<md5>.dir``), as ``dvc.lock`` records it."""
    return str(_tree(directory).hash_info.value)


def dir_md5_and_entries(directory: Path) -> tuple[str, list[dict[str, str]]]:
    """Both :func:`dir_md5` and :func:`dir_entries`, from one pass over the files."""
    tree = _tree(directory)
    return str(tree.hash_info.value), [dict(e) for e in tree.as_list()]


def _tree(directory: Path) -> Any:
    """The dvc-data Tree of ``directory``, built as ``dvc add`` builds it (nothing stored)."""
    from dvc_data.hashfile.build import build
    from dvc_data.hashfile.db import HashFileDB
    from dvc_objects.fs import MemoryFileSystem, localfs

    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder")
    odb = HashFileDB(MemoryFileSystem(), "/catdetector-staging")
    _, _, tree = build(odb, os.fspath(directory.resolve()), localfs, "md5", dry_run=True)
    return tree


def _param_names(entries: Any) -> list[str]:
    """The params.yaml names a stage's ``params:`` list declares (``{file: [keys]}``
    entries count for ``params.yaml`` only; other files' keys are not ours)."""
    names: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("params.yaml"), list):
            names.extend(k for k in entry["params.yaml"] if isinstance(k, str))
    return names


def stage_params(text: str, stage: str) -> list[str] | None:
    """The params.yaml names (sections or dotted keys) that ``stage`` of a ``dvc.yaml``
    text declares; None when the text has no such stage."""
    doc = _yaml(text)
    stages = doc.get("stages") if isinstance(doc, dict) else None
    entry = stages.get(stage) if isinstance(stages, dict) else None
    if not isinstance(entry, dict):
        return None
    return _param_names(entry.get("params"))


def covers(declared: list[str], section: str) -> bool:
    """True when DVC tracks ``section`` of params.yaml with these declared names
    (the section itself, or any key in it)."""
    return any(name == section or name.startswith(section + ".") for name in declared)


def with_stage_params(text: str, stage: str, sections: list[str]) -> str:
    """``dvc.yaml`` text with ``sections`` added to ``stage``'s ``params:`` (each after the
    last plain name that sorts before it, as the template orders the train stage's);
    comments, order and every other edit kept (ruamel.yaml, DVC's own YAML library)."""
    import io

    from ruamel.yaml import YAML

    rt = YAML()
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)  # the layout `catdetector init` writes
    rt.width = 4096  # long lines stay whole
    doc = rt.load(text)
    entry = doc["stages"][stage]
    if entry.get("params") is None:
        entry["params"] = []
    params = entry["params"]
    for section in sections:
        if covers(_param_names(list(params)), section):
            continue
        names = [p if isinstance(p, str) else None for p in params]
        before = [i for i, name in enumerate(names) if name is not None and name < section]
        params.insert(before[-1] + 1 if before else len(params), section)
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()


def merged_dvc_yaml(theirs: str, ours: str) -> str:
    """``dvc.yaml`` text: ``theirs`` (comments, order and stages kept) with the stages,
    ``metrics``, ``plots`` and ``artifacts`` of ``ours`` added (ours win a name clash)."""
    import io

    from ruamel.yaml import YAML  # DVC's own YAML library; keeps comments and order

    rt = YAML()
    rt.preserve_quotes = True
    doc = rt.load(theirs) or {}
    mine = _yaml(ours)
    doc.setdefault("stages", {})
    for name, stage in mine["stages"].items():
        doc["stages"][name] = stage
    for key in ("metrics", "plots"):
        doc.setdefault(key, [])
        doc[key].extend(mine[key])
    doc.setdefault("artifacts", {})
    for name, artifact in mine["artifacts"].items():
        doc["artifacts"][name] = artifact
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()
