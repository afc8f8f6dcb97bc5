"""assess v3, ninth round (issue 22, branch p8): rules from blind7's design half.

Every test fails on the engine before its fix (main at 1a4f30d), except the near misses named
``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import WORKFLOW, write_tree

# ------------------------------------------- 1. what is ML --------------------------------
HELLO_FLOW = (
    "from metaflow import FlowSpec, step\n\n\nclass HelloFlow(FlowSpec):\n"
    "    @step\n    def start(self):\n        self.letters = ['a', 'b']\n"
    "        self.next(self.end)\n\n    @step\n    def end(self):\n"
    "        print(self.letters)\n\n\n"
    "if __name__ == '__main__':\n    HelloFlow()\n"
)


def test_ci_running_a_general_engines_flow_is_not_ml_by_itself(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "flows/ci_helloflow.py": HELLO_FLOW,
        "tests/test_flow.py": "def test_flow():\n    assert True\n",
        ".github/workflows/ci.yml": WORKFLOW.format(
            "python flows/ci_helloflow.py run && pytest tests"
        ),
    })  # fmt: skip
    assert assess_repository(tmp_path).level is None


def test_ci_running_a_flow_that_trains_is_still_ml(tmp_path: Path) -> None:
    flow = HELLO_FLOW.replace(
        "from metaflow", "from sklearn.linear_model import LogisticRegression\nfrom metaflow"
    ).replace("self.letters = ['a', 'b']", "self.m = LogisticRegression().fit(X, y)")
    write_tree(tmp_path, {
        "flows/train_flow.py": flow,
        ".github/workflows/ci.yml": WORKFLOW.format("python flows/train_flow.py run"),
    })  # fmt: skip
    assert assess_repository(tmp_path).level is not None


KEDRO_PYPROJECT = (
    '[project]\nname = "geo"\ndependencies = ["kedro==0.18.4"]\n\n'
    '[tool.kedro]\npackage_name = "geo"\nproject_name = "geo"\nkedro_init_version = "0.18.4"\n'
)
GEOCODE_NODE = (
    "import requests\n\n\ndef geocode(addresses):\n"
    "    return [requests.get('https://geo.example/api', params={'q': a}).json()"
    " for a in addresses]\n"
)
REGISTRY = (
    "from kedro.pipeline import Pipeline, node\nfrom geo.nodes import geocode\n\n\n"
    "def register_pipelines():\n"
    "    return {'__default__': Pipeline([node(geocode, 'addresses', 'points')])}\n"
)

API = (
    "from fastapi import FastAPI\nfrom geo.nodes import geocode\n\napp = FastAPI()\n\n\n"
    "@app.get('/geocode')\ndef get(address: str):\n    return geocode([address])\n"
)


def _kedro_tree(notebook_line: str) -> dict[str, str]:
    cell = f'{{"cell_type": "code", "source": ["{notebook_line}\\n", "print(1)\\n"]}}'
    return {
        "pyproject.toml": KEDRO_PYPROJECT,
        "src/geo/nodes.py": GEOCODE_NODE,
        "src/geo/pipeline_registry.py": REGISTRY,
        "src/backend/main.py": API,
        "notebooks/explore.ipynb": f'{{"cells": [{cell}], "nbformat": 4}}',
    }


def test_a_kedro_data_pipeline_with_an_unused_ml_import_is_not_ml(tmp_path: Path) -> None:
    write_tree(tmp_path, _kedro_tree("import sklearn as sc"))
    assert assess_repository(tmp_path).level is None


def test_a_kedro_project_that_uses_an_ml_package_is_still_ml(tmp_path: Path) -> None:
    tree = _kedro_tree("import sklearn as sc")
    tree["notebooks/explore.ipynb"] = tree["notebooks/explore.ipynb"].replace(
        "print(1)", "sc.cluster.KMeans(3)"
    )
    write_tree(tmp_path, tree)
    assert assess_repository(tmp_path).level is not None


def test_an_ml_import_used_under_its_own_name_is_still_ml(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "score.py": "from sklearn.metrics import f1_score\nprint(f1_score([1], [1]))\n",
        "model.pkl": "x",
    })  # fmt: skip
    assert assess_repository(tmp_path).level is not None


# ------------------------------------------- 2. live SQL data -----------------------------
AML_PIPELINE = (
    "from azureml.core import Dataset, Workspace\n"
    "from azureml.pipeline.core import Pipeline\n"
    "from azureml.pipeline.steps import PythonScriptStep\n\n"
    "ws = Workspace.from_config()\n"
    "{read}\n"
    "step = PythonScriptStep(name='train', script_name='train.py',"
    " inputs=[data.as_named_input('traindata')], source_directory='.')\n"
    "Pipeline(workspace=ws, steps=[step]).publish(name='train')\n"
)
AML_TRAIN = (
    "from azureml.core import Run\nfrom sklearn.linear_model import LogisticRegression\n"
    "run = Run.get_context()\ndf = run.input_datasets['traindata'].to_pandas_dataframe()\n"
    "model = LogisticRegression().fit(df[['x']], df['y'])\n"
)


def test_an_azure_ml_dataset_from_a_live_sql_query_is_unversioned_data(tmp_path: Path) -> None:
    read = "data = Dataset.Tabular.from_sql_query((store, 'SELECT * FROM dbo.traindata'))"
    write_tree(tmp_path, {
        "pipeline.py": AML_PIPELINE.format(read=read), "train.py": AML_TRAIN,
    })  # fmt: skip
    finding = assess_repository(tmp_path).finding("no-data-versioning")
    assert finding is not None and finding.lowers_level
    assert finding.evidence[0].file == "pipeline.py" and "SQL query" in finding.evidence[0].detail


def test_an_azure_ml_dataset_by_name_and_version_is_still_not_a_live_query(
    tmp_path: Path,
) -> None:
    read = "data = Dataset.get_by_name(ws, 'traindata', version='3')"
    write_tree(tmp_path, {
        "pipeline.py": AML_PIPELINE.format(read=read), "train.py": AML_TRAIN,
    })  # fmt: skip
    finding = assess_repository(tmp_path).finding("no-data-versioning")
    assert finding is None or not any("SQL" in e.detail for e in finding.evidence)


# ------------------------------------------- 3. training code the repository lacks ---------
FRAUD_TRAIN = (
    "from src.data import load\nfrom src.models import Detector\n\n\n"
    "def main():\n    detector = Detector()\n    detector.train(load())\n\n\nmain()\n"
)


def _ci_trains(models: dict[str, str]) -> dict[str, str]:
    return {
        "train.py": FRAUD_TRAIN,
        "src/data/__init__.py": "def load():\n    return [[0, 1]]\n",
        "src/utils.py": "X = 1\n",
        "tests/test_data.py": "def test_load():\n    assert True\n",
        ".github/workflows/train.yml": WORKFLOW.format("python train.py && pytest tests"),
        **models,
    }


def test_training_that_imports_an_own_module_the_repository_lacks_has_a_bus_factor(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, _ci_trains({}))
    report = assess_repository(tmp_path)
    bus = report.finding("bus-factor")
    assert bus is not None and bus.lowers_level and report.level == 0
    assert (bus.evidence[0].file, bus.evidence[0].line) == ("train.py", 2)
    assert "src.models" in bus.evidence[0].detail


def test_training_whose_own_modules_are_all_here_still_has_no_missing_module(
    tmp_path: Path,
) -> None:
    detector = (
        "from sklearn.linear_model import LogisticRegression\n\n\nclass Detector:\n"
        "    def train(self, rows):\n        return LogisticRegression().fit(rows, [0])\n"
    )
    write_tree(tmp_path, _ci_trains({"src/models/__init__.py": detector}))
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is None or not any("not in the repository" in e.detail for e in bus.evidence)


def test_an_installed_package_named_like_a_folder_is_still_not_a_missing_module(
    tmp_path: Path,
) -> None:
    tree = _ci_trains({"src/models/__init__.py": "class Detector:\n    pass\n"})
    tree["train.py"] = "import mlflow.sklearn\nfrom google.protobuf import text_format\n" + (
        "try:\n    from src.extras import plot\nexcept ImportError:\n    plot = None\n"
    ) + FRAUD_TRAIN
    tree["mlflow/Dockerfile"] = "FROM python:3.11\n"
    tree["google/creds.py"] = "X = 1\n"  # a folder named like a namespace package
    write_tree(tmp_path, tree)
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is None or not any("not in the repository" in e.detail for e in bus.evidence)


# ------------------------------------------- 4. CI tests of the trained model --------------
CNN_TRAIN = (
    "import torch\nfrom torchvision import datasets\nfrom model import Net\n\n"
    "net = Net()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
    "for x, y in datasets.MNIST('data', download=True):\n"
    "    opt.zero_grad()\n    torch.nn.functional.cross_entropy(net(x), y).backward()\n"
    "    opt.step()\ntorch.save(net.state_dict(), 'models/model.pth')\n"
)
CNN_TEST = (
    "import torch\nfrom torchvision import datasets\nfrom model import Net\n\n\n"
    "def test_accuracy():\n    model = Net()\n{load}"
    "    correct = 0\n    for x, y in datasets.MNIST('data', train=False, download=True):\n"
    "        _, predicted = torch.max(model(x).data, 1)\n"
    "        correct += (predicted == y).sum().item()\n"
    "    accuracy = 100 * correct / 10000\n    assert accuracy > 95\n"
)


def _cnn_tree(load: str) -> dict[str, str]:
    return {
        "model.py": "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n",
        "train.py": CNN_TRAIN,
        "tests/test_model.py": CNN_TEST.format(load=load),
        "requirements.txt": "torch==2.2.1\ntorchvision==0.17.1\n",
        ".github/workflows/ml.yml": WORKFLOW.format("python train.py && python -m pytest tests"),
    }


def test_a_ci_test_asserting_accuracy_of_the_loaded_trained_model_is_a_gate(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, _cnn_tree("    model.load_state_dict(torch.load('models/model.pth'))\n"))
    report = assess_repository(tmp_path)
    assert report.finding("no-evaluation-gate") is None


def test_the_same_assert_on_a_model_never_loaded_is_still_no_gate(tmp_path: Path) -> None:
    write_tree(tmp_path, _cnn_tree(""))  # an untrained Net: the assert tests nothing trained
    gate = assess_repository(tmp_path).finding("no-evaluation-gate")
    assert gate is not None and gate.lowers_level


# ------------------------------------------- 5. a Python file CI runs, read as Python ------
HDD_TEST = (
    '"""Model tests.\n\nUsage:\n    pytest src/tests/test_model.py -v\n"""\n'
    "import sys\nfrom sklearn.metrics import accuracy_score\n\nMIN_ACCURACY = 0.70\n\n\n"
    "def test_data():\n    return True\n\n\n"
    "def test_performance(model, X, y):\n    accuracy = accuracy_score(y, model.predict(X))\n"
    "    passed = True\n    if accuracy < MIN_ACCURACY:\n        print('FAIL')\n"
    "        passed = False\n    return passed\n\n\n"
    "def run_all():\n    return test_data()\n"
)


def _hdd_tree(test: str) -> dict[str, str]:
    return {
        "src/train.py": TRAIN_LR,
        "src/tests/test_model.py": test,
        "requirements.txt": "scikit-learn==1.4.2\n",
        "data/train.csv": "x,y\n1,0\n",
        ".github/workflows/ml.yml": WORKFLOW.format(
            "python src/tests/test_model.py && python src/train.py"
        ),
    }


TRAIN_LR = (
    "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\ndf = pd.read_csv('data/train.csv')\n"
    "m = LogisticRegression(random_state=0).fit(df[['x']], df['y'])\n"
    "print(accuracy_score(df['y'], m.predict(df[['x']])))\n"
)


def test_a_docstring_usage_line_or_a_threshold_name_is_no_ci_gate(tmp_path: Path) -> None:
    main = "\n\nif __name__ == '__main__':\n    sys.exit(0 if run_all() else 1)\n"
    write_tree(tmp_path, _hdd_tree(HDD_TEST + main))
    report = assess_repository(tmp_path)
    gate = report.finding("no-evaluation-gate")
    assert gate is not None and gate.lowers_level
    assert report.finding("no-ci") is None  # the script's __main__ runs its tests


def test_a_docstring_naming_pytest_in_a_test_script_without_a_main_block_runs_no_tests(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, _hdd_tree(HDD_TEST))
    no_ci = assess_repository(tmp_path).finding("no-ci")
    assert no_ci is not None and "runs no tests" in no_ci.evidence[0].detail


def test_a_threshold_compared_and_acted_on_in_a_ci_script_is_still_a_gate(tmp_path: Path) -> None:
    acting = HDD_TEST.replace("        passed = False\n", "        sys.exit(1)\n")
    main = "\n\nif __name__ == '__main__':\n    sys.exit(0 if run_all() else 1)\n"
    write_tree(tmp_path, _hdd_tree(acting + main))
    assert assess_repository(tmp_path).finding("no-evaluation-gate") is None


# ------------------------------------------- 6. a label encoded in place -------------------
CHURN_TRAIN = (
    "import joblib\nimport pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.preprocessing import LabelEncoder\n\n"
    "df = pd.read_csv('data/churn.csv')\n"
    "df['Total'] = pd.to_numeric(df['Total'], errors='coerce')\n"
    "le = LabelEncoder()\ndf['{col}'] = le.fit_transform(df['{col}'])\n"
    "X = pd.get_dummies(df.drop('Churn', axis=1))\ny = df['Churn']\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42)\n"
    "model = RandomForestClassifier(random_state=42)\nmodel.fit(X_train, y_train)\n"
    "joblib.dump(model, 'model.pkl')\n"
)
CHURN_APP = (
    "import joblib\nimport pandas as pd\nimport streamlit as st\n\n"
    "model = joblib.load('model.pkl')\ntenure = st.slider('Tenure', 0, 72, 12)\n"
    "st.write(model.predict(pd.DataFrame([{'tenure': tenure}])))\n"
)


def _churn(tmp_path: Path, col: str) -> str | None:
    write_tree(tmp_path, {
        "train.py": CHURN_TRAIN.format(col=col), "app.py": CHURN_APP,
        "data/churn.csv": "Total,city,Churn\n1,a,Yes\n",
        "requirements.txt": "scikit-learn==1.4.2\nstreamlit==1.35.0\npandas==2.2.2\n",
    })  # fmt: skip
    skew = assess_repository(tmp_path).finding("training-serving-skew")
    return skew.severity if skew else None


def test_a_label_encoded_in_place_and_dropped_from_the_features_is_no_skew_proof(
    tmp_path: Path,
) -> None:
    assert _churn(tmp_path, "Churn") != "critical"


def test_a_feature_encoded_in_place_and_kept_is_still_a_skew_proof(tmp_path: Path) -> None:
    assert _churn(tmp_path, "city") == "critical"


def test_a_local_folder_named_like_a_declared_dependency_is_still_not_a_missing_module(
    tmp_path: Path,
) -> None:
    tree = _ci_trains({"src/models/__init__.py": "class Detector:\n    pass\n"})
    tree["train.py"] = "import azureml.mlflow  # noqa: F401\n" + FRAUD_TRAIN
    tree["azureml/registry.py"] = "X = 1\n"  # the project's helpers, named like the SDK
    tree["requirements.txt"] = "azureml-mlflow==1.57.0\nscikit-learn==1.4.2\n"
    write_tree(tmp_path, tree)
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is None or not any("not in the repository" in e.detail for e in bus.evidence)
