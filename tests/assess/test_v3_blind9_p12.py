"""assess v3, twelfth round (issue 22, branch p12): rules from blind9's design half.

Every test fails on the engine before its rule (main at 79c8172), except the near misses named
``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import WORKFLOW, Files, check, write_tree

# ---------------------------- 1. a metrics file read through a handle or a name ---------------
TRAIN_METRICS_PY = (
    "import json\nimport pickle\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.metrics import accuracy_score\n"
    "from sklearn.model_selection import train_test_split\n\n"
    "X, y = load_iris(return_X_y=True)\n"
    "X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)\n"
    "model = RandomForestClassifier(random_state=0).fit(X_tr, y_tr)\n"
    "acc = accuracy_score(y_te, model.predict(X_te))\n"
    "with open('models/model.pkl', 'wb') as f:\n    pickle.dump(model, f)\n"
    "with open('models/metrics.json', 'w') as f:\n    json.dump({'accuracy': acc}, f)\n"
)
VALIDATE_HANDLE_PY = (
    "import json\nimport sys\n\n"
    "with open('models/metrics.json') as f:\n    metrics = json.load(f)\n\n"
    "acc = metrics['accuracy']\nthreshold = 0.7\n"
    "if acc < threshold:\n    print('below threshold')\n    sys.exit(1)\n"
)
VALIDATE_CONSTANT_PY = (
    "import json\nimport sys\nfrom pathlib import Path\n\n"
    "METRICS = Path('reports') / 'eval_metrics.json'\n\n\n"
    "def main() -> None:\n    scores = json.loads(METRICS.read_text())\n"
    "    if scores['f1'] < 0.8:\n        raise SystemExit('model below the bar')\n\n\n"
    "main()\n"
)
TEST_PY = "def test_ok():\n    assert 1 + 1 == 2\n"
CI_STEPS = (
    "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - run: pytest tests\n      - run: python train.py\n      - run: python validate.py\n"
)


def _gate_tree(validate: str) -> dict[str, str]:
    return {"train.py": TRAIN_METRICS_PY, "validate.py": validate, "tests/test_x.py": TEST_PY,
            ".github/workflows/ci.yml": CI_STEPS}  # fmt: skip


def test_a_metrics_file_read_through_a_file_handle_and_checked_in_ci_is_a_gate(
    tmp_path: Path,
) -> None:
    """Was: no-evaluation-gate HIGH (blind9 nitinjmv/mlops-assessment, judges 2, engine 1)."""
    write_tree(tmp_path, _gate_tree(VALIDATE_HANDLE_PY))
    assert assess_repository(tmp_path).finding("no-evaluation-gate") is None


def test_a_metrics_path_held_in_a_module_constant_is_read_as_metrics(tmp_path: Path) -> None:
    """Was: no-evaluation-gate HIGH (the path named once, read in a function)."""
    write_tree(tmp_path, _gate_tree(VALIDATE_CONSTANT_PY))
    assert assess_repository(tmp_path).finding("no-evaluation-gate") is None


def test_a_settings_file_read_through_a_handle_is_still_no_evaluation(tmp_path: Path) -> None:
    validate = VALIDATE_HANDLE_PY.replace("models/metrics.json", "config/settings.json")
    write_tree(tmp_path, _gate_tree(validate))
    assert assess_repository(tmp_path).finding("no-evaluation-gate") is not None


def test_a_metrics_file_only_printed_is_still_no_gate(tmp_path: Path) -> None:
    validate = VALIDATE_HANDLE_PY.replace("    sys.exit(1)\n", "")
    write_tree(tmp_path, _gate_tree(validate))
    assert assess_repository(tmp_path).finding("no-evaluation-gate") is not None


# ---------------------------- 2. "data" as a word of a path -----------------------------------
DVC_TRAIN = "stages:\n  train:\n    cmd: python train.py\n    outs:\n      - model.pkl\n"
TRAIN_NAMED_PY = (
    "import pickle\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n\n"
    "EXPERIMENT = '{path}'\n"
    "X, y = load_iris(return_X_y=True)\n"
    "model = LogisticRegression(random_state=0).fit(X, y)\n"
    "pickle.dump(model, open('model.pkl', 'wb'))\n"
)


def _machine_paths(tmp_path: Path, path: str) -> list[str]:
    files: Files = {"dvc.yaml": DVC_TRAIN, "train.py": TRAIN_NAMED_PY.format(path=path)}
    return [e.detail for e in check("bus-factor", tmp_path, files) if "one machine" in e.detail]


def test_a_workspace_name_with_databricks_in_it_is_no_data_on_one_machine(
    tmp_path: Path,
) -> None:
    """Was: bus-factor HIGH, Level 0 (blind9 vorodrigues/databricks-mlops-stacks: an MLflow
    experiment named "/dev-databricks-mlops-stacks-experiment", judges 1)."""
    assert _machine_paths(tmp_path, "/dev-databricks-mlops-stacks-experiment") == []


def test_a_data_folder_on_one_disk_is_still_data_on_one_machine(tmp_path: Path) -> None:
    assert _machine_paths(tmp_path / "a", "/disk2/my_data/raw") != []
    assert _machine_paths(tmp_path / "b", "/warehouse/datalake/events") != []


# ---------------------------- 3. a web application's own database -----------------------------
DJANGO_SETTINGS = (
    "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
    "SECRET_KEY = 'django-insecure-xyz'\nINSTALLED_APPS = ['core']\n"
    "DATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.sqlite3',\n"
    "        'NAME': BASE_DIR / 'db.sqlite3',\n    }\n}\n"
)
DJANGO_FILES = {
    "manage.py": "import os\nimport sys\n\nfrom django.core.management import "
    "execute_from_command_line\n\nexecute_from_command_line(sys.argv)\n",
    "myproject/__init__.py": "",
    "myproject/settings.py": DJANGO_SETTINGS,
    "core/views.py": "from django.http import HttpResponse\n\n\ndef home(request):\n"
    "    return HttpResponse('hello')\n",
    "db.sqlite3": "",
    ".github/workflows/ci.yml": WORKFLOW.format("python manage.py test"),
}
FLASK_APP = (
    "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
    "app = Flask(__name__)\napp.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite:///site.db'\n"
    "db = SQLAlchemy(app)\n"
)


def test_a_django_starter_with_its_database_committed_is_not_ml(tmp_path: Path) -> None:
    """Was: Level 1 (blind9 TanviVadera/Django-CI: the empty db.sqlite3 read as a dataset;
    both judges: not applicable)."""
    write_tree(tmp_path, DJANGO_FILES)
    assert assess_repository(tmp_path).level is None


def test_a_flask_app_with_its_sqlalchemy_database_is_not_ml(tmp_path: Path) -> None:
    """Was: Level 1 (the same rule, Flask-SQLAlchemy's URI)."""
    write_tree(tmp_path, {"app.py": FLASK_APP, "instance/site.db": "x" * 64})
    assert assess_repository(tmp_path).level is None


def test_another_database_beside_the_apps_is_still_data(tmp_path: Path) -> None:
    write_tree(tmp_path, {**DJANGO_FILES, "data/customers.sqlite3": "x" * 64})
    assert assess_repository(tmp_path).level is not None


# ---------------------------- 4. versions kept only inside a CI runner ------------------------
TRAIN_PER_RUN_PY = (
    "import os\nfrom datetime import datetime\n\nimport joblib\n"
    "from sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n\n"
    "X, y = load_iris(return_X_y=True)\nmodel = LogisticRegression(random_state=0).fit(X, y)\n"
    "version = datetime.now().strftime('%Y%m%d%H%M%S')\n"
    "folder = os.path.join('models', 'registry', version)\n"
    "os.makedirs(folder, exist_ok=True)\njoblib.dump(model, os.path.join(folder, 'model.pkl'))\n"
)
TRAIN_MLFLOW_PY = (
    "import mlflow\nimport mlflow.sklearn\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n\n"
    "X, y = load_iris(return_X_y=True)\nwith mlflow.start_run():\n"
    "    model = LogisticRegression(random_state=0).fit(X, y)\n"
    "    mlflow.sklearn.log_model(model, 'model', registered_model_name='iris')\n"
)
CI_TRAIN = (
    "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n{env}    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: pytest tests\n      - run: python train.py\n"
    "{extra}"
)
UPLOAD = (
    "      - uses: actions/upload-artifact@v4\n        with:\n          name: models\n"
    "          path: models/\n"
)
SERVER_ENV = "    env:\n      MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}\n"


def _runner_tree(train: str, env: str = "", extra: str = "") -> dict[str, str]:
    return {"train.py": train, "tests/test_x.py": TEST_PY,
            ".github/workflows/ci.yml": CI_TRAIN.format(env=env, extra=extra)}  # fmt: skip


def test_per_run_model_folders_only_a_ci_runner_holds_are_no_way_back(tmp_path: Path) -> None:
    """Was: no finding, Level 1 (blind9 LeonardoMdSACode/Automated-ML-Pipeline-with-CI-CD:
    CI writes models/registry/model_v00N/ in the runner; both judges: no-rollback, Level 0)."""
    write_tree(tmp_path, _runner_tree(TRAIN_PER_RUN_PY))
    report = assess_repository(tmp_path)
    finding = report.finding("no-rollback")
    assert finding is not None and finding.lowers_level
    assert "only inside the CI runner" in finding.evidence[0].detail
    assert report.level == 0


def test_an_mlflow_registry_only_a_ci_runner_holds_is_no_way_back(tmp_path: Path) -> None:
    """Was: no finding (blind9 visakhpadmanabhan7/mlops: register_best.py registers into the
    runner's ./mlruns; both judges: no-rollback, Level 0)."""
    write_tree(tmp_path, _runner_tree(TRAIN_MLFLOW_PY))
    finding = assess_repository(tmp_path).finding("no-rollback")
    assert finding is not None and finding.lowers_level
    assert any("registered in MLflow only inside the CI runner" in e.detail
               for e in finding.evidence)  # fmt: skip


def test_per_run_folders_uploaded_by_ci_are_still_kept(tmp_path: Path) -> None:
    write_tree(tmp_path, _runner_tree(TRAIN_PER_RUN_PY, extra=UPLOAD))
    assert assess_repository(tmp_path).finding("no-rollback") is None


def test_per_run_folders_of_training_run_by_hand_are_still_kept(tmp_path: Path) -> None:
    files = _runner_tree(TRAIN_PER_RUN_PY)
    files[".github/workflows/ci.yml"] = WORKFLOW.format("pytest tests")
    write_tree(tmp_path, files)
    assert assess_repository(tmp_path).finding("no-rollback") is None


def test_per_run_folders_on_a_self_hosted_runner_are_still_kept(tmp_path: Path) -> None:
    files = _runner_tree(TRAIN_PER_RUN_PY)
    ci = files[".github/workflows/ci.yml"].replace("ubuntu-latest", "[self-hosted, gpu]")
    write_tree(tmp_path, {**files, ".github/workflows/ci.yml": ci})
    assert assess_repository(tmp_path).finding("no-rollback") is None


def test_an_mlflow_registry_on_a_tracking_server_is_still_a_way_back(tmp_path: Path) -> None:
    write_tree(tmp_path, _runner_tree(TRAIN_MLFLOW_PY, env=SERVER_ENV))
    assert assess_repository(tmp_path).finding("no-rollback") is None
