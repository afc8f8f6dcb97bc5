"""assess v3, fifth round (issue 22, branch b3b): general defects the third blind corpus
(blind3, now spent) showed in its second half, each as a small synthetic repository. Every
test here fails on the engine before its fix (main at b577334), except the counter-checks
named ``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.evalgates import code_gates
from tests.assess.builders import Files, facts_of, write_tree

WORKFLOW = (
    "on: [push]\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n"
)
IRIS_TRAIN = (
    "from sklearn.datasets import load_iris\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "import joblib\nX, y = load_iris(return_X_y=True)\n"
    "model = RandomForestClassifier(random_state=0).fit(X, y)\njoblib.dump(model, 'model.joblib')\n"
)
TEST_MODULE = (
    "import joblib\nimport pytest\nfrom unittest import mock\n\n\n"
    "def test_accuracy():\n    model = joblib.load('model.joblib')\n"
    "    assert model.score([[1, 2, 3, 4]], [0]) > 0.8\n"
)


# ------------------------------------------- a test file run with plain python -------------
def _python_runs(step: str) -> Files:
    return {
        "src/train.py": IRIS_TRAIN,
        "src/test_model.py": TEST_MODULE,
        ".github/workflows/ci.yml": WORKFLOW
        + "      - run: python src/train.py\n"
        + f"      - run: {step}\n",
    }


def test_a_test_file_run_with_plain_python_runs_no_tests(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _python_runs("python src/test_model.py"))
    assert facts.ci_tests is None  # `import pytest` in the file it runs is not running pytest


def test_a_test_file_run_by_pytest_still_runs_tests(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _python_runs("pytest src/test_model.py"))
    assert facts.ci_tests is not None


def test_a_python_file_that_calls_pytest_main_still_runs_tests(tmp_path: Path) -> None:
    files = _python_runs("python run_tests.py")
    files["run_tests.py"] = "import sys\nimport pytest\n\nsys.exit(pytest.main(['src']))\n"
    facts = facts_of(tmp_path, files)
    assert facts.ci_tests is not None


# ------------------------------------------- dvc repro with stage targets -------------------
DVC_YAML = (
    "stages:\n"
    "  download_data:\n    cmd: wget https://example.org/d.csv -O data/d.csv\n"
    "    outs:\n      - data/d.csv\n"
    "  train:\n    cmd: python src/train.py\n    deps:\n      - data/d.csv\n"
    "      - src/train.py\n    outs:\n      - model.joblib\n"
    "  evaluate:\n    cmd: python src/evaluate.py\n    deps:\n      - model.joblib\n"
    "    metrics:\n      - metrics.json\n"
)
EVALUATE = "import joblib\nm = joblib.load('model.joblib')\nprint(m)\n"


def _dvc_repo(step: str) -> Files:
    return {
        "dvc.yaml": DVC_YAML,
        ".dvc/config": "",
        "src/train.py": IRIS_TRAIN,
        "src/evaluate.py": EVALUATE,
        "tests/test_x.py": "def test_x():\n    assert True\n",
        ".github/workflows/ci.yml": WORKFLOW + f"      - run: {step}\n      - run: pytest\n",
    }


def test_dvc_repro_of_a_stage_upstream_of_training_does_not_train(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _dvc_repo("dvc repro download_data"))
    assert facts.ci_runs_training is None


def test_dvc_repro_of_a_stage_downstream_of_training_still_trains(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _dvc_repo("dvc repro -f evaluate"))
    assert facts.ci_runs_training is not None


def test_dvc_repro_of_the_whole_pipeline_still_trains(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _dvc_repo("dvc repro"))
    assert facts.ci_runs_training is not None


# ------------------------------------------- commented lines of a Dockerfile -----------------
SERVE_APP = (
    "from fastapi import FastAPI\nimport joblib\napp = FastAPI()\nm = joblib.load('m.pkl')\n"
)


def _docker_skew(root: Path, dockerfile: str) -> list[str]:
    files: Files = {
        "training/requirements.txt": "mlflow==2.18.0\nscikit-learn==1.5.2\n",
        "training/train.py": IRIS_TRAIN,
        "api/app.py": SERVE_APP,
        "api/Dockerfile": dockerfile,
    }
    facts = facts_of(root, files)
    found = get_check("training-serving-skew").func(facts)
    return [e.detail or "" for e in found if "differs" in (e.detail or "")]


def test_a_commented_out_install_in_a_dockerfile_installs_nothing(tmp_path: Path) -> None:
    dockerfile = (
        "FROM python:3.11-slim\nRUN pip install mlflow==2.18.0 scikit-learn==1.5.2\n"
        "# RUN python -m pip install azureml-defaults==1.41.0 \\\n#     mlflow==1.25.1 \\\n"
        "#     scikit-learn==0.24.0\nCMD [\"uvicorn\", \"app:app\"]\n"
    )
    assert _docker_skew(tmp_path, dockerfile) == []


def test_an_install_in_a_dockerfile_that_differs_is_still_skew(tmp_path: Path) -> None:
    dockerfile = (
        "FROM python:3.11-slim\nRUN pip install azureml-defaults==1.41.0 \\\n"
        "    # a comment inside the continuation\n    mlflow==1.25.1\n"
        "CMD [\"uvicorn\", \"app:app\"]\n"
    )
    assert len(_docker_skew(tmp_path, dockerfile)) == 1


# ------------------------------------------- secret values that are names -------------------
def _secret_finding(root: Path, files: Files) -> tuple[str | None, list[str]]:
    write_tree(root, {**files, "train.py": IRIS_TRAIN})
    finding = assess_repository(root).finding("secrets-committed")
    if finding is None:
        return None, []
    return finding.severity, [f"{e.file}:{e.line}" for e in finding.evidence]


EXTERNAL_SECRET = (
    "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\n"
    "spec:\n  data:\n    - secretKey: database_password\n      remoteRef:\n        key: db-pw\n"
    "    - secretKey: username\n      remoteRef:\n        key: db-user\n"
)


def test_identifiers_and_external_secret_key_names_are_not_credentials(tmp_path: Path) -> None:
    files: Files = {
        "k8s/external-secret.yaml": EXTERNAL_SECRET,
        "scripts/check.sh": "python - <<EOF\n"
        "connect(password='PASSWORD_FROM_SECRET_MANAGER')\nEOF\n",
        "local/context.yaml": "lakefs:\n  adminSecretKeys:\n    accessKey: accessKeyId\n"
        "    secretKey: secretAccessKey\n",
    }
    level, where = _secret_finding(tmp_path, files)
    assert level == "low"  # still listed, each with its reason
    # an UPPER_SNAKE value names an environment variable: no value at all, so not listed
    assert "scripts/check.sh:2" not in where
    assert len(where) == 4


def test_a_word_or_a_value_with_digits_is_still_a_credential(tmp_path: Path) -> None:
    files: Files = {
        "config.yaml": "db:\n  password: correcthorse\n",
        "deploy/values.yaml": "api_key: Hunter2Hunter2x\n",
        "k8s/secret.yaml": "kind: Secret\nstringData:\n  secretKey: swordfish\n",
    }
    level, where = _secret_finding(tmp_path, files)
    assert level == "high"  # still listed; words, not keys by format or entropy (proof 2)
    assert len(where) == 3


def test_a_pem_header_with_no_key_after_it_is_not_a_private_key(tmp_path: Path) -> None:
    values = (
        "sslKey:\n  # value: |\n  #   -----BEGIN PRIVATE KEY-----\n  #   ...\n"
        "  #   -----END PRIVATE KEY-----\n"
    )
    assert _secret_finding(tmp_path, {"chart/values.yaml": values}) == (None, [])


def test_a_pem_key_with_its_body_is_still_a_private_key(tmp_path: Path) -> None:
    body = "MII" + "Ev" * 30  # a key's shape, built at run time
    key = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    inline = f'KEY = "-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n"\n'
    level, where = _secret_finding(tmp_path, {"deploy/key.pem.txt": key, "app/keys.py": inline})
    assert level == "critical"
    assert len(where) == 2


def test_a_credential_past_the_tenth_line_of_evidence_keeps_the_finding_critical(
    tmp_path: Path,
) -> None:
    lows = {f"tests/fixtures/f{i}.py": 'PASSWORD = "hunter2hunter"\n' for i in range(11)}
    key = "Zq8vN2xR7tLp4WmK9sYb3Hc6Jd1Fg5Qe"  # high entropy: proof 2
    level, where = _secret_finding(tmp_path, {**lows, "zz/settings.py": f'API_KEY = "{key}"\n'})
    assert level == "critical"
    assert where[0] == "zz/settings.py:1"  # the production secret is shown first


# ------------------------------------------- an orchestrator with nothing ML in it ----------
FLOW = (
    "from metaflow import FlowSpec, step\n\n\nclass Hello(FlowSpec):\n    @step\n"
    "    def start(self):\n{body}        self.next(self.end)\n\n    @step\n"
    "    def end(self):\n        self.model_accuracy = 0.91\n\n\n"
    "if __name__ == '__main__':\n    Hello()\n"
)
DAG = (
    "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n"
    "with DAG('etl') as dag:\n    BashOperator(task_id='copy', bash_command='echo hi')\n"
)


def test_a_workflow_engine_with_no_ml_in_it_is_not_applicable(tmp_path: Path) -> None:
    files: Files = {
        "model.py": FLOW.format(body="        print('hello')\n"),
        "dags/etl.py": DAG,
        "backtest.py": "from metaflow import Runner\nwith Runner('model.py').run() as r:\n"
        "    assert r.run.data.model_accuracy > 0.9\n",
    }
    assert facts_of(tmp_path, files).applicable is False


def test_a_flow_that_trains_is_still_applicable(tmp_path: Path) -> None:
    body = (
        "        from sklearn.linear_model import LogisticRegression\n"
        "        self.m = LogisticRegression().fit([[0], [1]], [0, 1])\n"
    )
    assert facts_of(tmp_path / "a", {"flow.py": FLOW.format(body=body)}).applicable is True
    data: Files = {"dags/etl.py": DAG, "data/train.csv": "a,b\n1,2\n"}
    assert facts_of(tmp_path / "b", data).applicable is True  # data beside the DAG


def test_a_label_in_a_localisation_file_is_not_a_credential(tmp_path: Path) -> None:
    labels = '{\n  "auth": {\n    "password": "Passwort",\n'
    labels += '    "token": "Zugangsschluessel"\n  }\n}\n'
    level, where = _secret_finding(tmp_path, {"web/src/i18n/de.json": labels})
    assert (level, len(where)) == ("low", 2)


# ------------------------------------------- shell lines continued with a backslash ---------
def _image_run(image: str) -> Files:
    step = (
        "      - name: Run training\n        run: |\n          docker run --rm \\\n"
        "            -e MLFLOW_TRACKING_URI \\\n"
        f"            ${{{{ env.REGISTRY }}}}/acme/{image}:${{{{ github.sha }}}}\n"
    )
    return {
        "trainer/Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nENTRYPOINT ["python", "fit.py"]\n',
        "trainer/fit.py": IRIS_TRAIN,
        "server/Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "serve.py"]\n',
        "server/serve.py": SERVE_APP,
        ".github/workflows/cd.yml": WORKFLOW + step,
    }


def test_a_command_continued_on_the_next_lines_is_read_whole(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _image_run("trainer"))
    assert facts.ci_runs_training is not None  # the image is on the third line of the command


def test_an_image_continued_on_the_next_lines_that_does_not_train_is_still_not_training(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _image_run("server"))
    assert facts.ci_runs_training is None


# ------------------------------------------- a metric returned by a function of the file ----
TRAIN_AND_RETURN = (
    "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\n\n\ndef train_model():\n"
    "    X, y = load_iris(return_X_y=True)\n    model = LogisticRegression().fit(X, y)\n"
    "    acc = accuracy_score(y, model.predict(X))\n    best_acc = acc\n"
    "    return 'run-1', best_acc, len(model.classes_)\n\n\n"
    "if __name__ == '__main__':\n    run_id, accuracy, n_classes = train_model()\n"
    "    assert {checked} > {bound}\n"
)


def test_an_assert_on_a_metric_a_function_of_the_file_returns_is_a_gate(tmp_path: Path) -> None:
    script = TRAIN_AND_RETURN.format(checked="accuracy", bound="0.85")
    facts = facts_of(tmp_path, {"training/train_model.py": script})
    assert code_gates(facts)


def test_an_assert_on_another_item_the_function_returns_is_still_no_gate(tmp_path: Path) -> None:
    script = TRAIN_AND_RETURN.format(checked="n_classes", bound="2")
    facts = facts_of(tmp_path, {"training/train_model.py": script})
    assert not code_gates(facts)


# ------------------------------------------- a compose database container's own password ----
COMPOSE = (
    "services:\n  postgres:\n    image: postgres:16\n    environment:\n"
    "      - POSTGRES_USER=myuser\n      - POSTGRES_PASSWORD=mypassword\n"
    "  mlflow:\n    image: ghcr.io/mlflow/mlflow\n    environment:\n"
    "      - MLFLOW_BACKEND_STORE_URI=postgresql://myuser:mypassword@postgres:5432/db\n"
)


def test_the_password_of_a_database_container_compose_starts_is_low(tmp_path: Path) -> None:
    files: Files = {
        "docker-compose.yaml": COMPOSE,
        "dockerfiles/Dockerfile.batch": "FROM python:3.12\n"
        "ENV DATABASE_URL=postgresql://myuser:mypassword@postgres:5432/db\n",
    }
    level, where = _secret_finding(tmp_path, files)
    assert (level, len(where)) == ("low", 3)


def test_that_password_sent_elsewhere_or_an_apps_own_password_is_still_critical(
    tmp_path: Path,
) -> None:
    app = "services:\n  api:\n    image: acme/api\n    environment:\n"
    app += "      API_PASSWORD: mypassword\n"
    files: Files = {
        "docker-compose.yaml": COMPOSE,
        "deploy/prod.env": "DATABASE_URL=postgresql://myuser:mypassword@db.acme.io:5432/db\n",
        "other/compose.yml": app,
    }
    write_tree(tmp_path, {**files, "train.py": IRIS_TRAIN})
    finding = assess_repository(tmp_path).finding("secrets-committed")
    assert finding is not None and finding.severity == "high"  # words: no proof 2
    plain = {f"{e.file}:{e.line}" for e in finding.evidence if "password is committed" in e.detail}
    assert {"deploy/prod.env:1", "other/compose.yml:5"} <= plain  # no reason makes them LOW


# ------------------------------------------- reusable CI pieces for other repositories ------
AML_HELPER = (
    "from azureml.core import Workspace\nfrom azureml.pipeline.core import Pipeline\n"
    "from azureml.pipeline.steps import PythonScriptStep\n\n\ndef main(script):\n"
    "    ws = Workspace.from_config()\n"
    "    step = PythonScriptStep(script_name=script, source_directory='.')\n"
    "    Pipeline(workspace=ws, steps=[step]).publish('train')\n"
)
CALLED = (
    "on:\n  workflow_call:\n    inputs:\n      env:\n        type: string\njobs:\n  train:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - run: python src/deploy_training_pipeline.py\n"
)
STEP_TEMPLATE = "steps:\n  - script: python templates/src/deploy_training_pipeline.py\n"


def _pieces(extra: Files) -> Files:
    return {
        "src/deploy_training_pipeline.py": AML_HELPER,
        ".github/workflows/train_pipeline.yml": CALLED,
        "templates/python-sdk-v1/deploy-training-pipeline.yml": STEP_TEMPLATE,
        **extra,
    }


def test_a_repository_of_reusable_ci_pieces_is_not_applicable(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _pieces({}))
    assert facts.is_ml and not facts.applicable


def test_ci_pieces_beside_their_own_trigger_or_training_are_still_a_project(
    tmp_path: Path,
) -> None:
    own: Files = {".github/workflows/ci.yml": WORKFLOW + "      - run: pytest\n"}
    assert facts_of(tmp_path / "a", _pieces(own)).applicable
    assert facts_of(tmp_path / "b", _pieces({"src/train.py": IRIS_TRAIN})).applicable
