"""assess v3 (issue 22): CI followed through task runners and found by content wherever it
lives; an empty file is not CI. Each test failed before its fix (first round)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catdetector.assess.checks import get_check
from tests.assess.builders import TRAIN, WORKFLOW, Files, check, facts_of

# ------------------------------------------------------------- CI through task runners -----
RUNNER_CASES: dict[str, Files] = {
    "mise": {"mise.toml": '[tasks.test]\nrun = "uv run pytest"\n', "_ci": "mise run test"},
    "just": {"justfile": "test:\n    uv run pytest -q\n", "_ci": "just test"},
    "poe": {"pyproject.toml": '[tool.poe.tasks]\ncheck = "pytest -q"\n', "_ci": "poe check"},
    "pdm": {"pyproject.toml": '[tool.pdm.scripts]\nt = "pytest"\n', "_ci": "pdm run t"},
    "hatch": {
        "pyproject.toml": '[tool.hatch.envs.default.scripts]\ncov = "pytest --cov"\n',
        "_ci": "hatch run cov",
    },
    "npm": {"package.json": '{"scripts": {"test": "pytest tests"}}', "_ci": "npm test"},
    "yarn": {"package.json": '{"scripts": {"check": "python -m pytest"}}', "_ci": "yarn check"},
    "task": {
        "Taskfile.yml": "version: '3'\ntasks:\n  test:\n    cmds:\n      - uv run pytest\n",
        "_ci": "task test",
    },
    "invoke": {
        "tasks.py": "from invoke import task\n@task\ndef t(c):\n    c.run('pytest')\n",
        "_ci": "invoke t",
    },
    "nox": {
        "noxfile.py": "import nox\n@nox.session\ndef tests(s):\n    s.run('pytest')\n",
        "_ci": "nox -s tests",
    },
    "just-dep": {"justfile": "all: test\ntest:\n    pytest\n", "_ci": "just all"},
}


@pytest.mark.parametrize("runner", sorted(RUNNER_CASES))
def test_ci_is_followed_through_task_runners(tmp_path: Path, runner: str) -> None:
    files = dict(RUNNER_CASES[runner])
    command = str(files.pop("_ci"))
    files[".github/workflows/ci.yml"] = WORKFLOW.format(command)
    files["train.py"] = TRAIN
    assert check("no-ci", tmp_path, files) == []


def test_a_task_that_runs_no_tests_is_still_no_tests(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": WORKFLOW.format("mise run lint"),
        "mise.toml": '[tasks.lint]\nrun = "ruff check"\n[tasks.test]\nrun = "pytest"\n',
        "train.py": TRAIN,
    }
    assert check("no-ci", tmp_path, files)


# ------------------------------------------------------------- CI systems by content -------
AZURE = (
    "trigger:\n  - main\npool:\n  vmImage: ubuntu-latest\nstages:\n- stage: test\n  jobs:\n"
    "  - job: unit\n    steps:\n    - script: python -m pytest tests\n"
)


def test_azure_pipelines_found_wherever_they_live(tmp_path: Path) -> None:
    files: Files = {".pipelines/ci.yml": AZURE, "train.py": TRAIN}
    facts = facts_of(tmp_path, files)
    assert facts.ci_systems == {".pipelines/ci.yml": "Azure Pipelines"}
    assert get_check("no-ci").func(facts) == []


def test_gitlab_ci_followed_into_its_includes(tmp_path: Path) -> None:
    files: Files = {
        ".gitlab-ci.yml": "include:\n  - local: ci/test.yml\nstages: [test]\n",
        "ci/test.yml": "unit:\n  stage: test\n  script:\n    - pytest -q\n",
        "train.py": TRAIN,
    }
    assert check("no-ci", tmp_path, files) == []


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("build/cloudbuild-ci.yaml", "steps:\n- name: python:3.11\n  entrypoint: pytest\n"),
        ("ci/buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - pytest\n"),
        (
            "tekton/test.yaml",
            "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n"
            "  - name: t\n    image: python\n    script: pytest\n",
        ),
    ],
)
def test_other_ci_systems_found_by_content(tmp_path: Path, path: str, text: str) -> None:
    assert check("no-ci", tmp_path, {path: text, "train.py": TRAIN}) == []


def test_an_empty_jenkinsfile_is_not_ci(tmp_path: Path) -> None:
    evidence = check("no-ci", tmp_path, {"Jenkinsfile": "\n", "train.py": TRAIN})
    assert evidence and "no CI configuration" in evidence[0].detail


def test_an_empty_workflow_is_not_ci(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, {".github/workflows/ci.yml": "", "train.py": TRAIN})
    assert facts.ci_paths == []


# ------------------------------------------ a test that star-imports the project's code -----
FLOW = (
    "from sklearn.linear_model import LogisticRegression\nfrom zenml import pipeline\n\n\n"
    "@pipeline\ndef training_pipeline():\n    LogisticRegression().fit(X, y)\n\n\n"
    "def _helper():\n    return 1\n"
)


def test_a_test_that_star_imports_a_pipeline_module_is_read_and_followed(tmp_path: Path) -> None:
    """``from flows.train import *`` crashed the engine (the name ``*`` went into a regular
    expression); the pipeline function it brings is followed like a named import."""
    facts = facts_of(
        tmp_path,
        {
            ".github/workflows/ci.yml": WORKFLOW.format("pytest -q"),
            "flows/__init__.py": "",
            "flows/train.py": FLOW,
            "tests/test_flow.py": "from flows.train import *\n\n\n"
            "def test_it_runs():\n    assert run_local(training_pipeline)\n",
        },
    )
    assert any("training_pipeline" in c.text for c in facts.ci_commands), facts.ci_commands
    assert facts.ci_training is not None
