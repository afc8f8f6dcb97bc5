"""The code a pipeline definition runs, followed by its structure (nothing is run).

* **Container tasks** (Airflow ``DockerOperator``, ``KubernetesPodOperator``,
  ``EcsRunTaskOperator``; Kubeflow ``ContainerOp``/``ContainerSpec``; Prefect
  ``DockerContainer``; Dagster ``execute_k8s_job``/``docker_container_op``...): in a file that
  makes one, the ``command``/``cmds``/``arguments`` given to any call or written as a dict key
  (ECS ``containerOverrides``) are read as the command the container runs, and the ``image``
  is followed to the Dockerfile that builds it (``images``), whose ``CMD``/``ENTRYPOINT`` runs
  code from its build context.
* **Script steps**: ``PythonScriptStep(script_name=, source_directory=)``, Azure ML
  ``command(code=, command=)``, SageMaker ``entry_point=, source_dir=``.
* **Components**: ``load_component(source=".../train.yml")`` and ``component: ./x.yml`` are
  followed into the component YAML (``code:``, ``command: python -m pkg.train``); YAML job
  specs are read the same way (a mapping with ``command``, and ``image`` or ``code``).
* **Wired steps** (the legacy ZenML API and any pipeline taking its steps as parameters): a
  file that imports the pipeline function and calls it with step instances
  (``training_pipeline(trainer=trainer(), ...)``) makes the modules those come from its steps.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from catdetector.assess.dbtasks import databricks_task
from catdetector.assess.dockerfiles import command as dockerfile_command
from catdetector.assess.images import Image, image_name
from catdetector.assess.pycalls import dotted
from catdetector.assess.text import YAML_LOADER, normpath

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.modules import Modules

CONTAINER_CALLS = frozenset({
    "DockerOperator", "DockerSwarmOperator", "KubernetesPodOperator", "GKEStartPodOperator",
    "EcsRunTaskOperator", "EcsOperator", "ECSOperator", "ContainerOp", "ContainerSpec",
    "DockerContainer", "KubernetesJob", "execute_k8s_job", "k8s_job_op", "docker_container_op",
    "execute_docker_container", "AzureContainerInstancesOperator", "create_container_op",
})  # fmt: skip
COMMAND_KEYS = frozenset({"command", "cmds", "arguments", "args", "entrypoint", "cmd"})
SCRIPT_KEYS = ("script_name", "entry_point", "script")
FOLDER_KEYS = ("source_directory", "source_dir", "code", "code_directory")
MAX_DEPTH = 3
MAX_NODES = 5000


@dataclass(frozen=True)
class Step:
    """A file a pipeline runs, and how it was reached."""

    file: str
    how: str


def _words(node: ast.AST) -> list[str]:
    """The words of the string constants in an expression, in order (lists, f-strings)."""
    out: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.extend(_split(sub.value))
    return out


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _strings(node: ast.AST) -> list[str]:
    return [
        s.value for s in ast.walk(node) if isinstance(s, ast.Constant) and isinstance(s.value, str)
    ]


class Reach:
    """Steps reached from pipeline definitions in one repository."""

    def __init__(self, modules: Modules, images: dict[str, Image], units: list[CodeUnit]):
        self.modules = modules
        self.index = modules.index
        self.images = images
        self.units = {u.path: u for u in units if u.kind == "py"}

    # -- Python pipeline files --------------------------------------------------------------
    def python(self, path: str) -> list[Step]:
        """Steps a Python pipeline file runs: container tasks, script steps, components."""
        unit = self.units.get(path)
        tree = unit.tree if unit is not None else None
        if tree is None:
            return []
        here = posixpath.dirname(path)
        steps: list[Step] = []
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        containers = [c for c in calls if dotted(c.func).rsplit(".", 1)[-1] in CONTAINER_CALLS]
        if containers:
            steps.extend(self._container_steps(tree, calls, here, path))
        for call in calls:
            name = dotted(call.func).rsplit(".", 1)[-1]
            where = f"{path}:{call.lineno}"
            if name == "load_component":
                for text in (s for arg in [*call.args, *call.keywords] for s in _strings(arg)):
                    if text.endswith((".yml", ".yaml")):
                        found = self.modules.file(text.lstrip("/"), [here, ""]) or (
                            self.modules.nearest(text, here)
                        )
                        if found:
                            steps.extend(self.yaml(found, f"component loaded by {where}"))
            keywords = {k.arg: k.value for k in call.keywords if k.arg}
            if "bash_command" in keywords:  # Airflow's BashOperator runs on the worker
                for found in self.modules.command_files(
                    _words(keywords["bash_command"]), [here, ""]
                ):
                    steps.append(Step(found, f"a shell task of {where}"))
            script = next((keywords[k] for k in SCRIPT_KEYS if k in keywords), None)
            folder_node = next((keywords[k] for k in FOLDER_KEYS if k in keywords), None)
            folder = self._folder(folder_node, here)
            if script is not None:
                for text in _strings(script):
                    found = self.modules.file(text, [folder, here, ""])
                    if found:
                        steps.append(Step(found, f"script step of {where}"))
            if name == "command" and "command" in keywords and folder_node is not None:
                for found in self.modules.command_files(_words(keywords["command"]), [folder]):
                    steps.append(Step(found, f"command step of {where}"))
        return steps

    def _folder(self, node: ast.AST | None, here: str) -> str:
        for text in _strings(node) if node is not None else []:
            folder = normpath(text, here)
            if folder is not None and (folder in self.index.dirs or folder == ""):
                return folder
            folder = normpath(text)
            if folder is not None and folder in self.index.dirs:
                return folder
        return here

    def _container_steps(
        self, tree: ast.AST, calls: list[ast.Call], here: str, path: str
    ) -> list[Step]:
        commands: list[tuple[int, list[str]]] = []
        contexts: list[tuple[Image, int]] = []
        for key, value, line in _keyed(tree, calls):
            if key in COMMAND_KEYS:
                commands.append((line, _words(value)))
            elif key == "image":
                for text in _strings(value):
                    image = self.images.get(image_name(text))
                    if image is not None:
                        contexts.append((image, line))
        steps: list[Step] = []
        bases = [c.context for c, _ in contexts] + [here, ""]
        for line, words in commands:
            for found in self.modules.command_files(words, bases):
                steps.append(Step(found, f"run in a container by {path}:{line}"))
        for image, line in contexts:
            words = _split(dockerfile_command(self.index.text(image.dockerfile) or ""))
            for found in self.modules.command_files(words, [image.context]):
                steps.append(Step(found, f"the image {image.dockerfile} run by {path}:{line}"))
        return steps

    # -- YAML components and job specs -----------------------------------------------------
    def yaml(self, path: str, how: str, depth: int = 0) -> list[Step]:
        """Steps of a YAML component or job: mappings with a command run from their ``code``
        folder or their image's context; ``component:`` files followed."""
        try:
            docs = list(yaml.load_all(self.index.text(path) or "", Loader=YAML_LOADER))
        except (yaml.YAMLError, RecursionError, ValueError):
            return []
        here = posixpath.dirname(path)
        steps: list[Step] = []
        for node in _mappings(docs):
            component = node.get("component")
            if isinstance(component, str) and depth < MAX_DEPTH:
                target = component.split(":", 1)[-1] if component.startswith("file:") else component
                found = normpath(target, here) if target.endswith((".yml", ".yaml")) else None
                found = found or self._registered_component(component)
                if found and found in self.index.files and found != path:
                    steps.extend(self.yaml(found, f"component of {path}", depth + 1))
            task = databricks_task(node, here, self.index.files)
            if task is not None:
                steps.append(Step(task, f"Databricks task ({path})"))
            words = [w for key in ("command", "cmds", "args") for w in _yaml_words(node.get(key))]
            if not words:
                continue
            bases = [here, ""]
            code = node.get("code")
            if isinstance(code, str) and (folder := normpath(code, here)) is not None:
                bases.insert(0, folder)
            image = node.get("image")
            built = self.images.get(image_name(image)) if isinstance(image, str) else None
            if built is not None:
                bases.insert(0, built.context)
                words += _split(dockerfile_command(self.index.text(built.dockerfile) or ""))
            for found in self.modules.command_files(words, bases):
                steps.append(Step(found, f"{how} ({path})"))
        return steps

    def _registered_component(self, reference: str) -> str | None:
        """The component YAML of this repository an Azure ML reference by name points at
        (``azureml:train_model@latest``, ``azureml:train_model:3``, ``azureml://registries/
        r/components/train_model/versions/3``): the file whose top-level ``name:`` it is."""
        if not reference.startswith("azureml:"):
            return None
        ref = reference[len("azureml:") :]
        if ref.startswith("//"):
            parts = ref.split("/")
            ref = parts[parts.index("components") + 1] if "components" in parts[:-1] else ""
        name = re.split(r"[@:]", ref, maxsplit=1)[0]
        if not name:
            return None
        named = re.compile(rf"^name:[ \t]*['\"]?{re.escape(name)}['\"]?[ \t]*$", re.M)
        for info in self.index.texts():
            text = info.text or ""
            if info.suffix in (".yml", ".yaml") and "command" in text and named.search(text):
                return info.path
        return None

    # -- steps wired by a run script ----------------------------------------------------------
    def wired(self, path: str) -> list[Step]:
        """Steps passed to the pipeline function of ``path`` by a file that imports and
        calls it (``training_pipeline(trainer=trainer(), ...)``)."""
        stem = path[:-3].split("/")
        names = {".".join(stem[i:]) for i in range(len(stem))}
        steps: list[Step] = []
        for unit in self.units.values():
            if unit.path == path or not (unit.imports & names):
                continue
            tree = unit.tree
            if tree is None:
                continue
            imported = _imported(tree)
            pipes = {n for n, module in imported.items() if module in names}
            here = posixpath.dirname(unit.path)
            for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
                if not (isinstance(call.func, ast.Name) and call.func.id in pipes):
                    continue
                for value in [*call.args, *(k.value for k in call.keywords)]:
                    root = value.func if isinstance(value, ast.Call) else value
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    module = imported.get(root.id) if isinstance(root, ast.Name) else None
                    if module is None:
                        continue
                    name = root.id if isinstance(root, ast.Name) else ""
                    found = self.modules.module(module, here) or self.modules.module(
                        f"{module}.{name}", here
                    )
                    how = f"a step wired by {unit.path}:{call.lineno}"
                    steps.extend(Step(path_, how) for path_ in found)
        return steps


def _keyed(tree: ast.AST, calls: list[ast.Call]) -> Iterator[tuple[str, ast.AST, int]]:
    """(key, value, line) of every keyword argument and every string-keyed dict entry."""
    for call in calls:
        for kw in call.keywords:
            if kw.arg:
                yield kw.arg, kw.value, kw.value.lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, value, value.lineno


def _imported(tree: ast.AST) -> dict[str, str]:
    """Name bound by an import -> the module it comes from."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                out[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".", 1)[0]] = alias.name
    return out


def _mappings(docs: list[Any]) -> Iterator[dict[str, Any]]:
    stack: list[Any] = list(docs)
    seen = 0
    while stack and seen < MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _yaml_words(value: Any) -> list[str]:
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list):
        return [w for item in value if isinstance(item, str | int) for w in _split(str(item))]
    return []
