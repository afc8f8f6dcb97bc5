"""assess v3, sixth round (issue 22, branch f4b): risk rules by structure (bus factor, ways
back, skew through fitted transformers, DVC data with no remote, secret values that are names).
Every test fails on the engine before its fix (main at a287533), except the counter-checks
named ``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import Files, fake_h5, write_tree

FLASK_SERVE = (
    "import joblib\nfrom flask import Flask, request, jsonify\napp = Flask(__name__)\n"
    "model = joblib.load('{path}')\n\n\n@app.route('/predict', methods=['POST'])\n"
    "def predict():\n    return jsonify(model.predict([request.json['x']]).tolist())\n"
)


# ------------------------------------------- 1. nothing to rebuild --------------------------
INFERENCE_FLOW = (
    "import torch\nfrom metaflow import FlowSpec, step\n"
    "from diffusers import AutoPipelineForText2Image\n\n\n"
    "class TextToImage(FlowSpec):\n    @step\n    def start(self):\n"
    "        pipe = AutoPipelineForText2Image.from_pretrained('stabilityai/sdxl-turbo')\n"
    "        self.images = pipe(prompt='a cat').images\n        self.next(self.end)\n\n"
    "    @step\n    def end(self):\n        pass\n\n\n"
    "if __name__ == '__main__':\n    TextToImage()\n"
)


def test_an_inference_pipeline_with_nothing_trained_has_no_bus_factor_evidence(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"flow.py": INFERENCE_FLOW, "requirements.txt": "metaflow==2.12.0\n"})
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is not None and bus.not_recognised and not bus.lowers_level
    assert bus.severity == "low" and "nothing here trains" in bus.evidence[0].detail
    assert "from_pretrained" in bus.evidence[0].detail and bus.evidence[0].file == "flow.py"


def test_a_hub_download_with_no_pipeline_and_no_serving_has_no_bus_factor_evidence(
    tmp_path: Path,
) -> None:
    script = (
        "from transformers import AutoModel\n"
        "model = AutoModel.from_pretrained('org/sentiment')\nprint(model)\n"
    )
    write_tree(tmp_path, {"classify.py": script})
    report = assess_repository(tmp_path)
    bus = report.finding("bus-factor")
    assert report.level is not None and bus is not None
    assert bus.not_recognised and not bus.lowers_level and bus.evidence[0].line == 2


def test_a_served_committed_model_with_no_training_code_still_lowers_critically(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"app.py": FLASK_SERVE.format(path="model.h5"), "model.h5": fake_h5()})
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is not None and bus.lowers_level and bus.severity == "critical"


def test_an_mlproject_running_a_missing_script_still_lowers_with_nothing_trained(
    tmp_path: Path,
) -> None:
    mlproject = "name: p\nentry_points:\n  main:\n    command: python main.py\n"
    fetch = "import pandas as pd\npd.read_json('https://api.example.com/x').to_csv('d.csv')\n"
    write_tree(tmp_path, {"MLproject": mlproject, "src/get_data.py": fetch})
    report = assess_repository(tmp_path)
    bus = report.finding("bus-factor")
    if report.level is not None:
        assert bus is not None and bus.lowers_level


# ------------------------------------------- 2. ways back, by structure ---------------------
RUN_DIR_HELPER = (
    "from datetime import datetime\nfrom pathlib import Path\n\n\n"
    "def create_run_dir(base: Path) -> Path:\n"
    "    ts = datetime.now().strftime('%Y%m%d-%H%M%S')\n    run_dir = base / ts\n"
    "    run_dir.mkdir(parents=True)\n    return run_dir\n"
)
RUN_DIR_TRAIN = (
    "import joblib\nfrom pathlib import Path\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\nfrom utils import create_run_dir\n"
    "X, y = load_iris(return_X_y=True)\nmodel = LogisticRegression().fit(X, y)\n"
    "run_dir = create_run_dir(Path('artifacts'))\n{extra}"
    "joblib.dump(model, run_dir / 'model.joblib')\n"
)


def _rollback(root: Path, files: Files) -> list[str]:
    write_tree(root, files)
    found = assess_repository(root).finding("no-rollback")
    return [e.detail for e in found.evidence] if found else []


def test_a_save_into_a_timestamped_run_folder_keeps_versions(tmp_path: Path) -> None:
    files: Files = {"utils.py": RUN_DIR_HELPER, "train.py": RUN_DIR_TRAIN.format(extra="")}
    assert not any("no version to go back to" in d for d in _rollback(tmp_path, files))


def test_a_save_into_a_uuid_or_run_id_folder_keeps_versions(tmp_path: Path) -> None:
    train = (
        "import os\nimport uuid\nimport torch\nfrom torch import nn\n"
        "model = nn.Linear(2, 1)\nmodel.train()\nopt = torch.optim.SGD(model.parameters(), 0.1)\n"
        "tag = uuid.uuid4().hex\n"
        "torch.save(model.state_dict(), f'models/{tag}/model.pt')\n"
        "torch.save(model.state_dict(), os.path.join('ckpt', os.environ['GITHUB_SHA'], 'm.pt'))\n"
    )
    assert not any("no version" in d for d in _rollback(tmp_path, {"train.py": train}))


def test_a_run_folder_the_pipeline_removes_still_has_no_way_back(tmp_path: Path) -> None:
    extra = "import shutil\nshutil.rmtree('artifacts', ignore_errors=True)\n"
    files: Files = {"utils.py": RUN_DIR_HELPER, "train.py": RUN_DIR_TRAIN.format(extra=extra)}
    assert any("no version to go back to" in d for d in _rollback(tmp_path, files))


def test_a_save_to_a_fixed_name_still_has_no_way_back(tmp_path: Path) -> None:
    train = RUN_DIR_TRAIN.format(extra="").replace(
        "run_dir = create_run_dir(Path('artifacts'))\n", "run_dir = Path('artifacts')\n"
    )
    assert any("no version to go back to" in d for d in _rollback(tmp_path, {"train.py": train}))


BENTO_DAG = (
    "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n"
    "with DAG('rec') as dag:\n    clean = BashOperator(task_id='clean', bash_command='''\n"
    "        bentoml delete rec_bento --yes; bentoml models delete {model} --yes\n    ''')\n"
    "    train = BashOperator(task_id='train', bash_command='python train.py')\n"
    "    serve = BashOperator(task_id='serve', bash_command='bentoml serve service:svc')\n"
    "    clean >> train >> serve\n"
)
BENTO_TRAIN = (
    "import bentoml\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\nX, y = load_iris(return_X_y=True)\n"
    "model = LogisticRegression(random_state=0).fit(X, y)\n"
    "bentoml.sklearn.save_model('rec_model', model)\n"
)
BENTO_SERVICE = (
    "import bentoml\nrunner = bentoml.sklearn.get('rec_model:latest').to_runner()\n"
    "svc = bentoml.Service('rec', runners=[runner])\n\n\n@svc.api(input=bentoml.io.JSON(), "
    "output=bentoml.io.JSON())\ndef predict(x):\n    return runner.predict.run([x['v']]).tolist()\n"
)


def _bento(model: str) -> Files:
    return {
        "dags/rec.py": BENTO_DAG.format(model=model),
        "train.py": BENTO_TRAIN,
        "service.py": BENTO_SERVICE,
    }


def test_a_model_store_the_pipeline_empties_before_each_run_is_no_way_back(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, _bento("rec_model"))
    back = assess_repository(tmp_path).finding("no-rollback")
    assert back is not None and back.lowers_level and back.severity == "critical"  # proof 4
    assert back.evidence[0].file == "dags/rec.py" and "deletes" in back.evidence[0].detail


def test_deleting_one_old_version_from_the_store_still_keeps_a_way_back(tmp_path: Path) -> None:
    write_tree(tmp_path, _bento("rec_model:2024_old"))
    assert assess_repository(tmp_path).finding("no-rollback") is None


# ------------------------------------------- 4. DVC data with no remote ---------------------
DVC_FILE = "outs:\n- md5: 3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b.dir\n  path: data\n"
DVC_TRAIN = (
    "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "df = pd.read_csv('data/train.csv')\n"
    "model = LogisticRegression(random_state=0).fit(df[['a']], df['y'])\n"
)
REMOTE = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/project\n"


def _dvc_repo(config: str, extra: Files | None = None) -> Files:
    return {
        ".dvc/config": config,
        "data.dvc": DVC_FILE,
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [data, train.py]\n"
        "    outs: [model.pkl]\n",
        "train.py": DVC_TRAIN,
        **(extra or {}),
    }


def test_dvc_files_with_no_remote_anywhere_are_a_medium_risk_that_does_not_lower(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, _dvc_repo(""))
    report = assess_repository(tmp_path)
    found = report.finding("dvc-no-remote")
    assert found is not None and found.severity == "medium" and not found.lowers_level
    assert found.evidence[0].file == "data.dvc" and "no DVC remote" in found.evidence[0].detail
    assert report.finding("no-data-versioning") is None  # the data is versioned by hash


def test_a_remote_in_the_committed_dvc_config_still_shares_the_data(tmp_path: Path) -> None:
    write_tree(tmp_path, _dvc_repo(REMOTE))
    assert assess_repository(tmp_path).finding("dvc-no-remote") is None


def test_a_remote_ci_adds_still_shares_the_data(tmp_path: Path) -> None:
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: dvc remote add -d storage s3://bucket/p && dvc pull\n"
    )
    write_tree(tmp_path, _dvc_repo("", {".github/workflows/ci.yml": ci}))
    assert assess_repository(tmp_path).finding("dvc-no-remote") is None


# ------------------------------------------- 5. a value that is a name: one rule ------------
def test_one_rule_says_whether_a_secret_value_is_a_name_and_which_kind() -> None:
    from catdetector.assess import secretkinds

    kinds = {v: secretkinds.value_name(v) for v in (
        "SECRET_KEY", "DB_PASSWORD_2", "database_password", "accessKeyId", "hunter2",
        "Hunter2Hunter2x", "correcthorse", "AKIA_X7F2K9Q1Z3M8W4R6T0YBV5",
    )}  # fmt: skip
    assert kinds == {
        "SECRET_KEY": "variable",
        "DB_PASSWORD_2": "variable",
        "database_password": "identifier",
        "accessKeyId": "identifier",
        "hunter2": None,
        "Hunter2Hunter2x": None,
        "correcthorse": None,
        "AKIA_X7F2K9Q1Z3M8W4R6T0YBV5": None,  # random-looking: stays a value
    }
    line = 'password = "SECRET_KEY"'
    assert secretkinds.not_a_value("SECRET_KEY", line, len(line), True)
    assert secretkinds.low_reason("cfg.yaml", "cred", "accessKeyId", set()) == (
        secretkinds.NAME_VALUE
    )


# ------------------------------------------- 3. skew through a fitted transformer -----------
PREP = (
    "import joblib\nimport pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
    "from sklearn.preprocessing import StandardScaler\n\n\ndef prepare():\n"
    "    df = pd.read_csv('data/churn.csv')\n    X, y = df.drop(columns=['y']), df['y']\n"
    "    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
    "    scaler = StandardScaler()\n    X_train_s = scaler.fit_transform(X_train)\n"
    "    X_test_s = scaler.transform(X_test)\n    joblib.dump(scaler, 'models/scaler.joblib')\n"
    "    return X_train_s, X_test_s, y_train, y_test\n"
)
FIT = (
    "import joblib\nfrom sklearn.linear_model import LogisticRegression\nfrom prep import prepare\n"
    "X_train, X_test, y_train, y_test = prepare()\n"
    "model = LogisticRegression(random_state=0).fit(X_train, y_train)\n"
    "joblib.dump(model, 'models/churn_model.joblib')\n"
)
SERVE = (
    "import joblib\nimport pandas as pd\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    "model = joblib.load('models/churn_model.joblib')\n{extra}\n\n@app.post('/predict')\n"
    "def predict(row: dict) -> dict:\n    X = pd.DataFrame([row])\n{apply}"
    "    return {{'churn': int(model.predict(X)[0])}}\n"
)


def _skew(root: Path, files: Files) -> list[str]:
    write_tree(root, {"requirements.txt": "scikit-learn==1.5.0\nfastapi==0.115.0\n", **files})
    found = assess_repository(root).finding("training-serving-skew")
    return [f"{e.file}:{e.line} {e.detail}" for e in found.evidence] if found else []


def test_a_scaler_the_model_needs_but_serving_never_applies_is_critical_skew(
    tmp_path: Path,
) -> None:
    files: Files = {"prep.py": PREP, "train.py": FIT, "serve.py": SERVE.format(extra="", apply="")}
    write_tree(tmp_path, files)
    assert any(
        e.startswith("train.py:5") and "fitted StandardScaler" in e for e in _skew(tmp_path, files)
    )
    found = assess_repository(tmp_path).finding("training-serving-skew")
    assert found is not None and found.severity == "critical" and not found.lowers_level
    assert "Pipeline" in found.fix and "load and apply it in serving" in found.fix


def test_serving_that_loads_and_applies_the_scaler_still_has_no_skew(tmp_path: Path) -> None:
    serve = SERVE.format(
        extra="scaler = joblib.load('models/scaler.joblib')",
        apply="    X = scaler.transform(X)\n",
    )
    assert _skew(tmp_path, {"prep.py": PREP, "train.py": FIT, "serve.py": serve}) == []


def test_a_pipeline_holding_scaler_and_model_still_has_no_skew(tmp_path: Path) -> None:
    fit = (
        "import joblib\nimport pandas as pd\nfrom sklearn.pipeline import Pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\ndf = pd.read_csv('data/c.csv')\n"
        "pipe = Pipeline([('s', StandardScaler()), ('m', LogisticRegression(random_state=0))])\n"
        "pipe.fit(df.drop(columns=['y']), df['y'])\n"
        "joblib.dump(pipe, 'models/churn_model.joblib')\n"
    )
    serve = SERVE.format(extra="", apply="")
    assert _skew(tmp_path, {"train.py": fit, "serve.py": serve}) == []


def test_serving_another_model_still_is_no_evidence_of_this_skew(tmp_path: Path) -> None:
    serve = SERVE.format(extra="", apply="").replace("churn_model", "forecast_prophet")
    assert _skew(tmp_path, {"prep.py": PREP, "train.py": FIT, "serve.py": serve}) == []


def test_encoders_held_in_a_dict_that_serving_never_applies_are_skew(tmp_path: Path) -> None:
    fit = (
        "import joblib\nimport pandas as pd\nfrom sklearn.preprocessing import LabelEncoder\n"
        "from sklearn.ensemble import RandomForestClassifier\ndf = pd.read_csv('data/h.csv')\n"
        "encoders = {}\nfor col in ['area', 'kind']:\n    encoders[col] = LabelEncoder()\n"
        "    df[col] = encoders[col].fit_transform(df[col])\nX = df[['area', 'kind', 'size']]\n"
        "model = RandomForestClassifier(random_state=0)\nmodel.fit(X, df['price'])\n"
        "joblib.dump(model, 'models/churn_model.joblib')\n"
    )
    evidence = _skew(tmp_path, {"train.py": fit, "serve.py": SERVE.format(extra="", apply="")})
    assert any(e.startswith("train.py:12") and "LabelEncoder" in e for e in evidence)


def test_a_reference_into_a_secret_store_holds_no_secret(tmp_path: Path) -> None:
    task = (
        '{"secrets": [\n  {\n    "name": "DATABASE_URL",\n    "valueFrom": '
        '"arn:aws:secretsmanager:eu-west-1:123456789012:secret:ml-service/database-url"\n  }\n]}\n'
    )
    values = "api:\n  api_key: projects/acme/secrets/api-key/versions/latest\n"
    write_tree(
        tmp_path,
        {"deploy/task-definition.json": task, "deploy/values.yaml": values, "train.py": FIT},
    )
    assert assess_repository(tmp_path).finding("secrets-committed") is None


def test_a_password_beside_a_secret_store_reference_is_still_a_secret(tmp_path: Path) -> None:
    values = (
        "db:\n  url_from: arn:aws:secretsmanager:eu-west-1:123456789012:secret:db\n"
        "  password: Hunter2Hunter2x\n"
    )
    write_tree(tmp_path, {"deploy/values.yaml": values, "train.py": FIT})
    found = assess_repository(tmp_path).finding("secrets-committed")
    assert found is not None and found.severity == "high"  # a word: listed, no proof 2
    assert [e.line for e in found.evidence] == [3]


# ------------------------------------------- 6. skew only CRITICAL on a file that shows it --
SEEDED_TRAIN = (
    "import joblib\nfrom sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
    "joblib.dump(model, 'model.pkl')\n"
)


def test_no_environment_file_anywhere_is_a_high_skew_risk_not_a_critical_one(
    tmp_path: Path,
) -> None:
    """Nothing shows that serving differs from training when neither has an environment
    file: the risk stays reported (HIGH), no-lock-file names the unpinned installs."""
    write_tree(tmp_path, {"train.py": SEEDED_TRAIN, "app.py": FLASK_SERVE.format(path="model.pkl")})
    skew = assess_repository(tmp_path).finding("training-serving-skew")
    assert skew is not None and skew.severity == "high", skew
    assert skew.evidence[0].file is None and "no environment file" in skew.evidence[0].detail


def test_serving_frozen_against_training_that_floats_is_high_skew(
    tmp_path: Path,
) -> None:
    files: Files = {
        "train.py": SEEDED_TRAIN,
        "requirements-train.txt": "scikit-learn\njoblib\n",
        "app.py": FLASK_SERVE.format(path="model.pkl"),
        "Dockerfile": "FROM python:3.11-slim\nCOPY app.py model.pkl ./\n"
        "RUN pip install scikit-learn==1.3.2 joblib==1.3.2 flask==3.0.0\n"
        'CMD ["python", "app.py"]\n',
    }
    skew = assess_repository(write_tree(tmp_path, files)).finding("training-serving-skew")
    assert skew is not None and skew.severity == "high", skew  # one side floats: no proof 1a
