"""assess v3 (issue 22): evidence from structure, precision first, secrets, Dockerfiles,
Streamlit and hub models. Each test failed before its fix (first round). CI through task
runners and systems: ``test_v3_ci.py``; its own projects: ``test_v3_own.py``."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.scan import scan
from tests.assess.builders import TRAIN, WORKFLOW, Files, check, facts_of, write_tree


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
    assert check("bus-factor", tmp_path, KEDRO) == []


def test_mlproject_entry_point_reaching_training_code_is_a_pipeline(tmp_path: Path) -> None:
    files: Files = {
        "MLproject": "name: p\nentry_points:\n  main:\n    command: python run.py --c {c}\n",
        "run.py": TRAIN,
    }
    assert check("bus-factor", tmp_path, files) == []


def test_a_comment_saying_train_does_not_make_a_pipeline_train(tmp_path: Path) -> None:
    files: Files = {
        "app/MLproject": "name: p  # train later\nentry_points:\n  main:\n"
        "    command: python serve.py\n",
        "app/serve.py": "print('serving')\n",
        "notebooks/explore.ipynb": _notebook(TRAIN),
    }
    evidence = check("bus-factor", tmp_path, files)
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
    facts = facts_of(tmp_path, AZURE_ML)
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
    facts = facts_of(tmp_path, METAFLOW)
    assert get_check("bus-factor").func(facts) == []
    assert get_check("no-rollback").func(facts) == []


# ------------------------------------------------------------- precision first --------------
def test_scripts_training_outside_a_pipeline_is_high_not_critical(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/train.py": TRAIN + "import joblib\njoblib.dump(m, 'm.pkl')\n"})
    finding = assess_repository(tmp_path).finding("bus-factor")
    assert finding is not None and finding.severity == "high" and finding.lowers_level


def test_training_only_in_notebooks_lowers_the_level(tmp_path: Path) -> None:
    """HIGH since the eighth round: no model it makes is served or shipped (proof 3 needs
    one; test_v3_critical.py has the CRITICAL case)."""
    write_tree(tmp_path, {"nb/model.ipynb": _notebook(TRAIN)})
    finding = assess_repository(tmp_path).finding("bus-factor")
    assert finding is not None and finding.severity == "high" and finding.lowers_level


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
    evidence = check("no-rollback", tmp_path, {"train.py": code})
    assert [e.line for e in evidence] == [6]


def test_no_rollback_without_a_save_is_a_question(tmp_path: Path) -> None:
    code = "from sklearn.preprocessing import LabelEncoder\nle = LabelEncoder().fit(labels)\n"
    evidence = check("no-rollback", tmp_path, {"train.py": code})
    assert len(evidence) == 1 and evidence[0].detail.startswith("not recognised: ")


# ------------------------------------------------------------- gates ------------------------
EVAL = "from sklearn.metrics import mean_squared_error\nmse = mean_squared_error(y, p)\n"


def test_a_coverage_threshold_is_not_an_evaluation_gate(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": WORKFLOW.format("pytest --cov-fail-under=80"),
        "train.py": TRAIN,
        "evaluate.py": EVAL + "# TODO: a gate here\n",
    }
    assert check("no-evaluation-gate", tmp_path, files)


def test_comparing_with_the_production_model_is_a_gate(tmp_path: Path) -> None:
    files: Files = {
        "train.py": TRAIN,
        "evaluate.py": EVAL
        + "new_model_mse = mse\nif new_model_mse < production_model_mse:\n    promote()\n",
    }
    assert check("no-evaluation-gate", tmp_path, files) == []


# ------------------------------------------------------------- secrets ----------------------
HEX32 = "5791628bb0b13ce0" + "c676dfde280ba245"


def test_flask_secret_key_and_short_passwords_are_found(tmp_path: Path) -> None:
    code = (
        "from flask import Flask\napp = Flask(__name__)\n"
        f"app.config['SECRET_KEY'] = '{HEX32}'\napp.config['MAIL_PASSWORD'] = 'hunter22'\n"
    )
    evidence = check("secrets-committed", tmp_path, {"app/__init__.py": code, "t.py": TRAIN})
    assert [e.line for e in evidence] == [3, 4]


def test_compose_variables_and_placeholders_are_not_secrets(tmp_path: Path) -> None:
    files: Files = {
        "compose.yml": "services:\n  db:\n    environment:\n"
        "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?Variable not set}\n",
        ".env": "SECRET_KEY=changethis\nPOSTGRES_PASSWORD=changethis\n",
        "lib.py": '"""Use it.\n\n>>> creds = {"password": "StrongPassword1"}\n"""\n',
        "opik.py": 'c = {"api_key": "opik_abcdefgh"}  # pragma: allowlist secret\n',
    }
    assert check("secrets-committed", tmp_path, files) == []


def test_a_secret_in_a_test_fixture_is_low_and_says_so(tmp_path: Path) -> None:
    files: Files = {
        "tests/api/test_login.py": 'def test_x():\n    data = {"password": "password123"}\n',
        "train.py": TRAIN,
    }
    write_tree(tmp_path, files)
    finding = assess_repository(tmp_path).finding("secrets-committed")
    assert finding is not None and finding.severity == "low"
    assert "test" in finding.evidence[0].detail and not finding.lowers_level


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
    assert check("no-input-validation", tmp_path, files) == []


def test_an_unbounded_streamlit_input_is_not_cited_at_line_1(tmp_path: Path) -> None:
    extra = "note = st.text_input('note')\n"
    files: Files = {"app.py": STREAMLIT.format(extra=extra), "train.py": TRAIN}
    evidence = check("no-input-validation", tmp_path, files)
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
