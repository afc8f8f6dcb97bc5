"""assess v3, fifth round (issue 22, branch b3a): general defect classes the third blind
corpus (blind3, now spent) showed in its first half, each as a small synthetic repository.
Every test here failed on the engine before its fix (main at b577334), except the
counter-checks named ``..._still_...``."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan
from tests.assess.builders import TRAIN, Files, check, facts_of, severity, write_tree

RANDOM_KEY = "Zq8vN2xR7tLm4" + "Wp9sKd3Hf6Yb"  # mixed case and digits, built at run time


def _secrets(root: Path, files: Files) -> list[Evidence]:
    return check("secrets-committed", root, {**files, "train.py": TRAIN})


# ------------------------------------------------------------- secrets ----------------------
def test_a_value_that_is_the_name_of_a_variable_is_no_secret(tmp_path: Path) -> None:
    files: Files = {
        "pkg/auth.py": 'DEX_USERNAME = "DEX_USERNAME"\nDEX_PASSWORD = "DEX_PASSWORD"\n',
        "Dockerfile.api": "FROM python:3.11\nENV API_KEY_SECRET = SECRET_KEY\n",
    }
    assert _secrets(tmp_path, files) == []


def test_still_a_real_value_beside_a_variable_name_is_critical(tmp_path: Path) -> None:
    files: Files = {
        "pkg/auth.py": f'DEX_PASSWORD = "DEX_PASSWORD"\nDB_PASSWORD = "{RANDOM_KEY}"\n',
        "Dockerfile.api": "FROM python:3.11\nENV API_KEY_SECRET=Hunter2Hunter\n",
    }
    evidence = _secrets(tmp_path, files)
    assert {(e.file, e.line) for e in evidence} == {("pkg/auth.py", 2), ("Dockerfile.api", 2)}
    assert severity(tmp_path, "secrets-committed") == "critical"


def test_a_plain_value_in_a_commented_example_is_documentation(tmp_path: Path) -> None:
    mlflow_yml = (
        "# If you want to set some credentials, e.g. AWS_SECRET_ACCESS_KEY\n"
        "# your_mlflow_credentials:\n"
        "#   AWS_ACCESS_KEY_ID: 132456\n"
        "#   AWS_SECRET_ACCESS_KEY: 132456\n"
        "server:\n  mlflow_tracking_uri: null\n"
    )
    evidence = _secrets(tmp_path, {"conf/base/mlflow.yml": mlflow_yml})
    assert [e.line for e in evidence] == [3, 4]  # listed, never hidden
    assert all("documentation" in (e.detail or "") for e in evidence)
    assert severity(tmp_path, "secrets-committed") == "low"


def test_still_a_random_key_on_a_commented_line_is_critical(tmp_path: Path) -> None:
    app = f"import flask\n# api_key = '{RANDOM_KEY}'\n"
    evidence = _secrets(tmp_path, {"app.py": app})
    assert [e.line for e in evidence] == [2]
    assert severity(tmp_path, "secrets-committed") == "critical"


# ------------------------------------------------------------- pipelines --------------------
_FIT = (
    "from sklearn.linear_model import LogisticRegression\n\n\n"
    "def fit_best(X, y):\n    model = LogisticRegression()\n    model.fit(X, y)\n"
    "    return model\n"
)


def test_orchestrator_decorators_through_their_module_declare_a_pipeline(
    tmp_path: Path,
) -> None:
    asset = (
        "import dagster as dg\n\nfrom churn.modeling.fit import fit_best\n\n\n"
        '@dg.asset(name="fit_pipeline")\ndef fit_pipeline(data_splits):\n'
        "    return fit_best(data_splits.X, data_splits.y)\n"
    )
    jobs = 'import dagster as dg\n\ntrain = dg.define_asset_job("train", selection="*")\n'
    files: Files = {
        "pyproject.toml": '[project]\nname = "churn"\ndependencies = ["dagster==1.9.0"]\n',
        "src/churn/__init__.py": "",
        "src/churn/modeling/__init__.py": "",
        "src/churn/modeling/fit.py": _FIT,
        "src/churn/assets/__init__.py": "",
        "src/churn/assets/fit.py": asset,
        "src/churn/jobs.py": jobs,
    }
    facts = facts_of(tmp_path, files)
    assert {e.file for e in facts.pipelines} >= {"src/churn/assets/fit.py", "src/churn/jobs.py"}
    assert facts.pipeline_trains
    assert get_check("bus-factor").func(facts) == []


def test_still_a_celery_task_is_no_pipeline(tmp_path: Path) -> None:
    worker = (
        "from celery import Celery\n\nfrom churn.modeling.fit import fit_best\n\n"
        'app = Celery("w")\n\n\n@app.task\ndef retrain(X, y):\n    return fit_best(X, y)\n'
    )
    files: Files = {"churn/modeling/fit.py": _FIT, "worker.py": worker}
    assert facts_of(tmp_path, files).pipelines == []


_TRAINER = (
    "from sklearn.linear_model import LogisticRegression\nfrom zenml import step\n\n\n"
    "@step\ndef model_trainer(X, y):\n    model = LogisticRegression(random_state=1)\n"
    "    model.fit(X, y)\n    return model\n"
)
_LOADER = "from zenml import step\n\n\n@step\ndef data_loader():\n    return 1, 2\n"
_PIPELINE = (
    "from steps import (\n    data_loader,\n    model_trainer,\n)\n"
    "from zenml import pipeline\n\n\n@pipeline\ndef {name}_training():\n"
    "    X, y = data_loader()\n    model_trainer(X=X, y=y)\n"
)
_ZENML_FILES: Files = {
    "template/steps/__init__.py": (
        "from .etl import data_loader\nfrom .training import model_trainer\n"
    ),
    "template/steps/etl/__init__.py": "from .data_loader import data_loader\n",
    "template/steps/etl/data_loader.py": _LOADER,
    "template/steps/training/__init__.py": "from .model_trainer import model_trainer\n",
    "template/steps/training/model_trainer.py": _TRAINER,
    "template/run.py": "from pipelines.training import x_training\n\nx_training()\n",
}


def test_steps_a_pipeline_imports_through_re_exporting_packages_train(tmp_path: Path) -> None:
    files = {**_ZENML_FILES, "template/pipelines/training.py": _PIPELINE.format(name="x")}
    facts = facts_of(tmp_path, files)
    assert facts.pipeline_trains
    assert get_check("bus-factor").func(facts) == []


def test_a_python_file_that_is_itself_a_template_is_read_rendered(tmp_path: Path) -> None:
    templated = _PIPELINE.format(name="{{product_name}}").replace(
        "    model_trainer,\n",
        "{%- if tuning %}\n    hp_select,\n{%- endif %}\n    model_trainer,\n",
    )
    files = {**_ZENML_FILES, "copier.yml": "tuning:\n  type: bool\n",
             "template/pipelines/training.py": templated}  # fmt: skip
    facts = facts_of(tmp_path, files)
    unit = next(u for u in facts.source_units if u.path == "template/pipelines/training.py")
    assert unit.py.parsed
    assert facts.pipeline_trains


def test_still_a_python_file_that_parses_is_read_as_it_is(tmp_path: Path) -> None:
    code = 'PROMPT = "{{ name }} {% if x %}"\n\n\ndef f():\n    return PROMPT\n'
    facts = facts_of(tmp_path, {"prompts.py": code})
    assert facts.index.text("prompts.py") == code


# ------------------------------------------------------------- way back ---------------------
_TORCH_TRAIN = (
    "import mlflow\nimport torch\n\n\ndef main():\n    model = torch.nn.Linear(2, 1)\n"
    "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "    with mlflow.start_run():\n        for _ in range(3):\n"
    "            loss = model(torch.ones(2)).sum()\n            loss.backward()\n"
    "            opt.step()\n"
    '        torch.save(model.state_dict(), "data/processed/cnn_model.pt")\n'
    "{log}"
    '\n\nif __name__ == "__main__":\n    main()\n'
)


def test_a_model_saved_then_logged_to_the_run_has_a_way_back(tmp_path: Path) -> None:
    log = '        mlflow.log_artifact("data/processed/cnn_model.pt")\n'
    files: Files = {
        "MLproject": "name: x\nentry_points:\n  main:\n    command: python src/train.py\n",
        "src/train.py": _TORCH_TRAIN.format(log=log),
    }
    write_tree(tmp_path, files)
    assert get_check("no-rollback").func(Facts(scan(tmp_path))) == []


def test_still_a_model_saved_to_a_fixed_path_and_not_logged_has_none(tmp_path: Path) -> None:
    log = '        mlflow.log_artifact("data/processed/labels.json")\n'
    files: Files = {
        "MLproject": "name: x\nentry_points:\n  main:\n    command: python src/train.py\n",
        "src/train.py": _TORCH_TRAIN.format(log=log),
    }
    write_tree(tmp_path, files)
    evidence = get_check("no-rollback").func(Facts(scan(tmp_path)))
    assert [(e.file, e.line) for e in evidence] == [("src/train.py", 13)]
    assert severity(tmp_path, "no-rollback") == "high"  # nothing serves it (see below)


# ------------------------------------------------------------- one machine ------------------
_IRIS_TRAIN = (
    "import os\n\nimport mlflow\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n\n"
    "{where}\n"
    "X, y = load_iris(return_X_y=True)\nwith mlflow.start_run():\n"
    "    model = LogisticRegression(random_state=0).fit(X, y)\n"
    '    mlflow.sklearn.log_model(model, "model", registered_model_name="iris")\n'
)
_CI_TRAINS = (
    "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: python train.py\n"
)


def test_a_home_folder_the_code_creates_for_its_output_is_not_one_machines_data(
    tmp_path: Path,
) -> None:
    where = (
        'artifact_location = os.path.expanduser("~/mlflow-artifacts")\n'
        "os.makedirs(artifact_location, exist_ok=True)\n"
        'mlflow.set_tracking_uri(f"file://{artifact_location}")\n'
    )
    files: Files = {
        "train.py": _IRIS_TRAIN.format(where=where),
        ".github/workflows/ci.yml": _CI_TRAINS,
    }
    write_tree(tmp_path, files)
    assert get_check("bus-factor").func(Facts(scan(tmp_path))) == []


def test_still_data_read_from_a_home_folder_is_on_one_machine(tmp_path: Path) -> None:
    where = 'data_dir = os.path.expanduser("~/datasets/iris")\nprint(os.listdir(data_dir))\n'
    files: Files = {
        "train.py": _IRIS_TRAIN.format(where=where),
        ".github/workflows/ci.yml": _CI_TRAINS,
    }
    write_tree(tmp_path, files)
    evidence = get_check("bus-factor").func(Facts(scan(tmp_path)))
    assert [(e.file, e.line) for e in evidence] == [("train.py", 7)]


# ------------------------------------------------------------- environments -----------------
_SERVE = (
    "import mlflow\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    'model = mlflow.pyfunc.load_model("models:/iris/Production")\n\n\n'
    '@app.post("/predict")\ndef predict(x: list[float]) -> float:\n'
    "    return float(model.predict([x])[0])\n"
)


def _image(extra: str) -> str:
    return (
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\n"
        f"RUN pip install -r requirements.txt && pip install {extra}\n"
        'CMD ["uvicorn", "serve:app"]\n'
    )


def test_a_bare_reinstall_after_the_requirements_keeps_their_version(tmp_path: Path) -> None:
    files: Files = {
        "train.py": _IRIS_TRAIN.format(where=""),
        "serve.py": _SERVE,
        "requirements.txt": "mlflow~=2.17.2\nscikit-learn~=1.5.2\nfastapi~=0.115.0\n",
        "Dockerfile": _image("mlflow pytest"),
    }
    write_tree(tmp_path, files)
    assert get_check("training-serving-skew").func(Facts(scan(tmp_path))) == []


def test_still_a_different_version_installed_on_top_is_skew(tmp_path: Path) -> None:
    files: Files = {
        "train.py": _IRIS_TRAIN.format(where=""),
        "serve.py": _SERVE,
        "requirements.txt": "mlflow~=2.17.2\nscikit-learn~=1.5.2\nfastapi~=0.115.0\n",
        "Dockerfile": _image("mlflow==3.1.0"),
    }
    write_tree(tmp_path, files)
    evidence = get_check("training-serving-skew").func(Facts(scan(tmp_path)))
    assert [(e.file, e.line) for e in evidence] == [("Dockerfile", 4)]


# ------------------------------------------------------------- stale pipelines --------------
_MLPROJECT = (
    "name: signs\nconda_env: conda.yaml\nentry_points:\n  main:\n"
    '    parameters:\n      dataset: path\n    command: "python {script} {{dataset}}"\n'
)
_KERAS_TRAIN = (
    "import mlflow\nfrom tensorflow import keras\n\n\n"
    "def train_model(samples, labels):\n    model = keras.Sequential()\n"
    '    model.compile(optimizer="adam", loss="mse")\n    model.fit(samples, labels, epochs=2)\n'
    '    mlflow.register_model("runs:/x/model", "signs")\n'
)
_MAIN = '\n\nif __name__ == "__main__":\n    train_model(1, 2)\n'


def test_an_mlproject_whose_entry_points_run_missing_scripts_trains_nothing(
    tmp_path: Path,
) -> None:
    files: Files = {
        "MLproject": _MLPROJECT.format(script="train.py"),
        "src/train_eval.py": _KERAS_TRAIN + _MAIN,
    }
    facts = facts_of(tmp_path, files)
    assert not facts.pipeline_trains
    evidence = get_check("bus-factor").func(facts)
    assert ("MLproject", None) in {(e.file, e.line) for e in evidence}
    assert severity(tmp_path, "bus-factor") == "high"


def test_still_an_mlproject_that_runs_a_script_it_has_is_a_pipeline(tmp_path: Path) -> None:
    files: Files = {
        "MLproject": _MLPROJECT.format(script="src/train_eval.py"),
        "src/train_eval.py": _KERAS_TRAIN + _MAIN,
    }
    facts = facts_of(tmp_path, files)
    assert [e.file for e in facts.pipelines] == ["MLproject"]
    assert facts.pipeline_trains


_JOBLIB_TRAIN = (
    "import joblib\nfrom sklearn.linear_model import LogisticRegression\n\n"
    "model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
    'joblib.dump(model, "models/model.joblib")\n'
)
_LOAD = (
    "import joblib\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    'model = joblib.load("models/model.joblib")\n\n\n@app.get("/predict")\n'
    "def predict(x: float) -> int:\n    return int(model.predict([[x]])[0])\n"
)


def test_no_rollback_with_nothing_served_is_high_not_critical(tmp_path: Path) -> None:
    write_tree(tmp_path, {"train.py": _JOBLIB_TRAIN})
    assert get_check("no-rollback").func(Facts(scan(tmp_path))) != []
    assert severity(tmp_path, "no-rollback") == "high"


def test_still_no_rollback_of_a_served_model_is_critical(tmp_path: Path) -> None:
    write_tree(tmp_path, {"train.py": _JOBLIB_TRAIN, "app.py": _LOAD})
    assert severity(tmp_path, "no-rollback") == "critical"
