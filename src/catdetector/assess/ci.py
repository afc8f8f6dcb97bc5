"""CI: workflow files, what they run (followed one step), tests, the pipeline and gates."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess.code import CodeFacts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import FileInfo
from catdetector.assess.text import Rx, normpath

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


CI_PATTERNS = (
    re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"),
    re.compile(r"^\.gitlab-ci\.ya?ml$"),
    re.compile(r"^(?:.*/)?Jenkinsfile$"),
    re.compile(r"^\.circleci/config\.ya?ml$"),
    re.compile(r"^azure-pipelines\.ya?ml$"),
    re.compile(r"^bitbucket-pipelines\.ya?ml$"),
    re.compile(r"^\.travis\.ya?ml$"),
    re.compile(r"^\.drone\.ya?ml$"),
    re.compile(r"^\.buildkite/[^/]+\.ya?ml$"),
    re.compile(r"^cloudbuild\.ya?ml$"),
    re.compile(r"^\.woodpecker(?:\.ya?ml|/[^/]+\.ya?ml)$"),
    re.compile(r"^\.ci/run$"),
)
CI_TEST_RE = re.compile(
    r"\b(?:pytest|py\.test|unittest|tox|nox|make\s+(?:test|check)\w*|hatch\s+(?:run\s+)?test|"
    r"npm\s+test|go\s+test|cargo\s+test)\b"
)
CI_TRAIN_RE = re.compile(
    r"\bdvc\s+(?:repro|exp\s+run)\b|\bcatdetector\s+(?:train|repro|pipeline)\b|\bmlflow\s+run\b|"
    r"\bkedro\s+run\b|\bsnakemake\b|\bpapermill\b|\bmake\s+train\w*|"
    r"\bpython3?\s+(?:-m\s+)?[\w./-]*train[\w-]*(?:\.py)?\b|\bzenml\s+pipeline\s+run\b|"
    r"\bdagster\s+job\b"
)


EVAL_RE = Rx(
    r"accuracy_score\(|classification_report\(|\.evaluate\(|f1_score\(|roc_auc_score\(|"
    r"confusion_matrix\(|mean_squared_error\(|\bevaluate\(",
    0,
    ("_score(", "classification_report(", "evaluate(", "confusion_matrix(", "mean_squared_error("),
)
GATE_WORD_RE = Rx(
    r"\b(?:gate|min_(?:accuracy|acc|f1|auc|precision|recall|score)|max_(?:loss|error|rmse|mae)|"
    r"fail[_-]?under|promotion_threshold|accuracy_threshold)\b|dvc\s+metrics\s+diff|"
    r"\bcatdetector\s+promote\b",
    re.I,
    ("gate", "min_", "max_", "fail", "threshold", "metrics", "promote"),
    lower=True,
)
GATE_CODE_RE = Rx(
    r"^\s*(?:assert|if|elif)\b[^\n]*\b\w*(?:accuracy|acc|f1|auc|score|rmse|mae|loss)\w*\b"
    r"\s*[<>]=?",
    re.M | re.I,
    ("acc", "f1", "auc", "score", "rmse", "mae", "loss"),
    lower=True,
)


class CIFacts(CodeFacts):
    """CI definitions and the places commands are written."""

    @cached_property
    def script_texts(self) -> list[FileInfo]:
        """Shell scripts, Makefiles, CI and YAML files (places commands are written)."""
        names = {"makefile", "gnumakefile", "justfile", "jenkinsfile", "procfile"}
        return [
            f
            for f in self.index.texts()
            if f.suffix in (".sh", ".bash", ".yml", ".yaml", ".mk", ".toml")
            or f.name.lower() in names
            or f.path in self.ci_paths
        ]

    # -- CI, deployment, monitoring ---------------------------------------------------------
    @cached_property
    def ci_paths(self) -> list[str]:
        """CI definitions."""
        return sorted(p for p in self.index.files if any(rx.match(p) for rx in CI_PATTERNS))

    @cached_property
    def ci_text(self) -> str:
        """CI definitions plus the scripts and Makefile they call (one level)."""
        parts = [self.index.text(p) or "" for p in self.ci_paths]
        text = "\n".join(parts)
        extra: list[str] = []
        if re.search(r"\bmake\b", text):
            extra.extend(f.text or "" for f in self.named("Makefile", "GNUmakefile"))
        if re.search(r"\b(?:tox|nox)\b", text):
            extra.extend(f.text or "" for f in self.named("tox.ini", "noxfile.py"))
        for token in set(re.findall(r"[\w./-]+\.(?:sh|bash|py)\b", text)):
            path = normpath(token)
            if path and path in self.index.files:
                extra.append(self.index.text(path) or "")
        return "\n".join([text, *extra])


def no_tests(f: Facts) -> list[Evidence]:
    """No test file with a test in it."""
    if f.test_units:
        return []
    return [Evidence(None, None, "no test files (tests/, test_*.py) with test functions")]


def no_ci(f: Facts) -> list[Evidence]:
    """No CI definition, or CI that runs no tests."""
    if not f.ci_paths:
        detail = "no CI configuration (.github/workflows, .gitlab-ci.yml, ...)"
        return [Evidence(None, None, detail)]
    if CI_TEST_RE.search(f.ci_text):
        return []
    return [Evidence(p, None, "CI runs no tests") for p in f.ci_paths]


def no_ci_training(f: Facts) -> list[Evidence]:
    """CI exists but no job runs the training pipeline."""
    if not f.ci_paths or CI_TRAIN_RE.search(f.ci_text):
        return []
    return [Evidence(p, None, "no step runs the training pipeline") for p in f.ci_paths]


def no_evaluation_gate(f: Facts) -> list[Evidence]:
    """No evaluation step, or evaluation that nothing acts on."""
    evaluation: list[Evidence] = []
    for stage in f.stages:
        if re.search(r"eval", stage.name + " " + stage.cmd, re.I) or stage.metrics:
            evaluation.append(Evidence(stage.file, None, f"stage {stage.name}"))
    for unit in f.source_units:
        if unit.matches(EVAL_RE):
            evaluation.append(Evidence(unit.path, None, "evaluation code"))
    places = [f.ci_text] + [info.text or "" for info in f.script_texts]
    places += [
        info.text or ""
        for info in f.config_texts
        if info.name.lower().startswith(("params", "dvc", "config"))
    ]
    gate = any(GATE_WORD_RE.search(text) for text in places)
    gate = gate or any(
        GATE_WORD_RE.search(u.text, u.lower) or (not u.is_training and u.matches(GATE_CODE_RE))
        for u in f.source_units
    )
    if evaluation and gate:
        return []
    if not evaluation:
        return [Evidence(None, None, "no evaluation step: models are never scored before use")]
    first = evaluation[0]
    return [Evidence(first.file, None, f"evaluation ({first.detail}) but no gate acts on it")]
