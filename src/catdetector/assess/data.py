"""Data: data files and folders, whether they are versioned, large files in git."""

from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess import gitmeta
from catdetector.assess.absentinputs import absent_inputs
from catdetector.assess.appdb import app_database_names
from catdetector.assess.code import CodeFacts
from catdetector.assess.codepatterns import READ_RE, joined_to_variable, only_writes
from catdetector.assess.emptydvc import empty_dvc_reads
from catdetector.assess.model import NOT_RECOGNISED, Evidence
from catdetector.assess.scan import FileInfo
from catdetector.assess.sqldata import sql_reads
from catdetector.assess.text import Rx, human, normpath, snippet, suffix_of
from catdetector.assess.vocab import (
    DATA_DIR_NAMES,
    DATA_SUFFIXES,
    MODEL_SUFFIXES,
    NON_DATA_DIRS,
    PICTURE_SUFFIXES,
    SOURCE_SUFFIXES,
)

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


LARGE_FILE_BYTES = 10 * 1024 * 1024
LARGE_ARTIFACT_BYTES = 1024 * 1024
MANY_FILES = 100

DATA_VERSION_RE = Rx(
    r"lakefs://|\bimport\s+lakefs\w*|\bfrom\s+lakefs\w*|\blakectl\b|"
    r"\.use_artifact\([^)\n]*type\s*=\s*['\"]dataset|\.use_artifact\(\s*['\"][\w./-]+:(?:v\d+|latest)|"
    r"\bmlflow\.log_input\(|\bmlflow\.data\.from_\w+\(|\bdvc\.api\.|\bArtifactConfig\(|"
    r"\bfrom\s+zenml\s+import\b[^\n]*\bstep\b|\bversionAsOf\b|load_dataset\([^)\n]*revision\s*=|"
    r"['\"]s3://[^'\"\n]*/(?:v\d+|\d{4}-\d\d-\d\d)[/'\"]|"
    # datasets a library ships, fixed by its version; pipeline artifacts KFP versions
    r"\b(?:load|fetch)_(?:iris|digits|wine|breast_cancer|diabetes|california_housing|openml|"
    r"20newsgroups\w*|covtype|lfw_\w+|olivetti_faces|linnerud|kddcup99)\(|\btfds\.load\(|"
    r"\bkeras\.datasets\.|\btorchvision\.datasets\.|\b(?:Output|Input)\[Dataset\]",
    0,
    (
        "lakefs",
        "lakectl",
        "use_artifact(",
        "mlflow.",
        "dvc.api.",
        "ArtifactConfig(",
        "zenml",
        "versionAsOf",
        "revision",
        "s3://",
        "load_",
        "fetch_",
        "tfds.",
        "datasets.",
        "Dataset]",
    ),
)
_MD_LINK_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)|<img[^>]*\ssrc=['\"]([^'\"]+)")


def _joined(line: str, literal: str) -> bool:
    at = line.find(literal)
    return at > 0 and joined_to_variable(line, at - 1)


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
            if suffix in SOURCE_SUFFIXES or suffix in (".dvc", ".md"):
                return None
            return "/".join(parts[: i + 1]) + "/"
    if suffix in DATA_SUFFIXES:
        if suffix in LOG_SUFFIXES and PREDICTION_LOG_RE.search(parts[-1]):
            return None  # a service's prediction log, not data a model was trained on
        return "/".join(parts[:-1]) + "/" if len(parts) > 1 else path
    return None


LOG_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3", ".jsonl", ".ndjson"})
PREDICTION_LOG_RE = re.compile(r"(?i)predict|inference|requests?[._-]|serving|monitor")


class DataFacts(CodeFacts):
    """Data files."""

    @cached_property
    def data_files(self) -> list[tuple[FileInfo, str]]:
        """(file, group) for each data file: data directories and data suffixes, not models."""
        found: list[tuple[FileInfo, str]] = []
        pictures = self.doc_pictures
        for info in self.index.files.values():
            if info.suffix in MODEL_SUFFIXES or info.path in pictures:
                continue
            group = data_group(info.path, info.suffix)
            if group is not None:
                found.append((info, group))
        return found

    @cached_property
    def ml_data_files(self) -> list[FileInfo]:
        """Data files that say the repository does ML: pictures count only inside a data
        folder (``data/``, ``dataset/``...), since banners, logos and screenshots are not; a
        web application's own database (``appdb``) is its state, not a dataset."""
        app_dbs = app_database_names(self.source_units)
        return [
            info
            for info, _ in self.data_files
            if (
                info.suffix not in PICTURE_SUFFIXES
                or any(part.lower() in DATA_DIR_NAMES for part in info.path.split("/")[:-1])
            )
            and posixpath.basename(info.path) not in app_dbs
        ]

    @cached_property
    def doc_pictures(self) -> set[str]:
        """Images that Markdown files show (README pictures are not data)."""
        found: set[str] = set()
        for info in self.index.texts():
            text = info.text or ""
            linked = "](" in text or "<img" in text
            if info.suffix not in (".md", ".rst", ".html") or not linked:
                continue
            base = posixpath.dirname(info.path)
            for m in _MD_LINK_RE.finditer(text):
                target = normpath((m.group(1) or m.group(2)).split("#")[0], base)
                if target:
                    found.add(target)
        return found

    @cached_property
    def data_versioning(self) -> list[Evidence]:
        """Data versioned by a tool other than DVC: lakeFS, W&B or MLflow datasets, ZenML
        artifacts, dated or versioned object-store paths, pinned dataset revisions."""
        found: list[Evidence] = []
        for unit in self.source_units:
            for number, line in unit.find(DATA_VERSION_RE, raw=True)[:1]:
                found.append(unit.evidence(number, f"versioned data: {snippet(line)}"))
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
    absent: list[str] = []
    for stage in f.stages:
        for dep in stage.deps:
            suffix = posixpath.splitext(dep)[1].lower()
            if suffix in (".py", ".ipynb", ".yaml", ".yml", ".toml", ".json", ".txt", ".cfg"):
                continue
            if "${" in dep:
                continue  # a template DVC resolves from values assess could not read
            if dep in produced or f.dvc_covered(dep) or f.index.exists(dep) or f.git_tracked(dep):
                continue
            absent.append(f"stage {stage.name} reads {dep}")
    quiet = f.data_files or f.dvc_tracked or f.lfs_patterns or f.data_versioning
    if not quiet and f.training_units:
        for unit in f.training_units:
            if unit.kind == "ipynb" and f.pipeline_trains:
                continue  # an experimentation notebook beside a pipeline that trains
            written: set[str] = set()
            for number, line in unit.find(READ_RE):
                if only_writes(line):
                    written.update(unit.path_literals(line))
                    continue  # tarfile.open(p, "w:gz"), open(p, "w"): a write, not a read
                literals = [
                    lit
                    for lit in unit.path_literals(line)
                    if lit not in written and not _joined(line, lit)
                ]  # a file it wrote itself, or a name under a folder given at run time
                if any(data_group(lit, suffix_of(lit)) or "data" in lit for lit in literals):
                    detail = f"reads data nothing versions: {snippet(line)}"
                    ev.append(unit.evidence(number, detail))
                    break
    ev.extend(sql_reads(f))  # training data a query reads at run time (``sqldata``)
    ev.extend(absent_inputs(f))  # catalog inputs that are not here (``absentinputs``)
    ev.extend(empty_dvc_reads(f))  # a .dvc file of an empty file (``emptydvc``)
    if not ev and absent:
        detail = (
            f"{NOT_RECOGNISED}{'; '.join(sorted(set(absent))[:3])}, which is not here yet and "
            "nothing tracks (looked for .dvc files, stage outputs, git-lfs, files in git, "
            "lakeFS, W&B and MLflow datasets): will it be `dvc add`-ed, or where does it come "
            "from?"
        )
        ev.append(Evidence(None, None, detail))
    return ev


def large_binaries_in_git(f: Facts) -> list[Evidence]:
    """Files the git index tracks that are large (artifacts from 1 MiB, anything from 10 MiB)."""
    tracked = f.index.git.tracked
    if not tracked:
        return []
    ev: list[Evidence] = []
    folders: dict[str, list[int]] = {}
    pictures = f.doc_pictures
    for path, size in sorted(tracked.items()):
        suffix = posixpath.splitext(path)[1].lower()
        artifact = suffix in MODEL_SUFFIXES or suffix in DATA_SUFFIXES
        if suffix in PICTURE_SUFFIXES and (path in pictures or data_group(path, suffix) is None):
            artifact = False  # a picture the docs show, or one under docs/ or static/
        if any(gitmeta.matches_pattern(path, p) for p in f.lfs_patterns):
            continue
        if artifact:
            folders.setdefault(posixpath.dirname(path), []).append(size)
        if size < LARGE_FILE_BYTES and not (artifact and size >= LARGE_ARTIFACT_BYTES):
            continue
        ev.append(Evidence(path, None, f"{human(size)} committed to git"))
    for folder, sizes in sorted(folders.items()):
        if len(sizes) >= MANY_FILES and sum(sizes) >= LARGE_FILE_BYTES:
            where = f"{folder}/" if folder else "."
            detail = f"{len(sizes)} files, {human(sum(sizes))} together, committed to git"
            ev.append(Evidence(where, None, detail))
    return ev
