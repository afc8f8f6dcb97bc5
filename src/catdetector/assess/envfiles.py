"""Environment files parsed into requirements: requirements.txt, pyproject, conda, Dockerfile."""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from catdetector.assess.scan import FileInfo
from catdetector.assess.text import YAML_LOADER, normpath
from catdetector.assess.vocab import SERVE_TOKENS, TRAIN_TOKENS

DEV_TOKENS = frozenset(
    {"dev", "docs", "doc", "test", "tests", "lint", "style", "ci", "devcontainer", "gitpod"}
)
DEV_SECTION_WORDS = frozenset(
    {"docs", "documentation", "doc", "dev", "development", "test", "tests", "testing", "lint",
     "linting", "style", "styling", "notebook", "notebooks", "jupyter"}
)  # fmt: skip
ENV_SUBDIRS = frozenset(
    {"docker", "deploy", "deployment", "requirements", "envs", "env", "environment", "ci",
     "api", "app", "serve", "serving", "train", "training", "inference", "code"}
)  # fmt: skip
DEV_PACKAGES = frozenset(
    {"jupyter", "jupyterlab", "notebook", "ipykernel", "ipython", "ipywidgets", "nbconvert",
     "nbformat", "jupytext", "nbstripout", "black", "ruff", "flake8", "isort", "mypy", "pylint",
     "pre-commit", "coverage", "tox", "nox", "pyupgrade", "bandit", "furo", "myst-parser",
     "twine", "build", "wheel", "setuptools", "pip", "great-tables", "pip-tools"}
)  # fmt: skip
DEV_PREFIXES = ("mkdocs", "sphinx", "pytest", "types-", "flake8-", "jupyter")

REQ_LINE_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
PY_VERSION_RE = re.compile(r"(\d+\.\d+)")
LOCK_INSTALL_RE = re.compile(
    r"\b(?:uv\s+sync|poetry\s+install|pipenv\s+(?:install|sync)|pdm\s+sync)"
)


@dataclass
class Requirement:
    """One requirement line of an environment file."""

    name: str
    spec: str
    line: int | None
    file: str = ""
    dev: bool = False

    @property
    def runtime(self) -> bool:
        """False for docs, notebook, lint and test tools (not installed to train or serve)."""
        return not self.dev and not is_dev_package(self.name)

    @property
    def pinned(self) -> bool:
        """True for an exact pin (==, ===, a conda single '=', or a URL/hash pin)."""
        spec = self.spec.replace(" ", "")
        if spec.startswith(("===", "==")) and "*" not in spec:
            return True
        if re.match(r"^=\d", spec) and "*" not in spec:
            return True
        return spec.startswith("@") or "--hash" in spec


@dataclass
class EnvSpec:
    """An environment file (or a Dockerfile's installs)."""

    path: str
    kind: str
    reqs: dict[str, Requirement] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)
    python: tuple[str, int | None] | None = None
    uses_lock: bool = False

    @property
    def dev(self) -> bool:
        """A docs, test, lint or dev-only environment (by its path)."""
        return bool(set(re.split(r"[/._\-]+", self.path.lower())) & DEV_TOKENS)

    @property
    def project(self) -> str:
        """The project folder the file belongs to (its folder, above docker/, deploy/...)."""
        folder = posixpath.dirname(self.path)
        head, _, last = folder.rpartition("/")
        return head if last.lower() in ENV_SUBDIRS else folder

    @property
    def side(self) -> str:
        """'train', 'serve' or 'shared', from the path below its project folder (Dockerfiles
        serve): the Pipfile of a ``web-service/`` example is that example's whole environment."""
        project = self.project
        below = self.path[len(project) + 1 :] if project else self.path
        tokens = set(re.split(r"[/._\-]+", below.lower()))
        if tokens & TRAIN_TOKENS:
            return "train"
        if self.kind == "dockerfile" or tokens & SERVE_TOKENS:
            return "serve"
        return "shared"


def _parse_requirement(text: str) -> tuple[str, str] | None:
    text = text.split(" #", 1)[0].strip().strip("'\"")
    if not text or text.startswith(("-", "#", ".", "/", "git+", "http")):
        return None
    text = text.split(";", 1)[0].strip()
    m = REQ_LINE_RE.match(text)
    if not m:
        return None
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(3).strip()


def is_dev_package(name: str) -> bool:
    """Whether a package is a docs, notebook, lint or test tool."""
    return name in DEV_PACKAGES or name.startswith(DEV_PREFIXES)


def requirements_env(info: FileInfo) -> EnvSpec:
    spec = EnvSpec(info.path, "requirements")
    base = posixpath.dirname(info.path)
    dev_section = False
    for number, raw in enumerate(info.lines, start=1):
        line = raw.strip()
        if line.startswith("#"):
            words = set(re.findall(r"[a-z]+", line.lower()))
            if words & DEV_SECTION_WORDS:
                dev_section = True
            elif words & {"default", "runtime", "core", "main", "base", "prod", "production"}:
                dev_section = False
            continue
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            parts = line.split(None, 1) if " " in line else [line[:2], line[2:]]
            if len(parts) == 2:
                target = normpath(parts[1].strip(), base)
                if target is not None:
                    spec.includes.append(target)
            continue
        parsed = _parse_requirement(line)
        if parsed:
            spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], number, dev=dev_section)
    return spec


def pyproject_env(info: FileInfo) -> EnvSpec | None:
    try:
        data = tomllib.loads(info.text or "")
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    spec = EnvSpec(info.path, "pyproject")
    project = data.get("project", {})
    deps: list[Any] = list(project.get("dependencies", []) or [])
    poetry = data.get("tool", {}).get("poetry", {})
    for name, value in (poetry.get("dependencies", {}) or {}).items():
        if name.lower() == "python":
            continue
        deps.append(f"{name}{value if isinstance(value, str) and value[:1] in '=<>~!^' else ''}")
    for dep in deps:
        if isinstance(dep, str) and (parsed := _parse_requirement(dep)):
            spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], _line_of(info, dep))
    requires = project.get("requires-python")
    if isinstance(requires, str) and requires.startswith("=="):
        spec.python = (requires[2:].strip(), _line_of(info, "requires-python"))
    if not spec.reqs and not project and not poetry:
        return None
    return spec


def _line_of(info: FileInfo, needle: str) -> int | None:
    for number, line in enumerate(info.lines, start=1):
        if needle in line:
            return number
    return None


def conda_env(info: FileInfo) -> EnvSpec | None:
    try:
        data = yaml.load(info.text or "", Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        return None
    spec = EnvSpec(info.path, "conda")
    for dep in data["dependencies"]:
        items = dep.get("pip", []) if isinstance(dep, dict) else [dep]
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, str):
                continue
            parsed = _parse_requirement(item)
            if parsed is None:
                continue
            name, version = parsed
            line = _line_of(info, item)
            if name == "python":
                m = PY_VERSION_RE.search(version)
                if m and version.lstrip("=").strip()[:1].isdigit():
                    spec.python = (m.group(1), line)
                continue
            spec.reqs[name] = Requirement(name, version, line)
    return spec


def dockerfile_env(info: FileInfo) -> EnvSpec:
    spec = EnvSpec(info.path, "dockerfile")
    base = posixpath.dirname(info.path)
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(info.lines, start=1):
        if raw.lstrip().startswith("#"):  # a comment installs nothing, even in a continuation
            continue
        if not buffer:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append((start, buffer + line))
        buffer = ""
    for number, line in logical:
        stripped = line.strip()
        m = re.match(r"(?i)^FROM\s+(?:--\S+\s+)?(?:\S+/)?python:(\d+\.\d+)", stripped)
        if m:
            spec.python = (m.group(1), number)
        if LOCK_INSTALL_RE.search(line):
            spec.uses_lock = True
        for install in re.finditer(r"\bpip3?\s+install\s+([^&;|]*)", line):
            tokens = install.group(1).split()
            i = 0
            while i < len(tokens):
                token = tokens[i]
                if token in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(tokens):
                    target = normpath(tokens[i + 1])
                    if target is not None:
                        spec.includes.append(target)
                        local = normpath(tokens[i + 1], base)
                        if local is not None and local != target:
                            spec.includes.append(local)
                    i += 2
                    continue
                if not token.startswith("-") and (parsed := _parse_requirement(token)):
                    spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], number)
                i += 1
    return spec


def pipfile_env(info: FileInfo) -> EnvSpec:
    """The packages of a Pipfile."""
    spec = EnvSpec(info.path, "pipfile")
    section = ""
    for number, line in enumerate(info.lines, start=1):
        if line.startswith("["):
            section = line.strip()
        elif section in ("[packages]", "[dev-packages]") and "=" in line:
            key, _, value = line.partition("=")
            value = value.strip().strip("'\"")
            req = "" if value == "*" else value
            name_ = re.sub(r"[-_.]+", "-", key.strip().strip("'\"")).lower()
            spec.reqs[name_] = Requirement(name_, req, number)
    return spec
