"""assess v3, eleventh round (issue 22, branch p11): rules from blind8's design half.

Every test fails on the engine before its rule (main at 468ce33), except the near misses named
``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import write_tree

# ---------------------------- 1. a model kept per CI run and deployed from it ----------------
TRAIN_PY = (
    "import os\nimport pickle\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.ensemble import RandomForestClassifier\n\n"
    "X, y = load_iris(return_X_y=True)\nmodel = RandomForestClassifier(random_state=0)\n"
    "model.fit(X, y)\nos.makedirs('model', exist_ok=True)\n"
    "with open('model/model.pkl', 'wb') as f:\n    pickle.dump(model, f)\n"
)
DEPLOY_PY = (
    "import pickle\nfrom flask import Flask, request, jsonify\n\napp = Flask(__name__)\n"
    "model = pickle.load(open('model/model.pkl', 'rb'))\n\n\n"
    "@app.route('/predict', methods=['POST'])\ndef predict():\n"
    "    data = request.get_json(force=True)\n"
    "    return jsonify({'prediction': int(model.predict([data['input']])[0])})\n"
)
GITLAB_CI = (
    "image: python:3.10\nstages: [train, deploy]\n"
    "train:\n  stage: train\n  script:\n    - python train.py\n"
    "  artifacts:\n    paths:\n      - model/\n"
    "deploy:\n  stage: deploy\n  script:\n"
    "    - zip -r release.zip deploy.py model/\n"
    "    - scp release.zip host:/srv/app/\n"
    "  environment:\n    name: production\n  only:\n    - main\n"
)
GITHUB_CI = (
    "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - run: python train.py\n"
    "      - uses: actions/upload-artifact@v4\n        with:\n          name: model\n"
    "          path: model/\n"
    "  deploy:\n    needs: train\n    runs-on: ubuntu-latest\n    environment: production\n"
    "    steps:\n      - uses: actions/download-artifact@v4\n        with:\n"
    "          name: model\n      - run: ./ship.sh\n"
)


def test_a_model_kept_as_a_ci_artifact_and_deployed_to_an_environment_has_a_way_back(
    tmp_path: Path,
) -> None:
    """Was: CRITICAL no-rollback (proof 4), Level 0 (blind8 muhammadhassaan-solves)."""
    write_tree(tmp_path, {"train.py": TRAIN_PY, "deploy.py": DEPLOY_PY,
                          ".gitlab-ci.yml": GITLAB_CI})  # fmt: skip
    report = assess_repository(tmp_path)
    assert report.finding("no-rollback") is None
    assert report.level == 1


def test_a_github_artifact_downloaded_by_an_environment_deploy_is_a_way_back(
    tmp_path: Path,
) -> None:
    """Was: CRITICAL no-rollback (the same rule, GitHub's artifact actions)."""
    write_tree(tmp_path, {"train.py": TRAIN_PY, "deploy.py": DEPLOY_PY,
                          ".github/workflows/ci.yml": GITHUB_CI})  # fmt: skip
    assert assess_repository(tmp_path).finding("no-rollback") is None


def test_an_artifact_no_environment_deploys_is_still_no_way_back(tmp_path: Path) -> None:
    ci = GITLAB_CI.replace("  environment:\n    name: production\n", "")
    write_tree(tmp_path, {"train.py": TRAIN_PY, "deploy.py": DEPLOY_PY, ".gitlab-ci.yml": ci})
    finding = assess_repository(tmp_path).finding("no-rollback")
    assert finding is not None and finding.severity == "critical"


def test_a_deploy_that_ships_no_kept_model_is_still_no_way_back(tmp_path: Path) -> None:
    ci = GITLAB_CI.replace("  artifacts:\n    paths:\n      - model/\n",
                           "  artifacts:\n    paths:\n      - reports/\n")  # fmt: skip
    write_tree(tmp_path, {"train.py": TRAIN_PY, "deploy.py": DEPLOY_PY, ".gitlab-ci.yml": ci})
    assert assess_repository(tmp_path).finding("no-rollback") is not None


# ---------------------------- 2. Databricks jobs declared in Terraform ----------------------
TRAIN_NOTEBOOK = (
    "# Databricks notebook source\nimport mlflow\nimport lightgbm as lgb\n\n"
    "data = spark.read.format('delta').load('/databricks-datasets/nyctaxi/subsampled')\n"
    "model = lgb.train({'objective': 'regression'}, lgb.Dataset(X, y), 100)\n"
    "mlflow.lightgbm.log_model(model, 'model', registered_model_name='taxi')\n"
)
TRAINING_JOB_TF = (
    'resource "databricks_job" "model_training_job" {\n  name = "training"\n'
    '  task {\n    task_key = "Train"\n    notebook_task {\n'
    '      notebook_path = "{path}"\n    }\n  }\n'
    '  git_source {\n    url = var.git_repo_url\n    provider = "gitHub"\n'
    '    branch = "main"\n  }\n}\n'
)


def _databricks(root: Path, path: str) -> None:
    write_tree(root, {
        "project/training/notebooks/Train.py": TRAIN_NOTEBOOK,
        "project/terraform/staging/training-job.tf": TRAINING_JOB_TF.replace("{path}", path),
    })  # fmt: skip


def test_a_terraform_databricks_job_running_a_training_notebook_is_a_pipeline(
    tmp_path: Path,
) -> None:
    """Was: bus-factor "training in a script, outside any pipeline", Level 0 (blind8
    srijitcn/srijit_mlops_stack_demo). Databricks names the notebook without ``.py``."""
    _databricks(tmp_path, "project/training/notebooks/Train")
    assert assess_repository(tmp_path).finding("bus-factor") is None


def test_a_terraform_job_running_a_workspace_notebook_still_declares_nothing_here(
    tmp_path: Path,
) -> None:
    _databricks(tmp_path, "/Users/someone@example.com/Train")
    assert assess_repository(tmp_path).finding("bus-factor") is not None


def test_a_commented_out_terraform_job_still_declares_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "project/training/notebooks/Train.py": TRAIN_NOTEBOOK,
        "project/terraform/job.tf": "".join(
            "# " + line + "\n"
            for line in TRAINING_JOB_TF.replace("{path}", "project/training/notebooks/Train")
            .splitlines()
        ),
    })  # fmt: skip
    assert assess_repository(tmp_path).finding("bus-factor") is not None


# ---------------------------- 3. Jenkins pipelines under any name ---------------------------
MODEL_FUNC = (
    "import pickle\nfrom sklearn.linear_model import SGDRegressor\n"
    "from sklearn.metrics import r2_score\n\n\n"
    "def train(X, y):\n    return SGDRegressor(random_state=42).fit(X, y)\n\n\n"
    "def model_load(path):\n    return pickle.load(open(path, 'rb'))\n"
)
TRAIN_SCRIPT = (
    "import pickle\nimport pandas as pd\nfrom model_func import train\n\n"
    "df = pd.read_csv('model/data/train.csv')\n"
    "model = train(df[['x']], df['y'])\npickle.dump(model, open('model/model.pkl', 'wb'))\n"
)
EVALUATE = (
    "import pandas as pd\nfrom sklearn.metrics import r2_score\n"
    "from model_func import model_load\n\n\n"
    "def test_performance():\n    model = model_load('model/model.pkl')\n"
    "    df = pd.read_csv('model/data/test.csv')\n"
    "    r2 = r2_score(df['y'], model.predict(df[['x']]))\n    assert r2 > 0.5\n"
)
JENKINS_TRAIN = (
    "pipeline {\n  agent any\n  stages {\n"
    "    stage('Retraining model') {\n      steps {\n        sh 'python train.py'\n      }\n    }\n"
    "    stage('Evaluate performance') {\n      steps {\n"
    "        sh 'python -m pytest evaluate.py'\n      }\n    }\n  }\n}\n"
)


def _jenkins(root: Path, name: str, body: str) -> None:
    write_tree(root, {
        "model_func.py": MODEL_FUNC, "train.py": TRAIN_SCRIPT, "evaluate.py": EVALUATE,
        "model/data/train.csv": "x,y\n1,2\n", "model/data/test.csv": "x,y\n3,6\n",
        "tests/test_func.py": "def test_one():\n    assert 1 + 1 == 2\n",
        "Jenkinsfile": "pipeline {\n  agent any\n  stages {\n    stage('Test') {\n"
                       "      steps {\n        sh 'pytest tests'\n      }\n    }\n  }\n}\n",
        name: body,
    })  # fmt: skip


def test_a_jenkins_pipeline_named_jenkinsfile_train_is_ci(tmp_path: Path) -> None:
    """Was: bus-factor (training outside any pipeline) and no-ci-training: `Jenkinsfile_train`
    was not read as CI (blind8 veereshju/mlops_project)."""
    _jenkins(tmp_path, "Jenkinsfile_train", JENKINS_TRAIN)
    report = assess_repository(tmp_path)
    assert report.finding("bus-factor") is None
    assert report.finding("no-ci-training") is None


def test_a_jenkins_pipeline_under_a_dotted_name_is_ci(tmp_path: Path) -> None:
    """Was: not read at all (`.train` is no text suffix)."""
    _jenkins(tmp_path, "ci/Jenkinsfile.train", JENKINS_TRAIN)
    assert assess_repository(tmp_path).finding("no-ci-training") is None


def test_a_file_named_like_jenkins_without_a_pipeline_is_still_not_ci(tmp_path: Path) -> None:
    _jenkins(tmp_path, "Jenkinsfile_notes", "Remember: sh 'python train.py' then pytest.\n")
    assert assess_repository(tmp_path).finding("no-ci-training") is not None
