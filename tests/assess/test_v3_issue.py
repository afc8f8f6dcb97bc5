"""assess v3 (issue 22): the issue's defects that had no test of their own yet (the audit in
docs/assess-checks.md maps every bullet to its test). Each failed on the engine before v3."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import Files, check, git_init, write_tree

TRAIN = (
    "from sklearn.ensemble import RandomForestClassifier\n"
    "clf = RandomForestClassifier(random_state=0).fit(X, y)\n"
)
EVALUATE = "from sklearn.metrics import accuracy_score\nprint(accuracy_score(y, clf.predict(X)))\n"


def test_the_word_gate_in_a_comment_is_not_an_evaluation_gate(tmp_path: Path) -> None:
    files: Files = {
        "train.py": TRAIN,
        "evaluate.py": "# quality gate: to do, someday\n" + EVALUATE,
        "params.yaml": "train:\n  seed: 0  # the gate comes later\n",
    }
    assert check("no-evaluation-gate", tmp_path, files)


PYPROJECT = '[project]\nname = "m"\ndependencies = ["scikit-learn>=1.3", "fastapi"]\n'
MODEL_IMAGE = (
    "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    'CMD ["uvicorn", "serve:app"]\n'
)
TRACKING_IMAGE = 'FROM python:3.11\nRUN pip install mlflow psycopg2\nCMD ["mlflow", "server"]\n'


def test_uv_lock_and_a_pinned_file_the_model_image_installs_are_locks(tmp_path: Path) -> None:
    files: Files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "requirements.txt": "scikit-learn==1.5.2\nfastapi==0.115.0\n",
        "Dockerfile": MODEL_IMAGE,
        "mlflow/Dockerfile": TRACKING_IMAGE,  # a tool's server, not the model's environment
        "train.py": TRAIN,
        "serve.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    }
    assert check("no-lock-file", tmp_path, files) == []


def test_no_seeds_cites_the_model_fit_not_a_label_encoder(tmp_path: Path) -> None:
    code = (
        "from sklearn.preprocessing import LabelEncoder\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "le = LabelEncoder().fit(labels)\nclf = RandomForestClassifier().fit(X, y)\n"
    )
    evidence = check("no-seeds", tmp_path, {"train.py": code})
    assert [e.line for e in evidence] == [4], evidence


def test_a_model_committed_to_git_is_not_called_dvc_versioned(tmp_path: Path) -> None:
    write_tree(tmp_path, {"train.py": TRAIN + "import joblib\n", "model.pkl": b"\x80\x04N."})
    git_init(tmp_path)
    score = {item.id: item for item in assess_repository(tmp_path).score}
    assert "DVC" not in score["Infra 7"].evidence
    assert score["Infra 7"].evidence == "model files committed to git"


def test_an_mlflow_pyfunc_model_and_an_azure_scoring_script_are_serving_code(
    tmp_path: Path,
) -> None:
    pyfunc = (
        "import mlflow\nclass Model(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, x):\n        return self.m.predict(x)\n"
    )
    score_py = "import joblib\ndef init():\n    global m\n    m = joblib.load('m.pkl')\n"
    score_py += "def run(raw):\n    return m.predict(raw).tolist()\n"
    for name, files in {"pyfunc": {"model.py": pyfunc}, "azure": {"score.py": score_py}}.items():
        write_tree(tmp_path / name, {"train.py": TRAIN, **files})
        score = {item.id: item for item in assess_repository(tmp_path / name).score}
        assert "no serving" not in score["Monitor 3"].evidence, (name, score["Monitor 3"])
