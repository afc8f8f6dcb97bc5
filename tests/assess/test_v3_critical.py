"""CRITICAL only on a structural proof (issue 22, eighth round): one CRITICAL tree per proof,
and near misses that stay reported at HIGH. The near misses marked "was critical" fail on
the engine before this round (main at bbdb8be)."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.envfiles import Requirement
from catdetector.assess.environment import pins_differ
from catdetector.assess.model import Finding
from tests.assess.builders import FAKE_AWS_KEY_ID, Files, fake_h5, notebook, write_tree

SERVE = (
    "import joblib\nimport pandas as pd\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    "model = joblib.load('models/model.pkl')\n\n\n@app.post('/predict')\n"
    "def predict(row: dict) -> dict:\n    X = pd.DataFrame([row])\n"
    "    return {'y': int(model.predict(X)[0])}\n"
)
TRAIN = (
    "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "df = pd.read_csv('data/rows.csv')\n"
    "model = LogisticRegression(random_state=0).fit(df.drop(columns=['y']), df['y'])\n"
    "joblib.dump(model, 'models/model.pkl')\n"
)


def _finding(root: Path, files: Files, check_id: str) -> Finding | None:
    write_tree(root, files)
    return assess_repository(root).finding(check_id)


def _high_and_lowering(found: Finding | None) -> bool:
    """Found, at HIGH, and still lowering the level (the near misses of every proof)."""
    return found is not None and found.severity == "high" and found.lowers_level


def _proof(found: Finding | None) -> str:
    """The proof the first evidence of a CRITICAL finding names ("" when none)."""
    assert found is not None
    return found.evidence[0].proof or ""


# ------------------------------------------------ 1. training-serving skew ----------------
def _envs(train: str, serve: str) -> Files:
    return {
        "train.py": TRAIN,
        "app.py": SERVE,
        "requirements-train.txt": train,
        "requirements-serve.txt": serve,
    }


def test_serving_and_training_pinning_different_sklearn_is_critical_proof_1a(
    tmp_path: Path,
) -> None:
    files = _envs("scikit-learn==1.3.0\npandas==2.2.0\n", "scikit-learn==1.4.2\npandas==2.2.0\n")
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1a") and "scikit-learn" in _proof(found)


def test_an_image_that_serves_the_model_pinning_another_numpy_is_critical_proof_1a(
    tmp_path: Path,
) -> None:
    files: Files = {
        "train.py": TRAIN,
        "app.py": SERVE,
        "requirements-train.txt": "numpy==1.26.4\nscikit-learn==1.4.2\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY app.py .\n"
        "RUN pip install numpy==1.24.0 scikit-learn==1.4.2 fastapi==0.110.0\n"
        'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n',
    }
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1a") and "numpy" in _proof(found)


def _image(cmd: str) -> Files:
    return {
        "train.py": TRAIN,
        "api/main.py": SERVE,
        "requirements-train.txt": "scikit-learn==1.3.0\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY api api\n"
        f"RUN pip install scikit-learn==1.4.2 fastapi==0.110.0 gunicorn==21.2.0\n{cmd}",
    }


def test_an_image_is_tied_to_serving_by_the_module_its_server_runs(tmp_path: Path) -> None:
    cmd = 'CMD ["gunicorn", "-b", "0.0.0.0:8000", "api.main:app"]\n'
    found = _finding(tmp_path, _image(cmd), "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1a")


def test_an_image_whose_command_is_unknown_is_no_proof(tmp_path: Path) -> None:
    """was critical: nothing ties the image to the code that serves the model."""
    found = _finding(tmp_path, _image(""), "training-serving-skew")
    assert found is not None and found.severity == "high"


def test_two_pins_differ_only_when_no_version_satisfies_both() -> None:
    def differ(name: str, train: str, serve: str) -> bool:
        return pins_differ(name, Requirement(name, train, 1), Requirement(name, serve, 1))

    assert differ("numpy", "==1.21.6", "==1.19.5")
    assert differ("numpy", "=1.2", "==1.3.0")  # conda's =1.2 is 1.2.*
    assert not differ("numpy", "==1.2", "==1.2.0")
    assert not differ("numpy", "=1.2", "==1.2.3")
    assert not differ("numpy", ">=1.2", "==1.3")  # one side floats: may differ, no proof
    assert not differ("flask", "==2.0.3", "==3.0.0")  # changes no prediction


def test_training_floating_against_serving_pinned_is_high(tmp_path: Path) -> None:
    """was critical (the course's Bob-and-Alice case without two pins: "may differ")."""
    files = _envs("scikit-learn\npandas==2.2.0\n", "scikit-learn==1.4.2\npandas==2.2.0\n")
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "high"
    assert "may differ" in found.evidence[0].detail


def test_serving_floating_against_training_pinned_is_critical_proof_1a(tmp_path: Path) -> None:
    """The issue's own example: the serving side installs something other than training's
    pin of a package that changes predictions (was HIGH in the first cut of the eighth round)."""
    files = _envs("scikit-learn==1.4.2\npandas==2.2.0\n", "scikit-learn>=1.3\npandas==2.2.0\n")
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert "serving installs something other than training's lock" in _proof(found)
    assert "scikit-learn" in _proof(found)


def test_serving_floating_a_web_framework_training_pins_is_high(tmp_path: Path) -> None:
    files = _envs("flask==2.0.3\nscikit-learn==1.4.2\n", "flask\nscikit-learn==1.4.2\n")
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "high"


def test_different_flask_pins_are_high(tmp_path: Path) -> None:
    """was critical: a web framework does not change a prediction."""
    files = _envs("flask==2.0.3\nscikit-learn==1.4.2\n", "flask==3.0.0\nscikit-learn==1.4.2\n")
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "high"


def test_a_data_updater_image_is_not_the_serving_side(tmp_path: Path) -> None:
    """was critical: the image runs a script that predicts nothing."""
    files: Files = {
        "train.py": TRAIN,
        "app.py": SERVE,
        "update_data.py": "import pandas as pd\npd.read_csv('http://x/rows.csv').to_csv('d.csv')\n",
        "requirements.txt": "numpy==1.26.4\nscikit-learn==1.4.2\nfastapi==0.110.0\n",
        "Dockerfile": "FROM python:3.11-slim\nRUN pip install numpy==1.20.0 pandas==2.0.0\n"
        'CMD ["python", "update_data.py"]\n',
    }
    assert _finding(tmp_path, files, "training-serving-skew") is None


def test_a_tracking_server_image_is_still_not_the_serving_side(tmp_path: Path) -> None:
    files: Files = {
        "train.py": TRAIN,
        "app.py": SERVE,
        "requirements.txt": "numpy==1.26.4\nscikit-learn==1.4.2\nfastapi==0.110.0\n",
        "Dockerfile": "FROM python:3.11-slim\nRUN pip install mlflow==2.9.0 numpy==1.20.0\n"
        'CMD ["mlflow", "server", "--host", "0.0.0.0"]\n',
    }
    assert _finding(tmp_path, files, "training-serving-skew") is None


PREP_DEF = "\n\ndef preprocess(df):\n    return df.fillna(0).astype(float)\n"


def test_a_preprocessing_function_defined_in_training_and_serving_is_critical_proof_1b(
    tmp_path: Path,
) -> None:
    files: Files = {
        "requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n",
        "train.py": TRAIN + PREP_DEF,
        "app.py": SERVE + PREP_DEF,
    }
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1b")


def test_a_transform_method_on_both_sides_is_no_proof(tmp_path: Path) -> None:
    """was critical: every scikit-learn transformer has a ``transform`` method."""
    method = "\n\nclass Cleaner:\n    def transform(self, X):\n        return X\n"
    files: Files = {
        "requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n",
        "train.py": TRAIN + method,
        "app.py": SERVE + method.replace("return X", "return X.fillna(0)"),
    }
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is None or found.severity == "high"


def test_a_shared_astype_line_is_high(tmp_path: Path) -> None:
    """was critical: a copied statement is no function written twice."""
    line = "X = X.astype(str)\n"
    files: Files = {
        "requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n",
        "train.py": TRAIN.replace("df = pd", "X = df\n" + line + "df = pd"),
        "app.py": SERVE.replace("    return {", "    " + line + "    return {"),
    }
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "high"
    assert "copied" in found.evidence[0].detail


def test_a_fitted_scaler_serving_never_applies_is_critical_proof_1c(tmp_path: Path) -> None:
    train = TRAIN.replace(
        "model = LogisticRegression",
        "from sklearn.preprocessing import StandardScaler\nscaler = StandardScaler()\n"
        "Xs = scaler.fit_transform(df.drop(columns=['y']))\nmodel = LogisticRegression",
    ).replace("fit(df.drop(columns=['y']), df['y'])", "fit(Xs, df['y'])")
    files: Files = {
        "requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n",
        "train.py": train,
        "app.py": SERVE,
    }
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1c")


# ------------------------------------------------ 2. secrets ------------------------------
def test_an_aws_key_in_production_code_is_critical_proof_2(tmp_path: Path) -> None:
    files: Files = {"train.py": TRAIN, "config.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY_ID}"\n'}
    found = _finding(tmp_path, files, "secrets-committed")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 2: a credential by its format")


def test_a_random_hex_flask_secret_key_is_critical_proof_2(tmp_path: Path) -> None:
    key = "9f3b2c7d1e8a4f60b5c2d9e7a1f3c8b4"
    files: Files = {
        "train.py": TRAIN,
        "app.py": SERVE + f"\napp.config['SECRET_KEY'] = '{key}'\n",
    }
    found = _finding(tmp_path, files, "secrets-committed")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 2: a high-entropy value")


def test_a_low_entropy_password_in_production_code_is_high(tmp_path: Path) -> None:
    """was critical: a word assigned to a password is a keyword match, not a key's format."""
    files: Files = {"train.py": TRAIN, "settings.py": 'DB_PASSWORD = "sunshine42"\n'}
    found = _finding(tmp_path, files, "secrets-committed")
    assert found is not None and found.severity == "high"
    assert "a password is committed: change it and read it from the environment" in (
        found.evidence[0].detail
    )


def test_a_connection_string_whose_password_is_a_word_is_high(tmp_path: Path) -> None:
    """was critical."""
    files: Files = {
        "train.py": TRAIN,
        "settings.py": 'DATABASE_URL = "postgresql://app:sunshine42@db.internal:5432/prod"\n',
    }
    found = _finding(tmp_path, files, "secrets-committed")
    assert found is not None and found.severity == "high"


def test_a_password_in_a_test_file_is_still_low(tmp_path: Path) -> None:
    files: Files = {"train.py": TRAIN, "tests/test_db.py": 'PASSWORD = "sunshine42"\n'}
    found = _finding(tmp_path, files, "secrets-committed")
    assert found is not None and found.severity == "low"


# ------------------------------------------------ 3. bus factor ---------------------------
NB_TRAIN = notebook(
    "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
    "df = pd.read_csv('data/rows.csv')\n"
    "model = LogisticRegression().fit(df.drop(columns=['y']), df['y'])",
    "joblib.dump(model, 'models/model.pkl')",
)
REQS = {"requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n"}


def test_a_served_model_made_only_by_a_notebook_is_critical_proof_3(tmp_path: Path) -> None:
    files: Files = {**REQS, "notebooks/train.ipynb": NB_TRAIN, "app.py": SERVE}
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 3") and "notebooks" in _proof(found)


def test_a_served_model_made_by_a_script_reading_a_home_path_is_critical_proof_3(
    tmp_path: Path,
) -> None:
    train = TRAIN.replace("'data/rows.csv'", "'/home/bob/data/rows.csv'")
    files: Files = {**REQS, "train.py": train, "app.py": SERVE}
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "critical"
    assert "one machine" in _proof(found)


def test_a_platform_path_is_no_one_machines_home_or_drive(tmp_path: Path) -> None:
    """was critical: a Kaggle kernel's input folder is the platform's, not one person's."""
    train = TRAIN.replace("'data/rows.csv'", "'/kaggle/input/rows/rows.csv'")
    files: Files = {**REQS, "train.py": train, "app.py": SERVE}
    found = _finding(tmp_path, files, "bus-factor")
    assert _high_and_lowering(found)


def test_a_notebook_whose_model_nothing_serves_or_ships_is_high(tmp_path: Path) -> None:
    """was critical (training only in notebooks)."""
    files: Files = {**REQS, "notebooks/train.ipynb": NB_TRAIN}
    found = _finding(tmp_path, files, "bus-factor")
    assert _high_and_lowering(found)


def test_a_committed_model_a_script_outside_a_pipeline_makes_is_high(tmp_path: Path) -> None:
    """was critical (a model file in the tree that no pipeline made)."""
    files: Files = {**REQS, "train.py": TRAIN, "app.py": SERVE, "models/model.pkl": fake_h5()}
    found = _finding(tmp_path, files, "bus-factor")
    assert _high_and_lowering(found)


def test_a_notebook_made_model_a_pipeline_also_makes_is_no_critical(tmp_path: Path) -> None:
    files: Files = {
        **REQS,
        "notebooks/train.ipynb": NB_TRAIN,
        "train.py": TRAIN,
        "app.py": SERVE,
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - train.py\n"
        "    outs:\n      - models/model.pkl\n",
    }
    found = _finding(tmp_path, files, "bus-factor")
    assert found is None or found.severity != "critical"


# ------------------------------------------------ 4. no rollback --------------------------
def test_serving_a_fixed_path_training_overwrites_is_critical_proof_4(tmp_path: Path) -> None:
    files: Files = {**REQS, "train.py": TRAIN, "app.py": SERVE}
    found = _finding(tmp_path, files, "no-rollback")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 4") and "model.pkl" in _proof(found)


def test_serving_a_fixed_path_no_training_here_writes_is_high(tmp_path: Path) -> None:
    """was critical: nothing here overwrites the served file."""
    train = TRAIN.replace("models/model.pkl", "out/candidate.pkl")
    files: Files = {**REQS, "train.py": train, "app.py": SERVE}
    found = _finding(tmp_path, files, "no-rollback")
    assert _high_and_lowering(found)


def test_a_fixed_path_save_nothing_serves_is_still_high(tmp_path: Path) -> None:
    files: Files = {**REQS, "train.py": TRAIN}
    found = _finding(tmp_path, files, "no-rollback")
    assert found is not None and found.severity == "high"


def test_a_dvc_output_has_a_way_back(tmp_path: Path) -> None:
    files: Files = {
        **REQS,
        "train.py": TRAIN,
        "app.py": SERVE,
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - train.py\n"
        "    outs:\n      - models/model.pkl\n",
    }
    found = _finding(tmp_path, files, "no-rollback")
    assert found is None or found.severity != "critical"


def test_serving_evidence_never_cites_a_line_that_writes_the_model(tmp_path: Path) -> None:
    """An app that retrains and saves its model (`open(..., "wb")`) and then loads it: the
    "serves the model from a fixed path" evidence is the load, not the write."""
    app = (
        "import pickle\nfrom fastapi import FastAPI\nfrom sklearn.linear_model import "
        "LogisticRegression\n\napp = FastAPI()\n\n\n@app.post('/retrain')\ndef retrain() -> None:\n"
        "    model = LogisticRegression().fit([[0], [1]], [0, 1])\n"
        "    with open('model.pkl', 'wb') as f:\n        pickle.dump(model, f)\n\n\n"
        "@app.post('/predict')\ndef predict(x: float) -> int:\n"
        "    model = pickle.load(open('model.pkl', 'rb'))\n"
        "    return int(model.predict([[x]])[0])\n"
    )
    found = _finding(tmp_path, {**REQS, "app.py": app}, "no-rollback")
    assert found is not None
    served = [e for e in found.evidence if "serves the model" in e.detail]
    assert served and all("'wb'" not in e.detail for e in served)
