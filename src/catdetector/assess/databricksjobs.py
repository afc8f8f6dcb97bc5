"""Databricks jobs declared in Terraform: a declared pipeline, and what its tasks run.

``resource "databricks_job" "x" { task { notebook_task { notebook_path = "..." } } }`` is a
job anyone with the workspace re-runs (and schedules): a declared pipeline, like a bundle's
``resources: jobs:``. Its tasks name files of the repository (``git_source``) by their path
from the root, and Databricks addresses a notebook by its path **without** the extension
(``training/notebooks/Train`` is ``training/notebooks/Train.py``); a path relative to the
Terraform file is tried too. A task whose path resolves to no file here (a workspace
notebook) shows nothing about this repository. Read as text (HCL blocks by their braces;
``#`` and ``//`` comments dropped), never run.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.model import Evidence
from catdetector.assess.text import normpath

if TYPE_CHECKING:
    from catdetector.assess.scan import RepoIndex

_JOB_RE = re.compile(r'^\s*resource\s+"databricks_job"\s+"([\w-]+)"\s*\{', re.M)
_TASK_PATH_RE = re.compile(r'^\s*(?:notebook_path|python_file)\s*=\s*"([^"$]+)"', re.M)
_COMMENT_RE = re.compile(r"^\s*(?:#|//).*$", re.M)
_SUFFIXES = ("", ".py", ".ipynb")


def _block(text: str, start: int) -> str:
    """The text of the block whose ``{`` is the last character before ``start``."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:]


def _resolve(index: RepoIndex, path: str, tf: str) -> str | None:
    for base in ("", posixpath.dirname(tf)):
        for suffix in _SUFFIXES:
            found = normpath(path + suffix, base)  # an absolute path is the workspace's
            if found is not None and found in index.files:
                return found
    return None


def terraform_jobs(index: RepoIndex) -> list[tuple[str, int, list[str]]]:
    """(Terraform file, line, repository files its tasks run) per ``databricks_job`` whose
    tasks run at least one file of this repository."""
    found: list[tuple[str, int, list[str]]] = []
    for info in index.texts():
        if info.suffix != ".tf" or "databricks_job" not in (info.text or ""):
            continue
        text = _COMMENT_RE.sub("", info.text or "")
        for m in _JOB_RE.finditer(text):
            block = _block(text, m.end())
            files = [
                r for p in _TASK_PATH_RE.findall(block)
                if (r := _resolve(index, p, info.path)) is not None
            ]  # fmt: skip
            if files:
                found.append((info.path, text.count("\n", 0, m.start()) + 1, files))
    return found


def job_evidence(index: RepoIndex) -> list[Evidence]:
    """Each Terraform Databricks job that runs files of this repository."""
    return [
        Evidence(path, line, f"Databricks job (Terraform) runs {', '.join(files[:3])}")
        for path, line, files in terraform_jobs(index)
    ]


def training_jobs(index: RepoIndex, training: set[str]) -> list[Evidence]:
    """Each Terraform Databricks job one of whose tasks runs a training file."""
    found: list[Evidence] = []
    for path, line, files in terraform_jobs(index):
        trains = [f for f in files if f in training]
        if trains:
            found.append(Evidence(path, line, f"Databricks job task trains: {trains[0]}"))
    return found
