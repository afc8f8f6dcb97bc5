"""assess v3 after the fourth blind corpus (issue 22, branch g5a, half a): general rules its
disagreements showed to be wrong (docs: /work/notes/blind4-a.md). Every test fails on the
engine before its fix (main at 6cb3979), except the counter-checks named ``..._still_...``,
which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import Files, check, fake_h5, git_init, write_tree

FLASK_SERVE = (
    "import joblib\nfrom flask import Flask, request, jsonify\napp = Flask(__name__)\n"
    "model = joblib.load('{path}')\n\n\n@app.route('/predict', methods=['POST'])\n"
    "def predict():\n    return jsonify(model.predict([request.json['x']]).tolist())\n"
)


# ------------------------- 1. no-rollback: a fixed-path save beside models kept in git -------
def _committed_model_with_scratch_save(root: Path, scratch: str) -> Path:
    """The served model is committed to git (a way back); a training script also dumps
    some other object to a fixed file that nothing serving reads."""
    files: Files = {
        "train.py": (
            "import joblib\nfrom sklearn.linear_model import LogisticRegression\n"
            "model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
            "joblib.dump(model, 'models/model.pkl')\n"
            f"joblib.dump(model, '{scratch}')\n"
        ),
        "app.py": FLASK_SERVE.format(path="models/model.pkl"),
        "requirements.txt": "scikit-learn==1.3.2\njoblib==1.3.2\nflask==3.0.0\n",
    }
    write_tree(root, files)
    (root / "models").mkdir()
    (root / "models" / "model.pkl").write_bytes(fake_h5())
    return git_init(root)


def test_a_fixed_path_save_nothing_serves_is_no_rollback_when_the_served_model_is_in_git(
    tmp_path: Path,
) -> None:
    """GLNVaibhav/Churn_Predictor, oladiiposaheed/...Hotel-Booking...: the models the project
    ships are committed (git is the way back); a dump to another fixed file that no serving
    code reads is not a served model without a way back."""
    root = _committed_model_with_scratch_save(tmp_path / "r", "random_forest.pkl")
    finding = assess_repository(root).finding("no-rollback")
    assert finding is None or not finding.lowers_level, finding


def test_a_fixed_path_save_that_serving_reads_is_still_no_rollback(tmp_path: Path) -> None:
    """The served file itself is overwritten at a fixed path and not in git: CRITICAL stays."""
    files: Files = {
        "train.py": (
            "import joblib\nfrom sklearn.linear_model import LogisticRegression\n"
            "model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
            "joblib.dump(model, 'artifacts/model.pkl')\n"
        ),
        "app.py": FLASK_SERVE.format(path="artifacts/model.pkl"),
        "requirements.txt": "scikit-learn==1.3.2\njoblib==1.3.2\nflask==3.0.0\n",
        ".gitignore": "artifacts/\n",
    }
    write_tree(tmp_path, files)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "old.pkl").write_bytes(fake_h5())  # in git, but not the served one
    git_init(tmp_path)
    finding = assess_repository(tmp_path).finding("no-rollback")
    assert finding is not None and finding.severity == "critical", finding


# ------------------------- 2. a pipeline that trains nothing is no ML project ----------------
ETL_NODE = (
    "import pandas as pd\n\n\ndef tidy(raw: pd.DataFrame) -> pd.DataFrame:\n"
    "    return raw.dropna().drop_duplicates()\n"
)
ETL_PIPELINE = (
    "from kedro.pipeline import Pipeline, node\nfrom .nodes import tidy\n\n\n"
    "def create_pipeline(**kwargs) -> Pipeline:\n"
    "    return Pipeline([node(tidy, 'raw_admissions', 'tidy_admissions')])\n"
)


def test_a_declared_pipeline_that_trains_nothing_with_no_model_is_not_applicable(
    tmp_path: Path,
) -> None:
    """neotree/neotree-data-pipeline-kedro, tloeber/sagemaker-pipelines-abstraction: a data
    pipeline (Kedro ETL, SageMaker processing steps) where nothing trains, no model is
    committed, served or loaded: no ML project to rate, not Level 1 by default."""
    files: Files = {
        "pyproject.toml": "[tool.kedro]\npackage_name = 'etl'\nproject_name = 'etl'\n",
        "src/etl/pipelines/clean/nodes.py": ETL_NODE,
        "src/etl/pipelines/clean/pipeline.py": ETL_PIPELINE,
        "src/requirements.txt": "kedro==0.19.0\npandas==2.2.0\n",
    }
    report = assess_repository(write_tree(tmp_path, files))
    assert report.level is None, (report.level, [f.id for f in report.findings])


def test_a_pipeline_that_trains_is_still_applicable(tmp_path: Path) -> None:
    files: Files = {
        "pyproject.toml": "[tool.kedro]\npackage_name = 'etl'\nproject_name = 'etl'\n",
        "src/etl/pipelines/clean/nodes.py": ETL_NODE
        + "\n\ndef train(x, y):\n    from sklearn.linear_model import LogisticRegression\n"
        "    return LogisticRegression().fit(x, y)\n",
        "src/etl/pipelines/clean/pipeline.py": ETL_PIPELINE,
        "src/requirements.txt": "kedro==0.19.0\npandas==2.2.0\nscikit-learn==1.3.2\n",
    }
    report = assess_repository(write_tree(tmp_path, files))
    assert report.level is not None


# ------------------------- 3. a gate on the verdict an evaluation returns -------------------
QUALITY = (
    "from dataclasses import dataclass\n\n\n@dataclass\nclass Report:\n    passed: bool\n"
    "    rmse: float\n\n\ndef evaluate_quality(result, max_rmse: float = 1300.0) -> Report:\n"
    "    return Report(passed=result.rmse <= max_rmse, rmse=result.rmse)\n"
)
MAIN_WITH_VERDICT = (
    "import sys\nfrom sklearn.linear_model import LinearRegression\n"
    "from quality import evaluate_quality\n\n\ndef main():\n"
    "    model = LinearRegression().fit(X, y)\n    result = score_model(model, X_test, y_test)\n"
    "    quality = evaluate_quality(result)\n{act}\n\n\n"
    "if __name__ == '__main__':\n    main()\n"
)


def test_an_exit_on_the_verdict_an_evaluation_returns_is_a_gate(tmp_path: Path) -> None:
    """mrsddq/rental-price-mlops-pipeline: ``quality = evaluate_quality(result)``, then
    ``if not quality.passed: raise SystemExit(2)`` (the thresholds live in the evaluation)."""
    act = "    if not quality.passed:\n        raise SystemExit(2)"
    files: Files = {"quality.py": QUALITY, "main.py": MAIN_WITH_VERDICT.format(act=act)}
    found = check("no-evaluation-gate", tmp_path, files)
    assert not found, found


def test_a_verdict_that_is_only_printed_is_still_no_gate(tmp_path: Path) -> None:
    act = "    if not quality.passed:\n        print('worse than the gate')"
    files: Files = {"quality.py": QUALITY, "main.py": MAIN_WITH_VERDICT.format(act=act)}
    assert check("no-evaluation-gate", tmp_path, files)


# ------------------------- 4. a model store written while an image builds --------------------
BENTO_TRAIN = (
    "import bentoml\nfrom sklearn.datasets import fetch_california_housing\n"
    "from sklearn.ensemble import RandomForestRegressor\n\n\ndef main():\n"
    "    X, y = fetch_california_housing(return_X_y=True)\n"
    "    model = RandomForestRegressor(random_state=0).fit(X, y)\n"
    "    bentoml.sklearn.save_model('housing', model)\n\n\n"
    "if __name__ == '__main__':\n    main()\n"
)
BENTO_SERVICE = (
    "import bentoml\n\n\n@bentoml.service\nclass Housing:\n"
    "    model = bentoml.models.get('housing:latest')\n\n    @bentoml.api\n"
    "    def predict(self, x: list) -> list:\n"
    "        return bentoml.sklearn.load_model(self.model).predict([x]).tolist()\n"
)


def _bento_repo(root: Path, dockerfile: str) -> Path:
    files: Files = {
        "src/housing/model_training.py": BENTO_TRAIN,
        "src/housing/service.py": BENTO_SERVICE,
        "requirements.txt": "bentoml==1.2.0\nscikit-learn==1.3.2\n",
        "Dockerfile": dockerfile,
    }
    return write_tree(root, files)


def test_a_model_store_written_only_while_the_image_builds_is_no_way_back(
    tmp_path: Path,
) -> None:
    """hAI-FA001/ML-API-and-Monitoring-with-BentoML-and-Prometheus: the Dockerfile trains and
    saves to the BentoML store during the build; the store lives only in that image."""
    dockerfile = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        "RUN python -m housing.model_training\n"
        'CMD ["bentoml", "serve", "src/housing/service.py:Housing"]\n'
    )
    finding = assess_repository(_bento_repo(tmp_path, dockerfile)).finding("no-rollback")
    assert finding is not None and finding.lowers_level, finding


def test_a_model_store_written_outside_an_image_build_is_still_a_way_back(
    tmp_path: Path,
) -> None:
    dockerfile = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        'CMD ["bentoml", "serve", "src/housing/service.py:Housing"]\n'
    )
    finding = assess_repository(_bento_repo(tmp_path, dockerfile)).finding("no-rollback")
    assert finding is None or not finding.lowers_level, finding


# ------------------------- 5. a commented-out line is no evidence -----------------------------
def test_a_commented_out_fixed_path_load_is_not_cited_and_the_real_one_still_is(
    tmp_path: Path,
) -> None:
    """hAI-FA001/...: ``# model = joblib.load("models/housing_model.joblib")`` in service.py
    was cited as serving from a fixed path."""
    serve = FLASK_SERVE.format(path="artifacts/model.pkl").replace(
        "app = Flask(__name__)\n", "app = Flask(__name__)\n# old = joblib.load('old/model.pkl')\n"
    )
    files: Files = {
        "train.py": (
            "import joblib\nfrom sklearn.linear_model import LogisticRegression\n"
            "model = LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n"
            "joblib.dump(model, 'artifacts/model.pkl')\n"
        ),
        "app.py": serve,
        "requirements.txt": "scikit-learn==1.3.2\njoblib==1.3.2\nflask==3.0.0\n",
    }
    finding = assess_repository(write_tree(tmp_path, files)).finding("no-rollback")
    assert finding is not None
    cited = [(e.file, e.line) for e in finding.evidence]
    assert ("app.py", 4) not in cited and ("app.py", 5) in cited, cited
