"""Container images a repository builds: image name -> the Dockerfile and build context.

Read from compose files (a service's ``build:`` context and its ``image:`` name or service
name), from ``docker build -t NAME [-f FILE] CONTEXT`` commands in scripts, Makefiles and CI,
and from a Dockerfile's own folder or suffix (``trainer/Dockerfile``,
``Dockerfile.trainer``). Names are compared without registry, namespace, tag or digest.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any

import yaml

from catdetector.assess.scan import FileInfo, RepoIndex
from catdetector.assess.text import YAML_LOADER, normpath

_BUILD_RE = re.compile(r"\bdocker\s+(?:image\s+)?(?:buildx\s+)?build\b([^\n;&|]*)")
_SCRIPT_SUFFIXES = (".sh", ".bash", ".yml", ".yaml", ".mk")
_SCRIPT_NAMES = ("makefile", "gnumakefile", "justfile", "jenkinsfile")


@dataclass(frozen=True)
class Image:
    """A Dockerfile and the folder it is built from."""

    dockerfile: str
    context: str


def image_name(reference: str) -> str:
    """``trainer`` of ``ghcr.io/team/trainer:1.2@sha256:...`` (empty for a variable only)."""
    name = reference.strip().strip("'\"").split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    last = last.split(":", 1)[0]
    return "" if "$" in last or "{" in last or not last else last.lower()


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _compose(info: FileInfo, index: RepoIndex, out: dict[str, Image]) -> None:
    data = _load(info.text or "")
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    base = posixpath.dirname(info.path)
    for name, body in services.items():
        if not isinstance(body, dict) or "build" not in body:
            continue
        build = body["build"]
        context = build.get("context", ".") if isinstance(build, dict) else build
        file = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        folder = normpath(str(context), base) if isinstance(context, str) else None
        if folder is None:
            continue
        dockerfile = normpath(str(file), folder)
        if dockerfile is None or dockerfile not in index.files:
            continue
        for key in (str(name), str(body.get("image", ""))):
            if image_name(key):
                out.setdefault(image_name(key), Image(dockerfile, folder))


def _builds(info: FileInfo, index: RepoIndex, out: dict[str, Image]) -> None:
    for m in _BUILD_RE.finditer(info.text or ""):
        try:
            words = shlex.split(m.group(1), comments=False)
        except ValueError:
            words = m.group(1).split()
        tags: list[str] = []
        file = ""
        positional: list[str] = []
        skip = ""
        for word in words:
            if skip:
                if skip == "tag":
                    tags.append(word)
                elif skip == "file":
                    file = word
                skip = ""
            elif word in ("-t", "--tag"):
                skip = "tag"
            elif word in ("-f", "--file"):
                skip = "file"
            elif word.startswith(("--tag=", "--file=")):
                key, _, value = word.partition("=")
                if key == "--tag":
                    tags.append(value)
                else:
                    file = value
            elif word.startswith("-"):
                skip = "value" if word in ("--build-arg", "--target", "--platform") else ""
            else:
                positional.append(word)
        context = normpath(positional[-1]) if positional else None
        if context is None:
            continue
        dockerfile = normpath(file) if file else normpath("Dockerfile", context)
        if dockerfile is None or dockerfile not in index.files:
            continue
        for tag in tags:
            if image_name(tag):
                out.setdefault(image_name(tag), Image(dockerfile, context))


def _by_folder(index: RepoIndex, out: dict[str, Image]) -> None:
    for path, info in index.files.items():
        name = info.name
        folder = posixpath.dirname(path)
        if name == "Dockerfile" and folder:
            key = folder.rsplit("/", 1)[-1].lower()
        elif name.startswith("Dockerfile."):
            key = name.split(".", 1)[1].lower()
        elif name.endswith(".Dockerfile") or name.endswith(".dockerfile"):
            key = name.rsplit(".", 1)[0].lower()
        else:
            continue
        out.setdefault(key, Image(path, folder))


def images(index: RepoIndex) -> dict[str, Image]:
    """Image name -> where it is built from (compose, build commands, Dockerfile folders)."""
    out: dict[str, Image] = {}
    for info in index.texts():
        low = info.name.lower()
        if (
            info.suffix in (".yml", ".yaml")
            and "services:" in (info.text or "")
            and ("build" in (info.text or ""))
        ):
            _compose(info, index, out)
        if (info.suffix in _SCRIPT_SUFFIXES or low in _SCRIPT_NAMES) and "build" in (
            info.text or ""
        ):
            _builds(info, index, out)
    _by_folder(index, out)
    return out
