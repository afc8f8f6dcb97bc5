"""CI: workflow files, what they run (followed one step), tests, the pipeline and gates."""

from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess.ciconst import compares_constants
from catdetector.assess.cinline import inline_gate, inline_training
from catdetector.assess.cisystems import AUX_PATH_RE, ci_files, gitlab_includes
from catdetector.assess.citests import test_runs
from catdetector.assess.code import CodeFacts, CodeUnit
from catdetector.assess.dvctargets import REPRO_RE, repro_targets, stage_lines
from catdetector.assess.entrycalls import called_training
from catdetector.assess.evalgates import code_gates, differential_tests, gate_lines
from catdetector.assess.follow import Command, follow
from catdetector.assess.gateoff import configured_off
from catdetector.assess.model import Evidence
from catdetector.assess.modeltests import trained_model_tests
from catdetector.assess.modules import Modules
from catdetector.assess.pylines import runs_own_tests
from catdetector.assess.runners import runner_for
from catdetector.assess.scan import FileInfo
from catdetector.assess.stepgates import DETAIL as STEP_GATE
from catdetector.assess.stepgates import step_gates
from catdetector.assess.text import Rx
from catdetector.assess.vocab import MODEL_SUFFIXES

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


CI_TEST_RE = re.compile(
    r"\b(?:pytest|py\.test|unittest|tox|nox|make\s+(?:test|check)\w*|hatch\s+(?:run\s+)?test|"
    r"npm\s+test|go\s+test|cargo\s+test)\b"
)
CI_TRAIN_RE = re.compile(
    # a program may be called by a quoted path: `"$VENV/bin/dvc" repro`
    r"\bdvc['\"]?\s+(?:repro|exp\s+run)\b|\bcatdetector['\"]?\s+(?:train|repro|pipeline)\b|"
    r"\bmlflow\s+run\b|\bdatabricks\s+bundle\s+run\s+[\w-]*train|"
    r"\bkedro\s+run\b|\bsnakemake\b|\bpapermill\b|\bmake\s+train\w*|"
    r"\bpython3?\s+(?:-m\s+)?[\w./-]*train[\w-]*(?:\.py)?\b|\bzenml\s+pipeline\s+run\b|"
    r"\bdagster\s+job\b|\btrigger_pipeline\(|\bairflow\s+dags\s+(?:trigger|test)\b|"
    r"\bprefect\s+deployment\s+run\b|\bmetaflow\b.*\brun\b|\bpython3?\s+\S*flow\S*\.py\s+run\b|"
    r"\bcreate_run_from_pipeline\w*\(|\bpipeline\.start\(|\bsagemaker\b.*\bpipeline\b.*\bstart"
)
_PY_NOT_RUN_RE = re.compile(r"(?:#|(?:from\s+\S+\s+)?import\s)")
CI_MODEL_TEST_RE = re.compile(
    r"\b(?:pytest|py\.test)\b[^\n]*(?:--run[-_]id|\btests?/models?\b|test_model|behavio)"
)


EVAL_RE = Rx(
    r"\w+_score\(|classification_report\(|\.evaluate\(|precision_recall_fscore_support\(|"
    r"confusion_matrix\(|mean_squared_error\(|\bevaluate\(|\bcross_validate\(",
    0,
    (
        "_score(",
        "cross_validate(",
        "classification_report(",
        "evaluate(",
        "confusion_matrix(",
        "mean_squared_error(",
        "precision_recall_fscore_support(",
    ),
)
CI_EVAL_RE = re.compile(
    r"\bpython3?\s+(?:-m\s+)?[\w./-]*eval\w*|\bdvc\s+(?:metrics|exp)\s+(?:show|diff)\b|"
    r"\bmlflow\.evaluate\("
)
BEST_RUN_RE = Rx(  # ordered by a metric (``metrics.rmse``), not by ``start_time``
    r"search_runs\((?:[^()]|\([^()]*\))*order_by\s*=\s*\[?\s*f?['\"]metrics\.",
    re.S,
    ("search_runs",),
)
GATE_WORD_RE = Rx(
    r"\b(?:min_(?:accuracy|acc|f1|auc|precision|recall|score)|max_(?:loss|error|rmse|mae|mse)|"
    r"promotion_threshold|accuracy_threshold|validation_thresholds)\b|"
    # a CML report is a gate through the diff it shows (`dvc metrics diff main`), not by itself
    r"dvc\s+(?:metrics|exp)\s+diff|MetricThreshold\(|"
    r"\bcatdetector['\"]?\s+(?:promote|gate)\b",
    re.I,
    ("min_", "max_", "threshold", "metrics", "diff", "promote", "catdetector"),
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

    @cached_property
    def ci_systems(self) -> dict[str, str]:
        """CI definition -> its system: by location or by content (``cisystems``), with the
        local files GitLab CI includes."""
        found = ci_files(list(self.index.texts()))
        for path, system in list(found.items()):
            if system.startswith("GitLab"):
                for included in gitlab_includes(self.index.text(path) or ""):
                    if self.index.text(included):
                        found.setdefault(included, "GitLab CI (included)")
        return found

    @cached_property
    def ci_paths(self) -> list[str]:
        """CI definitions."""
        return sorted(self.ci_systems)

    @cached_property
    def ci_commands(self) -> list[Command]:
        """Lines of the CI definitions and of what they run, followed (scripts, jobs, make),
        and the entry points and pipelines the tests it runs execute (``citests``)."""
        commands = follow(self.index, self.ci_paths)
        return commands + test_runs(self.index, commands, self.modules)

    @cached_property
    def ci_text(self) -> str:
        """Every line CI runs, directly or through the files it invokes."""
        return "\n".join(c.text for c in self.ci_commands)

    def ci_find(self, regex: re.Pattern[str] | Rx) -> Command | None:
        """The first command CI runs that matches ``regex``."""
        for command in self.ci_commands:
            if regex.search(command.text):
                return command
        return None

    @cached_property
    def ci_tests(self) -> Command | None:
        """The command by which CI runs tests, if any. In a Python file CI runs, an import
        or a comment naming a test tool runs nothing (``python test_x.py`` only defines)."""
        for command in self.ci_commands:
            if command.file.endswith(".py") and _PY_NOT_RUN_RE.match(command.text):
                continue
            if CI_TEST_RE.search(command.text):
                return command
        return self._test_script_run()

    def _test_script_run(self) -> Command | None:
        """CI running a test file as a script whose ``__main__`` runs its tests
        (``python src/tests/test_model.py``; ``pylines.runs_own_tests``)."""
        tests = {u.path: u for u in self.code_units if u.is_test and u.kind == "py"}
        for command in self.ci_commands:
            if command.file.endswith(".py") or ".py" not in command.text:
                continue
            for path in self.modules.command_files(command.text.split(), [""]):
                if path in tests and runs_own_tests(tests[path].text):
                    return command
        return None

    @cached_property
    def ci_training(self) -> Command | None:
        """The command by which CI runs training or a pipeline, if any."""
        tests = {u.path for u in self.code_units if u.is_test}
        for command in self.ci_commands:  # `dvc repro STAGE` trains only if its stages do
            if command.file in tests and not self._own_training:
                continue  # `dvc repro` in a test trains only the repository's own code
            text = command.text
            if (targets := repro_targets(text)) and self._known_stages(targets):
                text = REPRO_RE.sub("", text)  # its stages' own lines are followed
            if CI_TRAIN_RE.search(text):
                return command
        training = {u.path for u in self.training_units}
        for command in self.ci_commands:
            if command.file in training:
                return Command(command.file, 1, "training code run by CI", command.via)
        return self._script_calls_training() or inline_training(self.inline_commands, self.py_units)

    @cached_property
    def _own_training(self) -> bool:
        """Whether the repository holds training code outside tests, examples and docs (what a
        pipeline a test makes and runs, ``dvc repro`` in a subprocess, can train)."""
        return any(not AUX_PATH_RE.search(u.path) for u in self.training_units)

    def _known_stages(self, targets: list[str]) -> bool:
        """Whether a ``dvc.yaml`` here declares every one of ``targets`` (else, unread, a
        ``dvc repro`` of them is taken to train, as before)."""
        return any(
            stage_lines(info.text or "", targets) is not None
            for info in self.index.texts()
            if info.name == "dvc.yaml"
        )

    def _script_calls_training(self) -> Command | None:
        """A Python script CI runs that calls a function of this repository that trains
        (``from src.models.processor import run_training``; ``run_training(cfg)``)."""
        by_path = {u.path: u for u in self.training_units if not AUX_PATH_RE.search(u.path)}
        seen: set[str] = set()
        for command in self.ci_commands:
            if not command.file.endswith(".py") or command.file in seen:
                continue
            seen.add(command.file)
            unit = self.py_units.get(command.file)
            if unit is None or unit.is_test or runner_for(command.file) is not None:
                continue  # a task file is read by task (``pytasks``), not as a script
            if hit := called_training(unit, self.modules, by_path):
                text = f"calls training: {hit[1]}"
                return Command(command.file, hit[0], text, command.via)
        return None

    @cached_property
    def modules(self) -> Modules:
        """Module and file look-ups (``modules``)."""
        return Modules(self.index)

    @cached_property
    def inline_commands(self) -> list[Command]:
        """Lines CI runs that are not in a Python file (inline scripts live among them)."""
        return [c for c in self.ci_commands if not c.file.endswith(".py")]

    @cached_property
    def py_units(self) -> dict[str, CodeUnit]:
        """Python files by path."""
        return {u.path: u for u in self.code_units if u.kind == "py"}

    @cached_property
    def ci_model_tests(self) -> Command | None:
        """CI testing a trained model (tests of the model, by run id), after training."""
        return self.ci_find(CI_MODEL_TEST_RE)


def no_tests(f: Facts) -> list[Evidence]:
    """No test file with a test in it."""
    if f.test_units:
        return []
    return [Evidence(None, None, "no test files (tests/, test_*.py) with test functions")]


def no_ci(f: Facts) -> list[Evidence]:
    """No CI definition, or CI that runs no tests (followed into the scripts, Makefile
    targets, job specs and images it runs)."""
    if not f.ci_paths:
        detail = "no CI configuration (.github/workflows, .gitlab-ci.yml, ...)"
        return [Evidence(None, None, detail)]
    if f.ci_tests is not None:
        return []
    return [Evidence(p, None, "CI runs no tests (nor do the files it runs)") for p in f.ci_paths]


def no_ci_training(f: Facts) -> list[Evidence]:
    """CI exists but nothing it runs (followed one step and more) runs the training pipeline."""
    if not f.ci_paths or f.ci_runs_training is not None:
        return []
    return [Evidence(p, None, "no step runs the training pipeline") for p in f.ci_paths]


def evaluation_steps(f: Facts) -> list[Evidence]:
    """Where models are scored: evaluate stages, metrics, evaluation code or commands."""
    return f.memo("evaluation_steps", lambda: _evaluation_steps(f))


def _evaluation_steps(f: Facts) -> list[Evidence]:
    found: list[Evidence] = []
    for stage in f.stages:
        if re.search(r"eval", stage.name + " " + stage.cmd, re.I) or stage.metrics:
            found.append(Evidence(stage.file, None, f"stage {stage.name}"))
    for unit in f.source_units:
        if unit.matches(EVAL_RE):
            found.append(Evidence(unit.path, None, "evaluation code"))
    if (command := f.ci_find(CI_EVAL_RE)) is not None:
        found.append(Evidence(command.file, command.line, f"CI evaluates: {command.text[:80]}"))
    found.extend(step_gates(f, {e.file for e in found if e.file}))
    found += trained_model_tests(f)  # a test CI runs asserts a threshold on the model
    return found + code_gates(f) + differential_tests(f)  # each compares an evaluation


def gates(f: Facts) -> list[Evidence]:
    """What acts on the evaluation: thresholds, metric diffs and model tests in CI, promotion
    of the best run by its metric."""
    return f.memo("gates", lambda: _gates(f))


def _gates(f: Facts) -> list[Evidence]:
    found: list[Evidence] = []
    if (command := _ci_gate(f)) is not None:
        found.append(Evidence(command.file, command.line, f"CI gate: {command.text[:80]}"))
    if (command := f.ci_model_tests) is not None:
        found.append(Evidence(command.file, command.line, "CI tests the trained model"))
    if (command := inline_gate(f.inline_commands, f.py_units)) is not None:
        found.append(Evidence(command.file, command.line, f"CI gate: {command.text[:80]}"))
    for stage in f.stages:
        if CI_TEST_RE.search(stage.cmd) and any(
            posixpath.splitext(d)[1].lower() in MODEL_SUFFIXES for d in stage.deps
        ):
            found.append(Evidence(stage.file, None, f"stage {stage.name} tests the model"))
    texts = [info for info in f.script_texts if info.path not in f.ci_paths]
    texts += [
        info for info in f.config_texts if info.name.lower().startswith(("params", "dvc", "config"))
    ]
    for info in texts:
        if (m := GATE_WORD_RE.search(info.text or "")) and not _off(info.path, info.text, m):
            found.append(Evidence(info.path, None, "gate threshold"))
            break
    found.extend(f.stack_hits.get("gate", []))
    found.extend(e for e in evaluation_steps(f) if e.detail == STEP_GATE)
    found.extend(code_gates(f) + differential_tests(f))  # by structure (``evalgates``)
    found.extend(trained_model_tests(f))
    for unit in f.source_units:
        if BEST_RUN_RE.search(unit.text, unit.lower):
            found.append(Evidence(unit.path, None, "the best run is chosen by its metric"))
            break
    return found


def _off(path: str, text: str | None, m: re.Match[str]) -> bool:
    """A gate word in a YAML file whose step or task sets it not to act (``gateoff``)."""
    line = (text or "").count("\n", 0, m.start()) + 1
    return path.endswith((".yml", ".yaml")) and configured_off(text or "", line)


def _ci_gate(f: Facts) -> Command | None:
    """The first gate command CI runs in a step that is not allowed to fail."""
    for command in f.ci_commands:
        if (m := GATE_WORD_RE.search(command.text)) is None:
            continue
        text = f.index.text(command.file) or ""
        if command.file.endswith((".yml", ".yaml")) and (
            configured_off(text, command.line) or compares_constants(text, m.group(0))
        ):
            continue
        if command.file.endswith(".py") and not gate_lines(f.index.text(command.file) or ""):
            continue  # a threshold's name in Python is a word; the gate is a comparison
        return command
    return None


def no_evaluation_gate(f: Facts) -> list[Evidence]:
    """No evaluation step, or evaluation that nothing acts on."""
    evaluation = evaluation_steps(f)
    if evaluation and gates(f):
        return []
    if not evaluation:
        return [Evidence(None, None, "no evaluation step: models are never scored before use")]
    first = evaluation[0]
    return [Evidence(first.file, None, f"evaluation ({first.detail}) but no gate acts on it")]
