"""What ``dvc repro STAGE...`` runs: the named stages and the stages upstream of them.

``dvc repro`` with no target runs every stage of ``dvc.yaml``; with targets it runs only
those stages and what they depend on (their deps produced as another stage's outs), never
the stages downstream. Options that widen the run (``--downstream``, ``-R``, ``--glob``,
``-P``, ``-p``) and targets that cannot be found keep the whole file (nothing is missed).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

from catdetector.assess.text import YAML_LOADER

REPRO_RE = re.compile(r"\bdvc['\"]?\s+(?:repro|exp\s+run)\b([^\n;&|]*)")
_WIDEN = {"--downstream", "-R", "--recursive", "--glob", "-P", "--all-pipelines", "-p"}
_WIDEN |= {"--pipeline"}
_VALUED = {"-S", "--set-param", "-n", "--name", "-j", "--jobs", "-m", "--message", "--run-all"}


def repro_targets(line: str) -> list[str]:
    """The stage names a ``dvc repro``/``dvc exp run`` line targets (empty: the whole file)."""
    m = REPRO_RE.search(line)
    if m is None:
        return []
    try:
        words = shlex.split(m.group(1), comments=True)
    except ValueError:
        words = m.group(1).split()
    targets: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in _WIDEN or word.startswith("--glob"):
            return []
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-") and "$" not in word:
            targets.append(word.rsplit(":", 1)[-1].split("@", 1)[0])
    return targets


def _paths(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            out.extend(str(k) for k in item)
        elif item is not None:
            out.append(str(item))
    return [p[2:] if p.startswith("./") else p for p in out]


def _feeds(outs: list[str], deps: list[str]) -> bool:
    return any(d == o or d.startswith(o + "/") or o.startswith(d + "/") for d in deps for o in outs)


def stage_lines(text: str, targets: list[str]) -> list[tuple[int, str]] | None:
    """The lines of ``dvc.yaml`` that belong to ``targets`` and their upstream stages
    (``None`` when a target is not a stage of this file: read the whole file then)."""
    try:
        root = yaml.compose(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    stages = next((v for k, v in root.value if k.value == "stages"), None)
    if not isinstance(stages, yaml.MappingNode):
        return None
    bodies: dict[str, tuple[int, int, Any]] = {}
    for key, node in stages.value:
        body = yaml.load(yaml.serialize(node), Loader=YAML_LOADER)
        body = body.get("do", body) if isinstance(body, dict) else {}
        bodies[str(key.value)] = (key.start_mark.line, node.end_mark.line, body)
    if any(t not in bodies for t in targets):
        return None
    chosen, queue = set(targets), list(targets)
    while queue:
        deps = _paths(bodies[queue.pop()][2].get("deps"))
        for name, (_, _, body) in bodies.items():
            if name not in chosen and _feeds(_paths(body.get("outs")), deps):
                chosen.add(name)
                queue.append(name)
    lines = text.splitlines()
    out: list[tuple[int, str]] = []
    for name in sorted(chosen, key=lambda n: bodies[n][0]):
        first, last, _ = bodies[name]
        for number in range(first, min(max(last, first + 1), len(lines))):
            if lines[number].strip():
                out.append((number + 1, lines[number].strip()))
    return out
