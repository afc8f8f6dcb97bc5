"""The lines of a CI file that name files without running them.

A trigger filter says when CI runs (``on: push: paths: [train.py]`` in GitHub Actions,
GitLab's ``rules: - changes:`` and ``only/except: changes:``, Azure Pipelines'
``trigger:``/``pr:`` ``paths:``), and an action's inputs are what it reads
(``uses: astral-sh/ruff-action`` ``with: src: "src/ train.py"``), except the inputs that
are commands (``script``, ``run``, ``command``...). The lines are found from the YAML node
tree (with their marks), so a file named there is not a step that runs it.
"""

from __future__ import annotations

import yaml

from catdetector.assess.text import YAML_LOADER

TOP_TRIGGERS = frozenset({"on", "true", "trigger", "pr", "schedules", "workflow"})
NESTED_TRIGGERS = frozenset({"changes", "paths", "paths-ignore", "paths_ignore"})
COMMAND_INPUTS = frozenset(
    {
        "script",
        "run",
        "command",
        "commands",
        "cmd",
        "args",
        "shell",
        "entrypoint",
        "pre",
        "post",
        "inline-script",
        "inlinescript",
    }
)
MAX_NODES = 20_000


def _span(key: yaml.Node, value: yaml.Node) -> range:
    start = key.start_mark.line + 1
    end = value.end_mark.line + (1 if value.end_mark.column else 0)
    return range(start, max(end, start) + 1)


def trigger_lines(text: str) -> set[int]:
    """1-based numbers of the lines under trigger keys and non-command action inputs (empty
    when there are none or the text is not YAML)."""
    if "paths" not in text and "changes" not in text and "with:" not in text:
        return set()
    try:
        roots = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except (yaml.YAMLError, RecursionError, ValueError):
        return set()
    lines: set[int] = set()
    seen = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 0) for root in roots if root is not None]
    while stack and seen < MAX_NODES:
        node, depth = stack.pop()
        seen += 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value).lower() if isinstance(key, yaml.ScalarNode) else ""
                if (depth == 0 and name in TOP_TRIGGERS) or name in NESTED_TRIGGERS:
                    lines.update(_span(key, value))
                elif name == "with" and isinstance(value, yaml.MappingNode):
                    for item, given in value.value:
                        if str(item.value).lower() not in COMMAND_INPUTS:
                            lines.update(_span(item, given))
                else:
                    stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return lines
