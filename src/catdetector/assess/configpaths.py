"""One machine's paths in the configuration files training loads (YAML, JSON, TOML).

A config file counts when training code or a pipeline definition loads it: its path (from
the root or from the code's folder) is a literal in that code, or it lies under a folder the
code names (Hydra's ``config_path="configs"``). A value in it that starts an absolute path on
one machine (``root_dir: "O:\\BTSData\\..."``, ``/home/alice/...``, ``C:\\Users\\...``,
``/Users/...``, ``/mnt/c/...``) is the same positive evidence as such a path in code; a
tool's own configuration in the home folder (``~/.kube/config``) is not, nor a value built
from a variable (``${oc.env:DATA}/x``).
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.text import normpath, snippet

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
VALUE_RE = re.compile(
    r"""(?:[:=]|^\s*-)\s*['"]?(?P<path>/Users/|/home/|~/|[A-Za-z]:\\{1,2}|[A-Za-z]:/|/mnt/[a-z]/|"""
    r"""/Volumes/|/content/(?:drive|gdrive)/|/kaggle/)""",
    re.M,
)
TOOL_HOME_RE = re.compile(
    r"~/\.(?:kube|aws|ssh|config|cache|docker|azure|gcloud|netrc|pgpass|kaggle|huggingface|"
    r"databrickscfg|mlflow)\b"
)
_LITERAL_RE = re.compile(r"""['"]([\w./\\-]+)['"]""")


def _named_paths(unit: CodeUnit) -> set[str]:
    """Root-relative paths a unit names (as written, and from its own folder)."""
    base = posixpath.dirname(unit.path)
    found: set[str] = set()
    for literal in _LITERAL_RE.findall(unit.text):
        for resolved in (normpath(literal), normpath(literal, base) if base else None):
            if resolved:
                found.add(resolved)
    return found


def _loaded(path: str, named: set[str]) -> bool:
    if path in named:
        return True
    parts = path.split("/")
    return any("/".join(parts[:i]) in named for i in range(1, len(parts)))


def config_machine_paths(f: Facts, loaders: list[CodeUnit]) -> list[Evidence]:
    """Values on one machine in the config files ``loaders`` (training, pipelines) load."""
    configs = [
        info
        for info in f.config_texts
        if info.suffix in CONFIG_SUFFIXES
        and info.path not in f.ci_systems
        and not AUX_PATH_RE.search(info.path)
        and not info.path.startswith(".")
        and VALUE_RE.search(info.text or "")
    ]
    if not configs:
        return []
    named: set[str] = set()
    for unit in loaders:
        named |= _named_paths(unit)
    found: list[Evidence] = []
    for info in configs:
        if not _loaded(info.path, named):
            continue
        lines = (info.text or "").splitlines()
        for m in VALUE_RE.finditer(info.text or ""):
            number = (info.text or "").count("\n", 0, m.start()) + 1
            line = lines[number - 1] if number <= len(lines) else ""
            if line.lstrip().startswith(("#", "//")) or TOOL_HOME_RE.search(line):
                continue
            found.append(Evidence(info.path, number, snippet(line)))
            break
    return found
