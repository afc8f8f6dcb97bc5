"""assess v3 (issue 22): evidence from structure, CI through task runners and found by
content, precision first. Each test failed before its fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from catdetector.assess import assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan
from tests.assess.builders import Files, write_tree

WORKFLOW = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n"
TRAIN = "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit(X, y)\n"


def _facts(root: Path, files: Files) -> Facts:
    write_tree(root, files)
    return Facts(scan(root))


def _check(check_id: str, root: Path, files: Files) -> list[Evidence]:
    return get_check(check_id).func(_facts(root, files))


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
    assert _check("no-ci", tmp_path, files) == []


def test_a_task_that_runs_no_tests_is_still_no_tests(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": WORKFLOW.format("mise run lint"),
        "mise.toml": '[tasks.lint]\nrun = "ruff check"\n[tasks.test]\nrun = "pytest"\n',
        "train.py": TRAIN,
    }
    assert _check("no-ci", tmp_path, files)


# ------------------------------------------------------------- CI systems by content -------
AZURE = (
    "trigger:\n  - main\npool:\n  vmImage: ubuntu-latest\nstages:\n- stage: test\n  jobs:\n"
    "  - job: unit\n    steps:\n    - script: python -m pytest tests\n"
)


def test_azure_pipelines_found_wherever_they_live(tmp_path: Path) -> None:
    files: Files = {".pipelines/ci.yml": AZURE, "train.py": TRAIN}
    facts = _facts(tmp_path, files)
    assert facts.ci_systems == {".pipelines/ci.yml": "Azure Pipelines"}
    assert get_check("no-ci").func(facts) == []


def test_gitlab_ci_followed_into_its_includes(tmp_path: Path) -> None:
    files: Files = {
        ".gitlab-ci.yml": "include:\n  - local: ci/test.yml\nstages: [test]\n",
        "ci/test.yml": "unit:\n  stage: test\n  script:\n    - pytest -q\n",
        "train.py": TRAIN,
    }
    assert _check("no-ci", tmp_path, files) == []


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
    assert _check("no-ci", tmp_path, {path: text, "train.py": TRAIN}) == []


def test_an_empty_jenkinsfile_is_not_ci(tmp_path: Path) -> None:
    evidence = _check("no-ci", tmp_path, {"Jenkinsfile": "\n", "train.py": TRAIN})
    assert evidence and "no CI configuration" in evidence[0].detail


def test_an_empty_workflow_is_not_ci(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {".github/workflows/ci.yml": "", "train.py": TRAIN})
    assert facts.ci_paths == []


# ------------------------------------------------------------- not ML ---------------------
def test_pictures_alone_are_not_ml(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "README.md": "# A list\n\n* [a tool](https://example.org)\n",
            "banner.jpg": b"\xff\xd8\xff" + bytes(600_000),
            "ext/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(9000),
        },
    )
    assert assess_repository(tmp_path).level is None


def test_a_documentation_picture_is_not_a_large_binary(tmp_path: Path) -> None:
    from tests.assess.builders import git_init

    files: Files = {
        "README.md": "# Demo\n\n![app](demo.png)\n",
        "demo.png": b"\x89PNG\r\n\x1a\n" + bytes(1_200_000),
        "docs/img/flow.jpg": b"\xff\xd8\xff" + bytes(1_200_000),
        "data/cats/1.jpg": b"\xff\xd8\xff" + bytes(1_200_000),
        "train.py": TRAIN,
    }
    write_tree(tmp_path, files)
    git_init(tmp_path)
    flagged = [e.file for e in get_check("large-binaries-in-git").func(Facts(scan(tmp_path)))]
    assert flagged == ["data/cats/1.jpg"]


# ------------------------------------------------------------- training by structure -------
KEDRO: Files = {
    "pyproject.toml": '[tool.kedro]\npackage_name = "spaceflights"\nproject_name = "sf"\n',
    "src/spaceflights/pipeline_registry.py": (
        "from kedro.pipeline import Pipeline\nfrom spaceflights.pipelines import ds\n"
        "def register_pipelines():\n    return {'__default__': ds.create_pipeline()}\n"
    ),
    "src/spaceflights/pipelines/ds/pipeline.py": (
        "from kedro.pipeline import node, pipeline\nfrom .nodes import fit_regressor\n"
        "def create_pipeline():\n    return pipeline([node(fit_regressor, 'xy', 'regressor')])\n"
    ),
    "src/spaceflights/pipelines/ds/nodes.py": (
        "from sklearn.linear_model import LinearRegression\n"
        "def fit_regressor(xy):\n    return LinearRegression().fit(xy[0], xy[1])\n"
    ),
}


def test_kedro_pipeline_is_training_by_structure_not_by_a_word(tmp_path: Path) -> None:
    assert _check("bus-factor", tmp_path, KEDRO) == []


def test_mlproject_entry_point_reaching_training_code_is_a_pipeline(tmp_path: Path) -> None:
    files: Files = {
        "MLproject": "name: p\nentry_points:\n  main:\n    command: python run.py --c {c}\n",
        "run.py": TRAIN,
    }
    assert _check("bus-factor", tmp_path, files) == []


def test_a_comment_saying_train_does_not_make_a_pipeline_train(tmp_path: Path) -> None:
    files: Files = {
        "app/MLproject": "name: p  # train later\nentry_points:\n  main:\n"
        "    command: python serve.py\n",
        "app/serve.py": "print('serving')\n",
        "notebooks/explore.ipynb": _notebook(TRAIN),
    }
    evidence = _check("bus-factor", tmp_path, files)
    assert any("notebook" in e.detail for e in evidence)


def _notebook(code: str) -> str:
    from tests.assess.builders import notebook

    return notebook(code)


AZURE_ML: Files = {
    "ml_service/pipelines/build_train_pipeline.py": (
        "from azureml.pipeline.core import Pipeline\nfrom azureml.pipeline.steps import "
        "PythonScriptStep\ns = PythonScriptStep(name='Train', script_name='train_aml.py')\n"
        "p = Pipeline(workspace=ws, steps=[s])\np.publish(name='p')\n"
    ),
    "diabetes/training/train_aml.py": (
        "from sklearn.linear_model import Ridge\nfrom azureml.core import Run\n"
        "model = Ridge(alpha=0.5).fit(X, y)\n"
    ),
    "diabetes/register/register_model.py": (
        "from azureml.core import Model\nModel.register(workspace=ws, model_path='m.pkl', "
        "model_name='diabetes')\n"
    ),
    "diabetes/evaluate/evaluate_model.py": (
        "from azureml.core import Run\nrun = Run.get_context()\n"
        "if new_model_mse > production_model_mse:\n    run.parent.cancel()\n"
    ),
}


def test_azure_ml_pipeline_trains_and_registers(tmp_path: Path) -> None:
    facts = _facts(tmp_path, AZURE_ML)
    assert get_check("bus-factor").func(facts) == []
    assert get_check("no-rollback").func(facts) == []


METAFLOW: Files = {
    "flows/rf_flow.py": (
        "from metaflow import FlowSpec, step\nfrom sklearn.ensemble import RandomForestClassifier\n"
        "class RF(FlowSpec):\n    @step\n    def start(self):\n"
        "        self.model = RandomForestClassifier(random_state=0).fit(X, y)\n"
        "        self.next(self.end)\n    @step\n    def end(self):\n        pass\n"
    ),
}


def test_metaflow_flow_trains_and_keeps_every_run(tmp_path: Path) -> None:
    facts = _facts(tmp_path, METAFLOW)
    assert get_check("bus-factor").func(facts) == []
    assert get_check("no-rollback").func(facts) == []


# ------------------------------------------------------------- precision first --------------
def test_scripts_training_outside_a_pipeline_is_high_not_critical(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/train.py": TRAIN + "import joblib\njoblib.dump(m, 'm.pkl')\n"})
    finding = assess_repository(tmp_path).finding("bus-factor")
    assert finding is not None and finding.severity == "high" and finding.lowers_level


def test_training_only_in_notebooks_is_critical(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nb/model.ipynb": _notebook(TRAIN)})
    finding = assess_repository(tmp_path).finding("bus-factor")
    assert finding is not None and finding.severity == "critical"


SERVING_ONLY: Files = {
    "service.py": (
        "import bentoml\nfrom transformers import pipeline\n@bentoml.service\nclass S:\n"
        "    def __init__(self):\n        self.p = pipeline('summarization')\n"
    ),
}


def test_no_training_found_is_not_recognised_and_does_not_lower_the_level(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, SERVING_ONLY)
    report = assess_repository(tmp_path)
    finding = report.finding("bus-factor")
    assert finding is not None and finding.not_recognised
    assert finding.severity == "low" and not finding.lowers_level
    assert "where is the model trained?" in finding.evidence[0].detail
    assert report.not_recognised >= 1
    from catdetector.assess.render import to_markdown

    assert "not recognised" in to_markdown(report).splitlines()[0]


def test_no_rollback_cites_the_model_save_not_a_label_encoder(tmp_path: Path) -> None:
    code = (
        "from sklearn.preprocessing import LabelEncoder\nfrom sklearn.svm import SVC\n"
        "import joblib\nle = LabelEncoder().fit(labels)\nclf = SVC().fit(X, y)\n"
        "joblib.dump(clf, out_path)\n"
    )
    evidence = _check("no-rollback", tmp_path, {"train.py": code})
    assert [e.line for e in evidence] == [6]


def test_no_rollback_without_a_save_is_a_question(tmp_path: Path) -> None:
    code = "from sklearn.preprocessing import LabelEncoder\nle = LabelEncoder().fit(labels)\n"
    evidence = _check("no-rollback", tmp_path, {"train.py": code})
    assert len(evidence) == 1 and evidence[0].detail.startswith("not recognised: ")


# ------------------------------------------------------------- gates ------------------------
EVAL = "from sklearn.metrics import mean_squared_error\nmse = mean_squared_error(y, p)\n"


def test_a_coverage_threshold_is_not_an_evaluation_gate(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": WORKFLOW.format("pytest --cov-fail-under=80"),
        "train.py": TRAIN,
        "evaluate.py": EVAL + "# TODO: a gate here\n",
    }
    assert _check("no-evaluation-gate", tmp_path, files)


def test_comparing_with_the_production_model_is_a_gate(tmp_path: Path) -> None:
    files: Files = {
        "train.py": TRAIN,
        "evaluate.py": EVAL
        + "new_model_mse = mse\nif new_model_mse < production_model_mse:\n    promote()\n",
    }
    assert _check("no-evaluation-gate", tmp_path, files) == []


# ------------------------------------------------------------- secrets ----------------------
HEX32 = "5791628bb0b13ce0" + "c676dfde280ba245"


def test_flask_secret_key_and_short_passwords_are_found(tmp_path: Path) -> None:
    code = (
        "from flask import Flask\napp = Flask(__name__)\n"
        f"app.config['SECRET_KEY'] = '{HEX32}'\napp.config['MAIL_PASSWORD'] = 'hunter22'\n"
    )
    evidence = _check("secrets-committed", tmp_path, {"app/__init__.py": code, "t.py": TRAIN})
    assert [e.line for e in evidence] == [3, 4]


def test_compose_variables_and_placeholders_are_not_secrets(tmp_path: Path) -> None:
    files: Files = {
        "compose.yml": "services:\n  db:\n    environment:\n"
        "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?Variable not set}\n",
        ".env": "SECRET_KEY=changethis\nPOSTGRES_PASSWORD=changethis\n",
        "lib.py": '"""Use it.\n\n>>> creds = {"password": "StrongPassword1"}\n"""\n',
        "opik.py": 'c = {"api_key": "opik_abcdefgh"}  # pragma: allowlist secret\n',
    }
    assert _check("secrets-committed", tmp_path, files) == []


def test_a_secret_in_a_test_fixture_is_low_and_says_so(tmp_path: Path) -> None:
    files: Files = {
        "tests/api/test_login.py": 'def test_x():\n    data = {"password": "password123"}\n',
        "train.py": TRAIN,
    }
    write_tree(tmp_path, files)
    finding = assess_repository(tmp_path).finding("secrets-committed")
    assert finding is not None and finding.severity == "low"
    assert "test" in finding.evidence[0].detail and not finding.lowers_level


# ------------------------------------------------------------- its own projects -------------
FALSE_ON_INIT = {
    "no-monitoring",  # `catdetector serve` logs every prediction and checks drift
    "no-seeds",  # train.seed is in params.yaml
    "no-data-versioning",
    "bus-factor",
    "no-rollback",
    "secrets-committed",
    "training-serving-skew",
    "no-lock-file",
}


def _init(root: Path) -> Path:
    from tests.support import cli

    cli("init", str(root), cwd=root.parent)
    return root


@pytest.mark.slow  # runs `catdetector init`
def test_a_fresh_init_project_is_level_1_with_no_false_finding(
    tmp_path: Path, isolated_home: Path
) -> None:
    report = assess_repository(_init(tmp_path / "fresh"))
    assert report.level is not None and report.level >= 1, report.ids
    assert not FALSE_ON_INIT & {f.id for f in report.findings if not f.not_recognised}
    # its CI runs `bash ci/continuous-training.sh repro`, whose `"$VENV/bin/dvc" repro` trains
    assert "no-ci-training" not in report.ids
    score = {item.id: item for item in report.score}
    assert score["Infra 3"].score == 1 and score["Infra 4"].score == 1


@pytest.mark.slow  # builds the shared trained project (init, sample, dvc repro)
def test_a_trained_registered_init_project_is_level_1_with_a_true_score(
    project_copy: Path,
) -> None:
    from tests.assess.builders import git

    git(project_copy, "tag", "-a", "catdetector@v0.1.0", "-m", "Registering artifact")
    report = assess_repository(project_copy)
    assert report.level is not None and report.level >= 1, report.ids
    assert not FALSE_ON_INIT & set(report.ids)
    score = {item.id: item for item in report.score}
    assert score["Model 5"].score > 0  # the ladder starts with a dummy rung
    assert score["Infra 1"].score > 0  # train.seed in params.yaml and requirements.lock
    assert score["Monitor 4"].score > 0  # served by `catdetector serve`
    assert "no serving" not in score["Monitor 3"].evidence


def test_the_catdetector_repository_is_level_1_with_no_false_finding(tmp_path: Path) -> None:
    # A clone: what the repository holds, not what a test run left in the git-ignored
    # folders of this checkout (screenshots in test-artifacts/, a .venv ...).
    root = Path(__file__).resolve().parents[2]
    clone = tmp_path / "catdetector"
    subprocess.run(["git", "clone", "-q", "--no-local", str(root), str(clone)], check=True)
    report = assess_repository(clone)
    assert report.level is not None and report.level >= 1, report.ids
    assert {"no-lock-file", "bus-factor", "no-rollback", "no-input-validation"}.isdisjoint(
        report.ids
    )  # GET /metrics takes no input
    secrets = report.finding("secrets-committed")
    assert secrets is None or secrets.severity == "low"
    assert all("anyscale" not in f.fix and "ray job" not in f.fix for f in report.findings)
    cited = [e.file or "" for f in report.findings for e in f.evidence]
    assert not any(p.startswith("tests/assess/corpus/") for p in cited), cited


def test_a_credential_in_a_docstring_example_is_documentation(tmp_path: Path) -> None:
    code = (
        'class SQLDataset:\n    """Load a table.\n\n    ```yaml\n    creds:\n'
        '      password: "supersecret9"\n    ```\n    """\n'
    )
    evidence = _check("secrets-committed", tmp_path, {"ds.py": code})
    assert len(evidence) == 1 and "documentation" in evidence[0].detail


# ------------------------------------------------------------- Dockerfiles ------------------
def test_an_mlflow_tracking_server_image_is_not_the_serving_environment(tmp_path: Path) -> None:
    files: Files = {
        "requirements.txt": "scikit-learn==1.5.2\nfastapi==0.115.0\n",
        "train.py": TRAIN,
        "serve.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "mlflow/Dockerfile": "FROM python:3.9\nRUN pip install mlflow psycopg2\n"
        'CMD ["mlflow", "server", "--host", "0.0.0.0"]\n',
    }
    write_tree(tmp_path, files)
    report = assess_repository(tmp_path)
    cited = [e.file for f in report.findings for e in f.evidence]
    assert "mlflow/Dockerfile" not in cited, report.findings
    assert any("mlflow/Dockerfile runs `mlflow server" in n for n in report.notes)


# ------------------------------------------------------------- Streamlit --------------------
STREAMLIT = (
    "import joblib\nimport streamlit as st\nmodel = joblib.load('model.pkl')\n"
    "age = st.slider('age', 18, 90)\nplan = st.selectbox('plan', ['a', 'b'])\n"
    "{extra}st.write(model.predict([[age, plan]]))\n"
)


def test_a_streamlit_app_with_bounded_widgets_validates_its_input(tmp_path: Path) -> None:
    files: Files = {"app.py": STREAMLIT.format(extra=""), "train.py": TRAIN}
    assert _check("no-input-validation", tmp_path, files) == []


def test_an_unbounded_streamlit_input_is_not_cited_at_line_1(tmp_path: Path) -> None:
    extra = "note = st.text_input('note')\n"
    files: Files = {"app.py": STREAMLIT.format(extra=extra), "train.py": TRAIN}
    evidence = _check("no-input-validation", tmp_path, files)
    assert evidence and all(e.line != 1 for e in evidence)


HUB_SERVICE = (
    "from fastapi import FastAPI\nfrom transformers import AutoModelForSequenceClassification\n"
    "app = FastAPI()\nmodel = AutoModelForSequenceClassification.from_pretrained({args})\n"
)


def test_a_served_hub_model_is_trained_elsewhere_and_unpinned_has_no_way_back(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"service.py": HUB_SERVICE.format(args="'org/sentiment'")})
    report = assess_repository(tmp_path)
    bus, back = report.finding("bus-factor"), report.finding("no-rollback")
    assert bus is not None and bus.lowers_level and "trained elsewhere" in bus.evidence[0].detail
    assert back is not None and back.severity == "high" and back.evidence[0].line == 4


def test_a_hub_model_pinned_to_a_revision_has_a_way_back(tmp_path: Path) -> None:
    args = "'org/sentiment', revision='2f1e3c4'"
    write_tree(tmp_path, {"service.py": HUB_SERVICE.format(args=args)})
    assert assess_repository(tmp_path).finding("no-rollback") is None
