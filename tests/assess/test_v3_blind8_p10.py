"""assess v3, eleventh round (issue 22, branch p10): rules from blind8's design half.

Every test fails on the engine before its rule (main at 468ce33), except the near misses
named ``..._still_...``, which pass before and after and keep the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import WORKFLOW, git_init, notebook, write_tree

# ------------------------- 1. training by a framework's or a service's call ---------------
ESTIMATOR = (
    "import tensorflow as tf\n\n\ndef model_fn(features, labels, mode):\n    return None\n\n\n"
    "def train(model_dir, data_dir):\n"
    "    estimator = tf.estimator.Estimator(model_fn=model_fn, model_dir=model_dir)\n"
    "    train_spec = tf.estimator.TrainSpec(lambda: None, max_steps=10)\n"
    "    eval_spec = tf.estimator.EvalSpec(lambda: None, steps=1)\n"
    "    tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)\n\n\n"
    "if __name__ == '__main__':\n    train('/opt/ml/model', '/opt/ml/input/data')\n"
)


def test_a_tensorflow_estimator_trains(tmp_path: Path) -> None:
    write_tree(tmp_path, {"cifar10/cifar10.py": ESTIMATOR})
    report = assess_repository(tmp_path)
    assert report.level == 0
    assert any(f.id == "bus-factor" for f in report.findings)


def test_an_estimators_train_call_with_an_input_fn_trains(tmp_path: Path) -> None:
    code = ESTIMATOR.replace(
        "tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)",
        "estimator.train(input_fn=lambda: None, max_steps=10)",
    )
    write_tree(tmp_path, {"cifar10/cifar10.py": code})
    assert assess_repository(tmp_path).level == 0


AUTOML = (
    "from google.cloud import automl_v1beta1 as automl\n\n\n"
    "def train(project_id, region, dataset_id, model_name, budget):\n"
    "    client = automl.AutoMlClient()\n"
    "    location = client.location_path(project_id, region)\n"
    "    model = {'display_name': model_name, 'dataset_id': dataset_id,\n"
    "             'tables_model_metadata': {'train_budget_milli_node_hours': budget}}\n"
    "    return client.create_model(location, model).result()\n"
)


def test_a_managed_automl_model_is_training(tmp_path: Path) -> None:
    write_tree(tmp_path, {"components/train_model/train_model.py": AUTOML})
    assert assess_repository(tmp_path).level == 0


def test_another_librarys_create_model_is_still_no_training(tmp_path: Path) -> None:
    code = (
        "import boto3\n\n\ndef deploy(name, image, artifact):\n"
        "    sm = boto3.client('sagemaker')\n"
        "    sm.create_model(ModelName=name, PrimaryContainer={'Image': image,\n"
        "                    'ModelDataUrl': artifact})\n"
    )
    write_tree(tmp_path, {"deploy/create.py": code})
    assert assess_repository(tmp_path).level is None


# ------------------------- 2. a library's examples are not its project -------------------
SETUP = "from setuptools import setup\n\nsetup(name='helpers', packages=['helpers'])\n"
MODELER = (
    "from sklearn.linear_model import LinearRegression\n\n\nclass Modeler:\n"
    "    def fit(self, X, y):\n        self.model = LinearRegression().fit(X, y)\n"
    "        return self\n"
)
PATCHING = (
    "import tempfile\nfrom tensorflow.keras import models as keras_models\n\n\n"
    "def make_keras_picklable():\n    def __getstate__(self):\n"
    "        with tempfile.NamedTemporaryFile(suffix='.hdf5') as fd:\n"
    "            keras_models.save_model(self, fd.name)\n            return {'s': fd.read()}\n"
    "    keras_models.Model.__getstate__ = __getstate__\n\n\nmake_keras_picklable()\n\n\n"
    "class KerasRegressor:\n    def fit(self, X, y):\n        self.model.fit(X, y)\n"
)
EXAMPLE_FLOW = (
    "from metaflow import FlowSpec, step\nfrom helpers.modeler import Modeler\n\n\n"
    "class TrainFlow(FlowSpec):\n    @step\n    def start(self):\n"
    "        self.m = Modeler().fit([[0]], [0])\n        self.next(self.end)\n\n"
    "    @step\n    def end(self):\n        pass\n\n\n"
    "if __name__ == '__main__':\n    TrainFlow()\n"
)
MAKEFILE = "test:\n\tpytest tests\n\ntest_examples:\n\tpython examples/selection/train.py run\n"


def _library(tmp_path: Path, **extra: str) -> None:
    write_tree(tmp_path, {
        "setup.py": SETUP,
        "helpers/__init__.py": "",
        "helpers/modeler.py": MODELER,
        "examples/selection/train.py": EXAMPLE_FLOW,
        "tests/test_modeler.py": "def test_fit():\n    assert True\n",
        "Makefile": MAKEFILE,
        ".github/workflows/examples.yml": WORKFLOW.format("make test test_examples"),
        **extra,
    })  # fmt: skip


def test_a_library_whose_ci_runs_only_its_examples_is_not_applicable(tmp_path: Path) -> None:
    _library(tmp_path)
    report = assess_repository(tmp_path)
    assert report.level is None
    assert any("ML library" in n for n in report.notes)


def test_a_helper_a_library_runs_on_import_that_trains_nothing_keeps_it_a_library(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"setup.py": SETUP, "helpers/__init__.py": "",
                          "helpers/modeler.py": MODELER, "helpers/models/__init__.py": "",
                          "helpers/models/keras.py": PATCHING})  # fmt: skip
    assert assess_repository(tmp_path).level is None


def test_a_library_whose_ci_trains_its_own_script_is_still_a_project(tmp_path: Path) -> None:
    _library(tmp_path, **{
        "helpers/train.py": "from helpers.modeler import Modeler\n\n\nif __name__ == '__main__':\n"
        "    Modeler().fit([[0]], [0])\n",
        "Makefile": MAKEFILE + "\ntrain:\n\tpython helpers/train.py\n",
        ".github/workflows/examples.yml": WORKFLOW.format("make test train"),
    })  # fmt: skip
    assert assess_repository(tmp_path).level is not None


def test_a_module_that_calls_its_own_training_function_on_import_is_still_a_script(
    tmp_path: Path,
) -> None:
    code = MODELER + "\n\ndef run_all():\n    Modeler().fit([[0]], [0])\n\n\nrun_all()\n"
    write_tree(tmp_path, {"setup.py": SETUP, "helpers/__init__.py": "",
                          "helpers/modeler.py": code})  # fmt: skip
    assert assess_repository(tmp_path).level is not None


# ------------------------- 3. code that only a Jupyter checkpoint holds ------------------
APP = (
    "import joblib\nimport pandas as pd\nfrom flask import Flask, request, jsonify\n\n"
    "app = Flask(__name__)\nrf = joblib.load('model.joblib')\n\n\n"
    "@app.route('/predict', methods=['GET'])\ndef predict():\n"
    "    row = pd.DataFrame([request.args])\n"
    "    return jsonify(rf.predict(row).tolist())\n"
)


def test_a_checkpoint_whose_original_is_gone_is_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {".ipynb_checkpoints/app-checkpoint.py": APP})
    report = assess_repository(tmp_path)
    assert report.level == 0
    cited = {e.file for f in report.findings for e in f.evidence}
    assert ".ipynb_checkpoints/app-checkpoint.py" in cited


def test_a_checkpoint_beside_its_original_is_still_skipped(tmp_path: Path) -> None:
    train = (
        "import joblib\nfrom sklearn.linear_model import LogisticRegression\n\n"
        "joblib.dump(LogisticRegression().fit([[0]], [0]), 'model.joblib')\n"
    )
    write_tree(tmp_path, {"app.py": APP, ".ipynb_checkpoints/app-checkpoint.py": APP,
                          "train.py": train})  # fmt: skip
    report = assess_repository(tmp_path)
    cited = {e.file for f in report.findings for e in f.evidence}
    assert "app.py" in cited
    assert not any(c and ".ipynb_checkpoints" in c for c in cited)


# ------------------------- 4. an app serving a model file is ML --------------------------
def test_an_app_that_loads_a_model_file_and_predicts_is_ml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": APP})
    report = assess_repository(tmp_path)
    assert report.level == 0
    assert any(f.id == "no-rollback" and f.lowers_level for f in report.findings)


def test_a_web_app_with_no_model_is_still_not_applicable(tmp_path: Path) -> None:
    app = APP.replace("rf = joblib.load('model.joblib')", "rf = None").replace(
        "rf.predict(row).tolist()", "row.to_dict()"
    )
    write_tree(tmp_path, {"app.py": app})
    assert assess_repository(tmp_path).level is None


# ------------------------- 5. a training output nothing keeps ----------------------------
LIGHTNING_TRAIN = (
    "import lightning as L\nfrom lightning.pytorch.callbacks import ModelCheckpoint\n"
    "from src.model import Net\nfrom src.data import CatDog\n\n\n"
    "def main():\n    L.seed_everything(42)\n"
    "    trainer = L.Trainer(callbacks=[ModelCheckpoint(dirpath='logs/ckpt')])\n"
    "    trainer.fit(Net(), CatDog('data/catdog'))\n\n\n"
    "if __name__ == '__main__':\n    main()\n"
)
UNCACHED_DVC = (
    "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n"
    "    outs:\n    - logs:\n        cache: false\n"
)
DOCKER_ALL = 'FROM python:3.12-slim\nWORKDIR /app\nADD . /app\nCMD ["python", "src/infer.py"]\n'
BUILD = (
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: pytest tests\n"
    "      - run: docker build -t ghcr.io/me/catdog:${{ github.sha }} . && "
    "docker push ghcr.io/me/catdog:${{ github.sha }}\n"
)


def _uncached(tmp_path: Path, dvc_yaml: str, ignore: str) -> None:
    write_tree(tmp_path, {
        "src/train.py": LIGHTNING_TRAIN,
        "src/model.py": "import lightning as L\n\n\nclass Net(L.LightningModule):\n    pass\n",
        "src/data.py": "class CatDog:\n    def __init__(self, root):\n        self.root = root\n",
        "data/catdog.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  path: catdog\n",
        "dvc.yaml": dvc_yaml,
        ".gitignore": ignore,
        "logs/keep.txt": "kept\n",
    })  # fmt: skip
    git_init(tmp_path)


def _no_rollback(tmp_path: Path) -> list[str]:
    report = assess_repository(tmp_path)
    return [
        e.detail for f in report.findings if f.id == "no-rollback" and f.lowers_level
        for e in f.evidence
    ]  # fmt: skip


def test_a_training_output_with_cache_false_that_git_ignores_has_no_way_back(
    tmp_path: Path,
) -> None:
    _uncached(tmp_path, UNCACHED_DVC, "/logs\n/data/catdog\n")
    details = _no_rollback(tmp_path)
    assert any("cache: false" in d for d in details)
    assert assess_repository(tmp_path).level == 0


def test_a_cached_training_output_is_still_a_way_back(tmp_path: Path) -> None:
    _uncached(
        tmp_path,
        UNCACHED_DVC.replace("    - logs:\n        cache: false\n", "    - logs\n"),
        "/logs\n/data/catdog\n",
    )
    assert _no_rollback(tmp_path) == []


def test_an_uncached_output_git_tracks_is_still_kept(tmp_path: Path) -> None:
    _uncached(tmp_path, UNCACHED_DVC, "/data/catdog\n")
    assert not any("cache: false" in d for d in _no_rollback(tmp_path))


# ------------------------- 6. an image of a checkout with no model in it -----------------
def test_an_image_copying_a_checkout_without_a_model_is_no_way_back(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "src/train.py": TRAIN_SAVES, "Dockerfile": DOCKER_ALL,
        "tests/test_train.py": "def test_x():\n    assert True\n",
        ".github/workflows/ci.yml": BUILD, ".gitignore": "/models\n",
    })  # fmt: skip
    git_init(tmp_path)
    assert _no_rollback(tmp_path)


def test_an_image_built_after_ci_trains_still_carries_the_model(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "src/train.py": TRAIN_SAVES, "Dockerfile": DOCKER_ALL,
        "tests/test_train.py": "def test_x():\\n    assert True\\n",
        ".github/workflows/ci.yml": BUILD.replace("- run: pytest tests", "- run: pytest tests && "
                                                 "python src/train.py"),
        ".gitignore": "/models\\n",
    })  # fmt: skip
    git_init(tmp_path)
    assert _no_rollback(tmp_path) == []


TRAIN_SAVES = (
    "import joblib\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
    "def main():\n    model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
    "    joblib.dump(model, 'models/model.joblib')\n\n\n"
    "if __name__ == '__main__':\n    main()\n"
)


# ------------------------- 7. a Databricks bundle's tasks are its steps ------------------
BUNDLE = (
    "bundle:\n  name: banking\nresources:\n  jobs:\n    register:\n      name: register\n"
    "      tasks:\n        - task_key: register_model\n          notebook_task:\n"
    "            notebook_path: ${workspace.file_path}/src/{task}\n"
)
TRAIN_CELL = (
    "import mlflow\nfrom pyspark.ml.classification import RandomForestClassifier\n"
    "df = spark.read.table('banking.features_v3')\n"
    "with mlflow.start_run():\n    model = RandomForestClassifier(seed=42).fit(df)\n"
    "    mlflow.spark.log_model(model, 'model', registered_model_name='banking')\n"
)
REGISTER_CELL = (
    "import mlflow\nclient = mlflow.MlflowClient()\n"
    "run = mlflow.search_runs(order_by=['start_time DESC']).iloc[0]\n"
    "client.set_registered_model_alias('banking', 'champion', 1)\n"
)


def _bundle(tmp_path: Path, task: str) -> list[str]:
    write_tree(tmp_path, {
        "databricks.yml": BUNDLE.replace("{task}", task),
        "src/Train.ipynb": notebook(TRAIN_CELL),
        "src/Register.ipynb": notebook(REGISTER_CELL),
    })  # fmt: skip
    report = assess_repository(tmp_path)
    return [e.detail for f in report.findings if f.id == "bus-factor" and f.lowers_level
            for e in f.evidence]  # fmt: skip


def test_a_bundle_whose_jobs_never_run_the_training_notebook_is_no_training_pipeline(
    tmp_path: Path,
) -> None:
    details = _bundle(tmp_path, "Register")
    assert any("outside any pipeline" in d for d in details)


def test_a_bundle_task_that_runs_the_training_notebook_is_still_a_training_pipeline(
    tmp_path: Path,
) -> None:
    assert not any("outside any pipeline" in d for d in _bundle(tmp_path, "Train"))


# ------------------------- 8. a .dvc record of an empty file ----------------------------
EMPTY_DVC = (
    "outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  size: 0\n  hash: md5\n  path: raw.csv\n"
)
READS_RAW = (
    "import pandas as pd\nimport joblib\nfrom sklearn.linear_model import LogisticRegression\n\n"
    "df = pd.read_csv('data/raw.csv')\n"
    "model = LogisticRegression(random_state=0).fit(df.drop('y', axis=1), df['y'])\n"
    "joblib.dump(model, 'models/model.pkl')\n"
)
STAGE = (
    "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n"
    "    outs:\n    - models\n"
)


def _data_evidence(tmp_path: Path, dvc_file: str) -> list[str]:
    write_tree(tmp_path, {"src/train.py": READS_RAW, "dvc.yaml": STAGE,
                          "data/raw.csv.dvc": dvc_file})  # fmt: skip
    report = assess_repository(tmp_path)
    return [e.detail for f in report.findings if f.id == "no-data-versioning"
            for e in f.evidence]  # fmt: skip


def test_training_data_dvc_records_as_an_empty_file_is_not_versioned(tmp_path: Path) -> None:
    assert any("empty file" in d for d in _data_evidence(tmp_path, EMPTY_DVC))


def test_training_data_dvc_records_with_content_is_still_versioned(tmp_path: Path) -> None:
    full = EMPTY_DVC.replace("d41d8cd98f00b204e9800998ecf8427e", "3f2a" * 8).replace(
        "size: 0", "size: 52311"
    )
    assert _data_evidence(tmp_path, full) == []
