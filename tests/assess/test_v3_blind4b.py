"""assess v3, rules from the spent blind4 (half b, branch g5b): general defects behind its
false CRITICALs. Every test fails on the engine before its fix (main at 6cb3979), except the
counter-checks named ``..._still_...``, which pass before and after and guard the rule from
going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.busfactor import ON_ONE_MACHINE
from tests.assess.builders import Files, check, git_init, severity, write_tree


# ------------------------- 1. a default credential in brackets is still a default ----------
def test_a_default_password_echoed_in_brackets_is_low(tmp_path: Path) -> None:
    script = (
        "airflow users create --username admin --role Admin --password admin\n"
        'Write-Host "Done: Admin user created (username: admin, password: admin)"\n'
    )
    write_tree(tmp_path, {"scripts/setup_airflow.ps1": script})
    assert severity(tmp_path, "secrets-committed") == "low"


def test_a_real_password_in_brackets_is_still_reported(tmp_path: Path) -> None:
    script = 'Write-Host "Connect with (user: ml, password: Tq8vRz2LmX)"\n'
    write_tree(tmp_path, {"scripts/setup_db.ps1": script})
    assert severity(tmp_path, "secrets-committed") == "high"  # not LOW; short: no proof 2


# ------------- 2. one machine's paths only where the pipeline's training reads them ---------
LIB = (
    "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
    "def fit_model(X, y):\n    return LogisticRegression().fit(X, y)\n\n\n"
    "if __name__ == '__main__':\n"
    "    X = pd.read_csv('/Users/akm/Desktop/project/X_train.csv')\n"
    "    fit_model(X, X.pop('y'))\n"
)
TRAIN_SCRIPT = (
    "import pandas as pd\nfrom src.model_lib import fit_model\n\n"
    "{read}\nfit_model(df, df.pop('y'))\n"
)


def _pipeline(script: str, runs: str = "src/train.py") -> Files:
    stage = f"stages:\n  train:\n    cmd: python {runs}\n    deps: [data/train.csv]\n"
    return {
        "dvc.yaml": stage,
        "src/__init__.py": "",
        "src/model_lib.py": LIB,
        "src/train.py": TRAIN_SCRIPT.format(read=script),
        "data/train.csv": "a,y\n1,0\n",
    }


def _machine_paths(tmp_path: Path, files: Files) -> list[str]:
    ev = check("bus-factor", tmp_path, files)
    return [f"{e.file}:{e.line}" for e in ev if e.detail.startswith(ON_ONE_MACHINE)]


def test_the_main_block_of_a_module_the_pipeline_imports_is_not_read_by_it(
    tmp_path: Path,
) -> None:
    files = _pipeline("df = pd.read_csv('data/train.csv')")
    assert _machine_paths(tmp_path, files) == []


def test_the_main_block_of_a_module_the_pipeline_runs_is_still_read(tmp_path: Path) -> None:
    files = _pipeline("df = pd.read_csv('data/train.csv')", runs="src/model_lib.py")
    assert _machine_paths(tmp_path, files) == ["src/model_lib.py:10"]


def test_a_commented_out_path_is_not_read(tmp_path: Path) -> None:
    files = _pipeline("# df = pd.read_csv('/home/amy/data/train.csv')\ndf = pd.read_csv('x.csv')")
    assert _machine_paths(tmp_path, files) == []


def test_an_uncommented_path_in_the_script_the_pipeline_runs_is_still_read(
    tmp_path: Path,
) -> None:
    files = _pipeline("df = pd.read_csv('/home/amy/data/train.csv')")
    assert "src/train.py:4" in _machine_paths(tmp_path, files)


EXPERIMENT = (
    "import pandas as pd\nfrom xgboost import XGBRegressor\n"
    "data = pd.read_csv('/Users/amy/Desktop/project/data.csv')\n"
    "XGBRegressor().fit(data.drop(columns='y'), data['y'])\n"
)


def test_an_experiment_script_nothing_names_beside_a_training_pipeline_is_not_read(
    tmp_path: Path,
) -> None:
    files = _pipeline("df = pd.read_csv('data/train.csv')")
    files["model/experiments/xgboost_experimentation.py"] = EXPERIMENT
    assert _machine_paths(tmp_path, files) == []


def test_an_experiment_script_with_no_pipeline_still_reads_one_machine(tmp_path: Path) -> None:
    files: Files = {"model/experiments/xgboost_experimentation.py": EXPERIMENT}
    assert _machine_paths(tmp_path, files) == ["model/experiments/xgboost_experimentation.py:3"]


# ------------- 3. a model saved to a run-time folder whose file is committed ----------------
SAVE_LIB = (
    "import pickle\nfrom sklearn.ensemble import RandomForestClassifier\n\n\n"
    "def train_model(X, y):\n    return RandomForestClassifier().fit(X, y)\n\n\n"
    "def save_model(model, pth):\n"
    '    with open(f"{pth}/model.pickle", "wb") as file:\n        pickle.dump(model, file)\n'
)


def test_a_model_saved_to_a_runtime_folder_whose_file_is_committed_has_a_way_back(
    tmp_path: Path,
) -> None:
    files: Files = {"pkg/ml/model.py": SAVE_LIB, "pkg/model/model.pickle": b"\x80\x04N."}
    write_tree(tmp_path, files)
    git_init(tmp_path)
    assert check("no-rollback", tmp_path, {}) == []


def test_a_model_saved_to_a_runtime_folder_with_no_committed_file_still_has_no_way_back(
    tmp_path: Path,
) -> None:
    files: Files = {"pkg/ml/model.py": SAVE_LIB}
    write_tree(tmp_path, files)
    git_init(tmp_path)
    assert check("no-rollback", tmp_path, {}) != []
