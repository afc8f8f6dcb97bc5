"""Gates their own pipeline configures not to act, read from YAML (never run).

A gate is configured off when the mapping that holds it (a job step, a task's parameters, a
stage), or one that encloses it, says the check may fail without stopping anything: a mode
that only reports (``run_mode: dry_run``, ``mode: warn``, ``disabled``), a dry-run or
warn-only switch turned on (``dry_run: true``, ``warn_only: true``), a fail/enforce switch
turned off (``fail_on_violation: false``, ``enforce: false``, ``enabled: false``), or a CI
step allowed to fail (``continue-on-error: true``, ``allow_failure: true``).
"""

from __future__ import annotations

import re

import yaml

from catdetector.assess.text import YAML_LOADER

_MODE_KEY_RE = re.compile(r"(?i)^(?:run_|validation_|gate_|check_|eval\w*_)?mode$")
_REPORTING_MODES = frozenset(
    {"dry_run", "dry-run", "dryrun", "disabled", "off", "warn", "warning", "warn_only",
     "report", "report_only", "monitor", "shadow", "log", "log_only"}
)  # fmt: skip
_ON_DISABLES_RE = re.compile(
    r"(?i)^(?:dry[_-]?run|warn[_-]?only|report[_-]?only|continue-on-error|allow_failure|"
    r"skip[_-]?(?:validation|gate|check)s?|ignore[_-]?(?:failures?|errors?))$"
)
_OFF_DISABLES_RE = re.compile(
    r"(?i)^(?:fail(?:_on_\w+|_if_\w+|_build|_job|_pipeline)?|enforce\w*|enabled?|block\w*|"
    r"strict|gate|gating)$"
)
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _off(key: str, value: str) -> bool:
    value = value.strip().strip("'\"").lower()
    if _MODE_KEY_RE.search(key):
        return value in _REPORTING_MODES
    if _ON_DISABLES_RE.match(key):
        return value in _TRUE
    if _OFF_DISABLES_RE.match(key):
        return value in _FALSE
    return False


def _mappings(node: yaml.Node, line: int, out: list[yaml.MappingNode]) -> None:
    """The mappings whose span holds ``line`` (0-based), outermost first."""
    if not node.start_mark.line <= line <= node.end_mark.line:
        return
    if isinstance(node, yaml.MappingNode):
        out.append(node)
        for _key, value in node.value:
            _mappings(value, line, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _mappings(item, line, out)


def configured_off(text: str, line: int) -> bool:
    """Whether the gate at ``line`` (1-based) of a YAML ``text`` sits in a mapping (a step, a
    task's parameters, or one enclosing them, short of the document itself: a flat file of
    settings is not read) that sets it not to act."""
    try:
        docs = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except yaml.YAMLError:
        return False
    for doc in docs:
        if doc is None:
            continue
        found: list[yaml.MappingNode] = []
        _mappings(doc, line - 1, found)
        for mapping in found[1:]:  # a step, a task or their parameters, not the file
            for key, value in mapping.value:
                if isinstance(value, yaml.ScalarNode) and _off(str(key.value), str(value.value)):
                    return True
    return False
