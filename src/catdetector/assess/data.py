"""Data: data files and folders, whether they are versioned, large files in git."""

from __future__ import annotations

import posixpath
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess import gitmeta
from catdetector.assess.code import READ_RE, CodeFacts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import FileInfo
from catdetector.assess.text import human, snippet, suffix_of
from catdetector.assess.vocab import DATA_DIR_NAMES, DATA_SUFFIXES, MODEL_SUFFIXES, NON_DATA_DIRS

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


LARGE_FILE_BYTES = 10 * 1024 * 1024
LARGE_ARTIFACT_BYTES = 1024 * 1024


def data_group(path: str, suffix: str) -> str | None:
    """The data group a path belongs to, or None when it is not data."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() in NON_DATA_DIRS:
            return None
        if part.lower() in DATA_DIR_NAMES:
            name = parts[-1].lower()
            if name in (".gitignore", ".gitkeep", ".keep") or name.startswith("readme"):
                return None
            if suffix in (".py", ".dvc", ".md", ".ipynb"):
                return None
            return "/".join(parts[: i + 1]) + "/"
    if suffix in DATA_SUFFIXES:
        return "/".join(parts[:-1]) + "/" if len(parts) > 1 else path
    return None


class DataFacts(CodeFacts):
    """Data files."""

    @cached_property
    def data_files(self) -> list[tuple[FileInfo, str]]:
        """(file, group) for each data file: data directories and data suffixes, not models."""
        found: list[tuple[FileInfo, str]] = []
        for info in self.index.files.values():
            if info.suffix in MODEL_SUFFIXES:
                continue
            group = data_group(info.path, info.suffix)
            if group is not None:
                found.append((info, group))
        return found


def no_data_versioning(f: Facts) -> list[Evidence]:
    """Data files, stage inputs or training reads that no DVC/lfs/git versioning covers."""
    if not f.is_ml:
        return []
    groups: dict[str, list[int]] = {}
    for info, group in f.data_files:
        if not f.versioned(info.path):
            groups.setdefault(group, []).append(info.size)
    ev = [
        Evidence(
            group,
            None,
            f"{len(sizes)} data file(s), {human(sum(sizes))}, not versioned (no .dvc file, not a "
            "pipeline output)",
        )
        for group, sizes in sorted(groups.items())
    ]
    produced = {o for s in f.stages for o in s.outs}
    for stage in f.stages:
        for dep in stage.deps:
            suffix = posixpath.splitext(dep)[1].lower()
            if suffix in (".py", ".ipynb", ".yaml", ".yml", ".toml", ".json", ".txt", ".cfg"):
                continue
            if dep in produced or f.dvc_covered(dep) or f.index.exists(dep) or f.git_tracked(dep):
                continue
            ev.append(
                Evidence(stage.file, None, f"stage {stage.name} reads {dep}, which nothing tracks")
            )
    if not f.data_files and not f.dvc_tracked and not f.lfs_patterns and f.training_units:
        for unit in f.training_units:
            for number, line in unit.find(READ_RE):
                literals = unit.path_literals(line)
                if any(data_group(lit, suffix_of(lit)) or "data" in lit for lit in literals):
                    detail = f"reads data nothing versions: {snippet(line)}"
                    ev.append(unit.evidence(number, detail))
                    break
        if not ev:
            ev.append(Evidence(None, None, "no data versioning: no .dvc files, no DVC outputs"))
    return ev


def large_binaries_in_git(f: Facts) -> list[Evidence]:
    """Files the git index tracks that are large (artifacts from 1 MiB, anything from 10 MiB)."""
    tracked = f.index.git.tracked
    if not tracked:
        return []
    ev: list[Evidence] = []
    for path, size in sorted(tracked.items()):
        suffix = posixpath.splitext(path)[1].lower()
        artifact = suffix in MODEL_SUFFIXES or suffix in DATA_SUFFIXES
        if size < LARGE_FILE_BYTES and not (artifact and size >= LARGE_ARTIFACT_BYTES):
            continue
        if any(gitmeta.matches_pattern(path, p) for p in f.lfs_patterns):
            continue
        ev.append(Evidence(path, None, f"{human(size)} committed to git"))
    return ev
