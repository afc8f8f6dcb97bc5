"""A threshold a GitHub workflow compares only with values it writes itself (no gate).

``MIN_ACCURACY: 0.5`` in ``env:`` and ``if (( $(echo "$ACCURACY >= $MIN" | bc -l) ))`` in a
step look like a gate; but when ``ACCURACY`` comes from ``${{ needs.staging.outputs.accuracy
}}``, and the step that writes that output writes ``accuracy=0.64`` (a literal) to
``$GITHUB_OUTPUT``, the comparison is of two constants: it can never fail on a worse model.
Each compared value is traced through the step's shell assignments, ``env:`` (workflow, job,
step), step outputs and job outputs to where it is written; a comparison is of constants when
every value it can take is a literal written in the workflow. Anything computed (``$(python
...)``, ``$(jq ... metrics.json)``, a secret, an input) is not a constant.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from catdetector.assess.text import YAML_LOADER

_OP = r"(?:>=|<=|>|<|-ge|-gt|-le|-lt)"
_OPERAND = r"(\$\{\{[^}]*\}\}|\$\{?\w+\}?|-?\d+(?:\.\d+)?)"
_COMPARE_RE = re.compile(rf"{_OPERAND}\s*{_OP}\s*{_OPERAND}")
_ASSIGN_RE = re.compile(r"^\s*(?:export\s+|local\s+)?([A-Za-z_]\w*)=(\S.*?)\s*(?:#.*)?$", re.M)
_LITERAL_RE = re.compile(r"""^["']?-?[\w.]+["']?$""")
_EXPR_RE = re.compile(r"^\$\{\{\s*([\w.-]+)\s*\}\}$")
_VAR_RE = re.compile(r"^\$\{?(\w+)\}?$")
_DEPTH = 8


def _output_writes(run: str, key: str) -> list[str]:
    """The values a step's script writes for output ``key`` (``echo "k=v" >> $GITHUB_OUTPUT``,
    ``echo "::set-output name=k::v"``)."""
    k = re.escape(key)
    found = re.findall(rf"""\b{k}=([^"'\s>]*)["']?\s*>>\s*["']?\$\{{?GITHUB_OUTPUT""", run)
    found += re.findall(rf"::set-output\s+name={k}::([^\s\"']*)", run)
    return found


class _Workflow:
    """A GitHub workflow's jobs, steps and env, for tracing a value to where it is written."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.env = data.get("env") if isinstance(data.get("env"), dict) else {}
        jobs = data.get("jobs")
        self.jobs: dict[str, dict[str, Any]] = {
            str(k): v
            for k, v in (jobs.items() if isinstance(jobs, dict) else ())
            if isinstance(v, dict)
        }

    def steps(self, job: str) -> list[dict[str, Any]]:
        steps = self.jobs.get(job, {}).get("steps")
        return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []

    def _env(self, job: str, step: dict[str, Any], name: str) -> object:
        for scope in (step.get("env"), self.jobs.get(job, {}).get("env"), self.env):
            if isinstance(scope, dict) and name in scope:
                return scope[name]
        return None

    def constant(self, value: object, job: str, step: dict[str, Any], depth: int = 0) -> bool:
        """Whether every value ``value`` can take is a literal written in the workflow."""
        if depth > _DEPTH or value is None:
            return False
        if isinstance(value, bool | int | float):
            return True
        text = str(value).strip()
        if m := _EXPR_RE.match(text):
            return self._expression(m.group(1).split("."), job, step, depth)
        if m := _VAR_RE.match(text):
            return self._variable(m.group(1), job, step, depth)
        return bool(_LITERAL_RE.match(text)) and "$" not in text

    def _variable(self, name: str, job: str, step: dict[str, Any], depth: int) -> bool:
        run = str(step.get("run") or "")
        values = [v for n, v in _ASSIGN_RE.findall(run) if n == name]
        if values:
            return all(self.constant(v, job, step, depth + 1) for v in values)
        return self.constant(self._env(job, step, name), job, step, depth + 1)

    def _expression(self, parts: list[str], job: str, step: dict[str, Any], depth: int) -> bool:
        if parts[0] == "env" and len(parts) == 2:
            return self.constant(self._env(job, step, parts[1]), job, step, depth + 1)
        if parts[0] == "needs" and len(parts) == 4 and parts[2] == "outputs":
            outputs = self.jobs.get(parts[1], {}).get("outputs")
            if not isinstance(outputs, dict) or parts[3] not in outputs:
                return False
            return self.constant(outputs[parts[3]], parts[1], {}, depth + 1)
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            writer = next((s for s in self.steps(job) if s.get("id") == parts[1]), None)
            if writer is None:
                return False
            writes = _output_writes(str(writer.get("run") or ""), parts[3])
            return bool(writes) and all(self.constant(w, job, writer, depth + 1) for w in writes)
        return False

    def _names_threshold(self, operand: str, word: str, job: str, step: dict[str, Any]) -> bool:
        """Whether an operand is the threshold ``word`` itself or a variable assigned from it."""
        if word.lower() in operand.lower():
            return True
        if (m := _VAR_RE.match(operand)) is None:
            return False
        run = str(step.get("run") or "")
        return any(
            n == m.group(1) and word.lower() in v.lower() for n, v in _ASSIGN_RE.findall(run)
        )

    def comparisons(self, word: str) -> list[bool]:
        """For each ordering comparison involving the threshold: is its other side constant?"""
        found: list[bool] = []
        for job in self.jobs:
            for step in self.steps(job):
                run = str(step.get("run") or "")
                for left, right in _COMPARE_RE.findall(run):
                    sides = [self._names_threshold(o, word, job, step) for o in (left, right)]
                    if sides[0] != sides[1]:
                        other = right if sides[0] else left
                        found.append(self.constant(other, job, step))
        return found


def compares_constants(text: str, word: str) -> bool:
    """Whether the threshold ``word`` of a GitHub workflow is compared, and only with values
    the workflow itself writes as literals (a gate on constants: no gate)."""
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return False
    results = _Workflow(data).comparisons(word)
    return bool(results) and all(results)
