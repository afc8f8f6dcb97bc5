"""Commands a file runs, followed into what they invoke (nothing is run).

From CI definitions or job specs, each command line is read and the files it
invokes are followed: shell and Python scripts (``./run.sh``, ``bash x.sh``,
``cd dir && ./script.sh``, ``python -m pkg.mod``), Makefile targets
(``make [-C dir] target``, with their prerequisites), the tasks of other task runners
(just, mise, poe, pdm, hatch, npm/yarn/pnpm scripts, Taskfile, invoke, tox, nox: see
``runners``), YAML job specs a command
submits (``anyscale job submit job.yaml``, ``kubectl apply -f``), the Dockerfile
an image is built from. Python files are read but not
followed further, except the task files of invoke and nox, whose task functions are read
with ``ast`` (``pytasks``) and whose imports are followed to the modules they call; lines of
a YAML file that only name files (trigger filters, action inputs: ``triggers``) are not
read. The chain stops after ``MAX_DEPTH`` hops.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from functools import cached_property

from catdetector.assess.dvctargets import repro_targets, stage_lines
from catdetector.assess.images import Image, image_name, images
from catdetector.assess.modules import Modules
from catdetector.assess.pylines import not_run_lines
from catdetector.assess.runners import RUNNERS, invoked
from catdetector.assess.scan import RepoIndex
from catdetector.assess.text import normpath
from catdetector.assess.triggers import trigger_lines

MAX_DEPTH = 3
MAX_COMMANDS = 20_000

_FILE_TOKEN_RE = re.compile(r"[\w./${}-]*[\w}]\.(?:sh|bash|py|ya?ml)\b")
_MODULE_RE = re.compile(
    r"(?:\bpython[\d.]*|\buv\s+run|\$[({]?PYTHON\w*[)}]?)\s+(?:-\w+\s+)*-m\s+([\w.]+)"
)
_USES_RE = re.compile(r"^-?\s*uses:\s*['\"]?\./([^\s@'\"]+)")
_IMPORT_RE = re.compile(r"^(?:from\s+([\w.]+)\s+import\b|import\s+([\w.]+))")
_MAKE_RE = re.compile(
    r"(?:^|[;&|(]\s*|\s)((?:[A-Za-z_]\w*=\S*\s+)*)make\b((?:\s+[^\s;&|]+)*)"
)
_MAKE_VAR_RE = re.compile(r"^\s*(?:export\s+|override\s+)?([A-Za-z_]\w*)\s*(\?|:|::)?=\s*(.*)$")
_VAR_USE_RE = re.compile(r"\$\(([A-Za-z_]\w*)\)|\$\{([A-Za-z_]\w*)\}")
_CD_RE = re.compile(r"(?:^|[;&|:(]\s*|\s)cd\s+([^\s;&|)]+)")
_DOCKER_RE = re.compile(r"\bdocker(?:-compose|\s+compose|\s+build|\s+buildx\s+build|\s+run)\b")
_TARGET_RE = re.compile(r"^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?!=)(.*)$")


@dataclass(frozen=True)
class Command:
    """One line a definition runs, where it is, and what led to it."""

    file: str
    line: int
    text: str
    via: str = ""

    def where(self) -> str:
        """``file:line`` plus the chain that led here."""
        return f"{self.file}:{self.line}" + (f" (run from {self.via})" if self.via else "")


def _make_targets(text: str) -> dict[str, tuple[list[str], list[tuple[int, str]]]]:
    """Makefile target -> (prerequisites, recipe lines)."""
    targets: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
    current: list[str] = []
    continued = False  # a recipe line ending in `\` goes on, however the next one is indented
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("\t") or (continued and current):
            for name in current:
                targets[name][1].append((number, line.strip()))
            continued = line.rstrip().endswith("\\")
            continue
        m = _TARGET_RE.match(line)
        if m and not line.startswith((" ", "#")):
            current = [t for t in m.group(1).split() if t != ".PHONY"]
            deps = m.group(2).split(";", 1)[0].split()
            for name in current:
                targets.setdefault(name, ([], []))[0].extend(deps)
        elif line.strip() and not line.startswith("#"):
            current = []
    return targets


def _make_vars(text: str, given: str) -> dict[str, str]:
    """A Makefile's variables: the environment (``VAR=value make``; ``?``-marked, kept by
    ``VAR ?= x`` only, unless ``make -e``), the file's own (``VAR ?= x``, ``VAR := x``,
    ``VAR = x``), then the command line's (``make target VAR=value``), which win. A use of
    an unknown variable is left as written."""
    found: dict[str, str] = {}
    pairs = [p.partition("=") for p in given.split("\n") if "=" in p]
    found.update((n[1:], v) for n, _, v in pairs if n.startswith("?"))  # the environment
    for line in text.splitlines():
        if line.startswith("\t") or (m := _MAKE_VAR_RE.match(line)) is None:
            continue
        if m.group(2) != "?" or m.group(1) not in found:  # `?=` keeps the environment's
            found[m.group(1)] = m.group(3).split(" #", 1)[0].strip()
    found.update((n, v) for n, _, v in pairs if not n.startswith("?"))  # command line wins
    return found


def _substitute(line: str, values: dict[str, str]) -> str:
    """``$(VAR)`` and ``${VAR}`` replaced by the values known (twice: a value may use one)."""
    for _ in range(2):
        line = _VAR_USE_RE.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), line)
    return line


def _joined(lines: list[tuple[int, str]], path: str) -> list[tuple[int, str]]:
    """Shell lines continued with a trailing backslash, joined into the one command they are
    (at the first line's number): `docker run --rm \\` then the image on the next line."""
    if path.endswith(".py"):
        return lines
    out: list[tuple[int, str]] = []
    held: tuple[int, str] | None = None
    for number, line in lines:
        if held is not None:
            number, line = held[0], held[1] + " " + line
        held = (number, line[:-1].rstrip()) if line.endswith("\\") else None
        if held is None:
            out.append((number, line))
    return out + ([held] if held is not None else [])


BUILT_ONLY = "docker::build"  # a Dockerfile an image is built from, and not run
_DOCKERFILE_RE = re.compile(r"(?:^|/)(?:[\w.-]+\.)?Dockerfile(?:\.[\w.-]+)?$", re.I)
_RUNS_IMAGE_RE = re.compile(
    r"\b(?:docker|podman|compose|docker-compose)\s+(?:-\S+(?:\s+[^-\s]\S*)?\s+)*(?:run|up)\b"
)  # `docker run`, `docker compose -f x.yml up`: the image's command runs
_IMAGE_RUN_RE = re.compile(
    r"\b(?:docker|podman)\s+(?:-\S+\s+)*run\b|\bcompose\b.*\s(?:up|run)\b|"
    r"\bgcloud\s+(?:beta\s+)?(?:run\s+(?:jobs\s+|services\s+)?"
    r"(?:deploy|create|execute|update|replace)|ai\s+custom-jobs\s+create|batch\s+jobs\s+submit)\b|"
    r"\bkubectl\s+(?:run|apply|create)\b|"
    r"\baws\s+(?:ecs\s+run-task|batch\s+submit-job|sagemaker\s+create-)|\baz\s+container"
)  # CI runs an image: locally, as a cloud job or service, on a cluster
_BUILD_STEP_RE = re.compile(r"(?i)RUN\s")  # what `docker build` runs


_Ref = tuple[str, str, str, str, int]  # path, target, cwd, via, depth


class _Follower:
    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.modules = Modules(index)
        self.out: list[Command] = []
        self.seen: set[tuple[str, str]] = set()

    def run(self, starts: list[str]) -> list[Command]:
        built: list[_Ref] = []  # images built, their command unread
        self._run([(p, "", "", "", 0) for p in starts], built)
        if any(_IMAGE_RUN_RE.search(c.text) for c in self.out if not c.text.startswith("#")):
            self._run([(p, "", cwd, via, d) for p, _, cwd, via, d in built], [])
        return self.out

    def _run(self, queue: list[_Ref], built: list[_Ref]) -> None:
        """Follow ``queue``; the Dockerfiles only built go to ``built`` too: their command
        runs only if CI also runs an image (``docker run``, a cloud job or deployment)."""
        while queue and len(self.out) < MAX_COMMANDS:
            path, target, cwd, via, depth = queue.pop(0)
            if (path, target) in self.seen:
                continue
            self.seen.add((path, target))
            python_task = path.endswith(".py") and "::" in target
            for number, line in self._lines(path, target):
                self.out.append(Command(path, number, line, via))
                if depth >= MAX_DEPTH or (path.endswith(".py") and not python_task):
                    continue
                here = f"{path}:{number}"
                if line.startswith("#"):
                    continue  # a commented line (`# Usage: docker run ...`) runs nothing
                for ref, ref_target, ref_cwd in self._refs(line, path, cwd):
                    queue.append((ref, ref_target, ref_cwd, here, depth + 1))
                    if ref_target == BUILT_ONLY:
                        built.append(queue[-1])
                if python_task and (m := _IMPORT_RE.match(line)):
                    for found in self.modules.module(m.group(1) or m.group(2), cwd):
                        queue.append((found, "", "", here, depth + 1))
                if not path.endswith((".yml", ".yaml")):
                    moved = _CD_RE.findall(line)
                    if moved and line.strip().startswith("cd "):
                        moved_to = normpath(moved[-1], cwd)
                        cwd = moved_to if moved_to is not None else cwd

    def _lines(self, path: str, target: str) -> list[tuple[int, str]]:
        text = self.index.text(path) or ""
        if target.startswith("dvc::"):  # `dvc repro STAGE`: that stage and its upstream
            stages = stage_lines(text, target[5:].split("\n"))
            if stages is not None:
                return stages
            target = ""
        if target == BUILT_ONLY:  # a build runs RUN steps: not the image's command, not COPY
            return [x for x in self._lines(path, "") if _BUILD_STEP_RE.match(x[1])]
        if "::" in target:
            name, _, task = target.partition("::")
            for runner in RUNNERS:
                if runner.name == name:
                    return runner.read(text, task)
            return []
        if not target:
            skip = trigger_lines(text) if path.endswith((".yml", ".yaml")) else set()
            skip |= not_run_lines(text) if path.endswith(".py") else set()
            numbered = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)]
            return _joined([x for x in numbered if x[1] and x[0] not in skip], path)
        targets = _make_targets(text)
        target, _, given = target.partition("\n")
        chosen = [target] if target != "." else [next(iter(targets), "")]
        lines: list[tuple[int, str]] = []
        for name in chosen:
            deps, recipe = targets.get(name, ([], []))
            lines.extend(recipe)
            for dep in deps[:8]:
                lines.extend(targets.get(dep, ([], []))[1])
        values = _make_vars(text, given)
        return _joined([(n, _substitute(line, values)) for n, line in lines], path)

    def _exists(self, path: str | None) -> str | None:
        return path if path is not None and path in self.index.files else None

    def _refs(self, line: str, path: str, cwd: str) -> list[tuple[str, str, str]]:
        refs: list[tuple[str, str, str]] = []
        moved = _CD_RE.findall(line)
        local = normpath(moved[-1], cwd) if moved else cwd
        local = local if local is not None else cwd
        for token in _FILE_TOKEN_RE.findall(line):
            if "$" in token or "{" in token:
                continue
            for base in dict.fromkeys((local, cwd, "")):
                found = self._exists(normpath(token, base))
                if found and found != path:
                    built = BUILT_ONLY if _DOCKERFILE_RE.search(found) else ""  # named, not run
                    refs.append((found, built, base if found.endswith((".sh", ".bash")) else ""))
                    break
        for module in _MODULE_RE.findall(line):
            refs.extend((found, "", "") for found in self.modules.module(module, local, run=True))
        if uses := _USES_RE.match(line):  # a local composite action runs its own steps
            folder = normpath(uses.group(1))
            for name in ("action.yml", "action.yaml"):
                if folder is not None and (found := self._exists(normpath(name, folder))):
                    refs.append((found, "", ""))
        for m in _MAKE_RE.finditer(line):
            refs.extend(self._make(m.group(2), local, m.group(1).split()))
        if _DOCKER_RE.search(line):
            refs.extend(self._docker(line, local))
        if re.search(r"\bdvc['\"]?\s+(?:repro|exp\s+run)\b", line):
            for base in dict.fromkeys((local, "")):
                if found := self._exists(normpath("dvc.yaml", base)):
                    stages = "\n".join(repro_targets(line))
                    refs.append((found, f"dvc::{stages}" if stages else "", base))
                    break
        for runner, task in invoked(line):
            for name in runner.files:
                found = self._exists(normpath(name, local)) or self._exists(name)
                if found and (found, f"{runner.name}::{task}") != (path, ""):
                    refs.append((found, f"{runner.name}::{task}", local))
                    break
        return refs

    def _make(self, args: str, cwd: str, env: list[str]) -> list[tuple[str, str, str]]:
        try:
            words = shlex.split(args)
        except ValueError:
            words = args.split()
        strong = "-e" in words or "--environment-overrides" in words  # `make -e`
        given = [e if strong else "?" + e for e in env]  # the environment, weaker than `=`
        given += [w for w in words if "=" in w and not w.startswith("-")]
        directory, targets, skip = cwd, [], False
        for i, word in enumerate(words):
            if skip:
                skip = False
                continue
            if word in ("-C", "--directory") and i + 1 < len(words):
                moved = normpath(words[i + 1], cwd)
                directory = moved if moved is not None else cwd
                skip = True
            elif word.startswith("-C") and len(word) > 2:
                moved = normpath(word[2:], cwd)
                directory = moved if moved is not None else cwd
            elif not word.startswith("-") and "=" not in word:
                targets.append(word)
        for name in ("Makefile", "makefile", "GNUmakefile"):
            found = self._exists(normpath(name, directory))
            if found:
                values = "".join("\n" + g for g in given)  # read by ``_make_vars``
                return [(found, t + values, directory) for t in (targets or ["."])]
        return []

    def _docker(self, line: str, cwd: str) -> list[tuple[str, str, str]]:
        m = re.search(r"(?:-f|--file)[\s=]+(\S+)", line)
        candidates = [normpath(m.group(1), cwd)] if m else []
        build = re.search(r"\bbuild\b.*\s(\S+)\s*(?:$|&&|;)", line)
        context = normpath(build.group(1), cwd) if build else None
        if context is not None:
            candidates.append(posixpath.join(context, "Dockerfile") if context else "Dockerfile")
        if not candidates and (run := re.search(r"\b(?:run|up)\b(.*)", line)):
            for word in run.group(1).split():  # the image or compose service it runs
                if word.startswith("-") or "=" in word or word in ("docker", "compose"):
                    continue
                if image := self.images.get(image_name(word)):
                    return [(image.dockerfile, "", image.context)]
        candidates += [normpath("Dockerfile", cwd), "Dockerfile"]
        built_only = build is not None and not _RUNS_IMAGE_RE.search(line)
        for candidate in candidates:
            if found := self._exists(candidate):  # its commands run from its build context
                where = context if context is not None else posixpath.dirname(found)
                return [(found, BUILT_ONLY if built_only else "", where)]
        return []

    @cached_property
    def images(self) -> dict[str, Image]:
        """Images this repository builds (``images``), read when a command runs one."""
        return images(self.index)


def follow(index: RepoIndex, starts: list[str]) -> list[Command]:
    """Every command line of ``starts`` and of what they invoke, up to ``MAX_DEPTH`` hops."""
    return _Follower(index).run(starts)
