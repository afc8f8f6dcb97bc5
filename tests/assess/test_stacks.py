"""assess v2 on real-world shapes: other stacks, CI followed into what it runs, defects
found on public repositories (each test here failed before its fix)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from catdetector.assess import Report, assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan
from tests.assess.builders import (
    Files,
    get_started_like_files,
    git,
    git_init,
    level1_files,
    made_with_ml_like_files,
    notebook,
    write_tree,
)

SK_TRAIN = "from sklearn.svm import SVC\nimport numpy as np\nm = SVC(random_state=0).fit(X, y)\n"
CI = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n"


def _check(check_id: str, root: Path, files: Mapping[str, str | bytes]) -> list[Evidence]:
    write_tree(root, files)
    return get_check(check_id).func(Facts(scan(root)))


def _critical(report: Report) -> list[str]:
    return [f.id for f in report.findings if f.severity == "critical"]


# ------------------------------------------------------------------ the two references -----


def test_made_with_ml_like_repository_is_level_2(tmp_path: Path) -> None:
    root = git_init(write_tree(tmp_path / "mwml", made_with_ml_like_files()))
    report = assess_repository(root)
    assert report.level == 2, [(f.id, f.evidence) for f in report.findings if f.lowers_level]
    assert not {"bus-factor", "no-rollback", "training-serving-skew"} & set(report.ids)
    assert "no-seeds" not in report.ids and "no-lock-file" not in report.ids
    assert _critical(report) == []


def test_get_started_like_repository_is_level_1(tmp_path: Path) -> None:
    root = git_init(write_tree(tmp_path / "gs", get_started_like_files()))
    report = assess_repository(root)
    assert report.level == 1, [(f.id, f.evidence) for f in report.findings if f.lowers_level]
    assert "training-serving-skew" not in report.ids  # nothing serves: nothing to skew
    lock = report.finding("no-lock-file")
    assert lock is not None and lock.severity == "medium" and not lock.lowers_level
    assert "no-evaluation-gate" not in report.ids  # CI diffs the metrics on every PR
    assert {"no-tests", "no-ci-training"} <= set(report.ids)
    assert "no-tests" in report.next_step and "Level 2" in report.next_step


# ------------------------------------------------------------ CI followed one step -----


def test_ci_followed_into_cd_dir_and_script(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("cd deploy && ./run.sh"),
        "deploy/run.sh": "#!/bin/sh\npytest -q\npython ../train.py\n",
        "train.py": SK_TRAIN,
        "tests/test_x.py": "def test_x():\n    assert True\n",
    }
    assert _check("no-ci", tmp_path, files) == []
    assert _check("no-ci-training", tmp_path, files) == []


def test_ci_followed_into_a_submitted_job_spec(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("anyscale job submit jobs/train.yaml --wait"),
        "jobs/train.yaml": "name: train\nentrypoint: python train.py --epochs 1\n",
        "train.py": SK_TRAIN,
    }
    assert _check("no-ci-training", tmp_path, files) == []
    assert _check("bus-factor", tmp_path, files) == []  # the job spec is the pipeline


def test_ci_followed_into_a_docker_image_that_trains(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("docker build -t t . && docker run t"),
        "Dockerfile": 'FROM python:3.11\nCOPY . .\nCMD ["python", "train.py"]\n',
        "train.py": SK_TRAIN,
    }
    assert _check("no-ci-training", tmp_path, files) == []


def test_ci_followed_into_a_makefile_target(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("make ci"),
        "Makefile": "ci: test\n\tpython src/fit_model.py\n\ntest:\n\tpytest\n",
        "src/fit_model.py": SK_TRAIN,
    }
    assert _check("no-ci", tmp_path, files) == []
    assert _check("no-ci-training", tmp_path, files) == []


# --------------------------------------------------------------------- other stacks -----


def test_mlflow_registry_alias_and_wandb_artifacts_are_a_way_back(tmp_path: Path) -> None:
    app = (
        "import mlflow\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "model = mlflow.pyfunc.load_model('models:/cats@champion')\n"
    )
    assert _check("no-rollback", tmp_path / "a", {"serve.py": app}) == []
    wandb = (
        "import wandb\nrun = wandb.init()\nart = run.use_artifact('cats-model:prod')\n"
        "model = torch.load(art.download() + '/model.pt')\n"
    )
    assert _check("no-rollback", tmp_path / "b", {"serve.py": wandb}) == []


def test_mlflow_log_model_alone_is_no_way_back(tmp_path: Path) -> None:
    train = SK_TRAIN + "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n"
    app = (
        "from flask import Flask\nimport joblib\napp = Flask(__name__)\nm = joblib.load('m.pkl')\n"
    )
    ev = _check("no-rollback", tmp_path, {"train.py": train, "app.py": app})
    assert ev
    report = assess_repository(tmp_path)
    finding = report.finding("no-rollback")
    assert finding is not None and "MLflow" in finding.fix and "alias" in finding.fix


def test_orchestrator_pipelines_are_declared_pipelines(tmp_path: Path) -> None:
    flows = {
        "prefect": "from prefect import flow\n\n@flow\ndef training():\n    train_model()\n",
        "zenml": "from zenml import pipeline\n\n@pipeline\ndef training_pipeline():\n"
        "    train_model()\n",
        "metaflow": "from metaflow import FlowSpec, step\n\nclass TrainFlow(FlowSpec):\n"
        "    @step\n    def train(self):\n        pass\n",
        "airflow": "from airflow import DAG\nwith DAG('train') as dag:\n    pass\n",
        "dagster": "from dagster import job\n\n@job\ndef train_job():\n    pass\n",
    }
    for name, code in flows.items():
        files = {"pipeline.py": code, "train_model.py": SK_TRAIN}
        assert _check("bus-factor", tmp_path / name, files) == [], name


def test_data_versioned_by_lakefs_or_wandb_artifacts(tmp_path: Path) -> None:
    lakefs = SK_TRAIN + "df = pd.read_parquet('lakefs://repo/main/data/train.parquet')\n"
    assert _check("no-data-versioning", tmp_path / "a", {"train.py": lakefs}) == []
    wandb = SK_TRAIN + "import wandb\nart = wandb.use_artifact('cats:v3', type='dataset')\n"
    assert _check("no-data-versioning", tmp_path / "b", {"train.py": wandb}) == []


# -------------------------------------------------------- defects on real repositories -----


def test_seeds_set_through_a_helper_in_another_module(tmp_path: Path) -> None:
    files = {
        "utils.py": "import numpy as np\n\n\ndef set_seeds(seed=42):\n    np.random.seed(seed)\n",
        "train.py": "from sklearn.svm import SVC\nfrom utils import set_seeds\n"
        "set_seeds()\nm = SVC().fit(X, y)\n",
    }
    assert _check("no-seeds", tmp_path, files) == []


def test_unpinned_requirements_are_one_finding_at_their_real_severity(tmp_path: Path) -> None:
    write_tree(tmp_path, {"train.py": SK_TRAIN, "requirements.txt": "scikit-learn\nnumpy\n"})
    report = assess_repository(tmp_path)
    assert "training-serving-skew" not in report.ids  # no serving code
    lock = report.finding("no-lock-file")
    assert lock is not None and lock.severity == "medium" and not lock.lowers_level
    write_tree(tmp_path, {"app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    lock = assess_repository(tmp_path).finding("no-lock-file")
    assert lock is not None and lock.severity == "high"


def test_docs_and_notebook_extras_are_not_runtime_dependencies(tmp_path: Path) -> None:
    reqs = "scikit-learn==1.5.0\nipywidgets>=8\n# docs\nmkdocstrings[python]>=0.18\n"
    files = {"train.py": SK_TRAIN, "requirements.txt": reqs, "app.py": "import flask\n"}
    assert _check("no-lock-file", tmp_path, files) == []
    assert _check("training-serving-skew", tmp_path, files) == []


def test_included_requirements_are_reported_at_their_own_file_and_line(tmp_path: Path) -> None:
    files = {
        "train.py": SK_TRAIN,
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "requirements.txt": "flask==3.0.3\nnumpy\n",
        "Dockerfile": "FROM python:3.11\nCOPY . .\nRUN pip install -r requirements.txt\n",
    }
    ev = _check("no-lock-file", tmp_path, files)
    assert ("requirements.txt", 2) in {(e.file, e.line) for e in ev}
    assert all(e.file != "Dockerfile" or e.line is None for e in ev)


def test_requirements_in_beside_its_pip_compile_output(tmp_path: Path) -> None:
    files = {
        "train.py": SK_TRAIN,
        "requirements.in": "scikit-learn\nnumpy\n",
        "requirements.txt": "# autogenerated by pip-compile\nnumpy==1.26.4\nscikit-learn==1.5.0\n",
    }
    assert _check("no-lock-file", tmp_path, files) == []


def test_environments_are_scoped_to_their_project_in_a_monorepo(tmp_path: Path) -> None:
    files = {
        "a/train.py": SK_TRAIN,
        "a/serve.py": "from flask import Flask\napp = Flask(__name__)\n",
        "a/requirements.txt": "numpy==1.26.4\nflask==3.0.3\nscikit-learn==1.5.0\n",
        "b/api/requirements.txt": "numpy==1.24.0\nfastapi==0.111.0\n",
        "b/api/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    }
    ev = _check("training-serving-skew", tmp_path, files)
    assert not [e for e in ev if "numpy differs" in e.detail], ev


def test_preprocessing_copied_between_a_cli_predict_and_utils(tmp_path: Path) -> None:
    files = {
        "utils.py": "import numpy as np\n\n\ndef preprocess(img):\n"
        "    return np.asarray(img.resize((64, 64))) / 255.0\n",
        "train.py": "from utils import preprocess\nfrom sklearn.svm import SVC\n"
        "m = SVC(random_state=0).fit([preprocess(i) for i in imgs], y)\n",
        "predict.py": "import sys\nimport numpy as np\nimport joblib\n\n\n"
        "def preprocess(img):\n    return np.asarray(img.resize((64, 64)))\n\n\n"
        "print(joblib.load('m.pkl').predict([preprocess(open(sys.argv[1]))]))\n",
    }
    ev = _check("training-serving-skew", tmp_path, files)
    assert any(e.file == "predict.py" and "preprocess" in e.detail for e in ev), ev


def test_a_repository_without_ml_is_not_applicable(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "README.md": "# Awesome ML\n![logo](images/logo.png)\n- [x](https://x.org)\n",
        "images/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
        "scripts/scrape.py": "import requests\nprint(requests.get('https://x.org').text)\n",
        "scripts/requirements.txt": "requests\n",
    }
    write_tree(tmp_path, files)
    report = assess_repository(tmp_path)
    assert report.level is None and not report.applicable, report.ids
    assert "bus-factor" not in report.ids


def test_machine_specific_data_paths_are_bus_factor(tmp_path: Path) -> None:
    for i, path in enumerate(
        [
            "/kaggle/input/cats/train.csv",
            "/content/drive/MyDrive/cats.csv",
            "D:\\\\data\\\\cats.csv",
            "/Volumes/usb/cats.csv",
            "/mnt/data/cats.csv",
        ]
    ):
        train = SK_TRAIN + f"df = pd.read_csv('{path}')\n"
        files = {"train.py": train, "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"}
        ev = _check("bus-factor", tmp_path / str(i), files)
        assert any("one machine" in e.detail for e in ev), path


def test_secrets_in_notebooks_and_environ_assignments(tmp_path: Path) -> None:
    key = "q8Jd7Ks9Lm2Nx4Pz"
    nb = notebook("import openai", f'api_key = "{key}"\nclient = openai.OpenAI(api_key=api_key)')
    assert _check("secrets-committed", tmp_path / "a", {"explore.ipynb": nb})
    env = f'import os\nos.environ["OPENAI_API_KEY"] = "{key}"\n'
    ev = _check("secrets-committed", tmp_path / "b", {"main.py": env})
    assert ev and ev[0].line == 2 and key not in json.dumps([e.detail for e in ev])


def test_st_write_is_not_a_prediction_log(tmp_path: Path) -> None:
    app = (
        "import streamlit as st\nimport joblib\nm = joblib.load('m.pkl')\n"
        "x = st.file_uploader('image')\nprediction = m.predict([x])\n"
        "st.write(f'prediction: {prediction}')\n"
    )
    assert _check("no-monitoring", tmp_path, {"app.py": app})


def test_subfolder_of_a_git_repository(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "mono",
        {"proj/train.py": SK_TRAIN, "proj/model.pkl": os.urandom(2 * 1024 * 1024)},
    )
    git_init(root)
    report = assess_repository(root / "proj")
    assert not any("not a git repository" in n for n in report.notes), report.notes
    big = report.finding("large-binaries-in-git")
    assert big is not None and big.evidence[0].file == "model.pkl"


def test_many_small_committed_data_files_are_large_together(tmp_path: Path) -> None:
    files: Files = {"train.py": SK_TRAIN}
    for i in range(300):
        files[f"data/imgs/{i}.jpg"] = b"\xff\xd8\xff" + os.urandom(40 * 1024)
    git_init(write_tree(tmp_path, files))
    ev = get_check("large-binaries-in-git").func(Facts(scan(tmp_path)))
    assert any(e.file == "data/imgs/" and "300 files" in e.detail for e in ev), ev


def test_a_large_file_committed_then_removed_leaves_a_note(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"train.py": SK_TRAIN, "big.bin": os.urandom(12 * 1024 * 1024)})
    git_init(root)
    git(root, "rm", "-q", "big.bin")
    git(root, "commit", "-q", "-m", "remove the big file")
    git(root, "gc", "-q")
    report = assess_repository(root)
    assert any("history" in n and "MiB" in n for n in report.notes), report.notes


def test_fixes_name_the_repository_stack(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("pytest"),
        "jobs/train.yaml": "entrypoint: python train.py\n",
        "train.py": "import ray\n" + SK_TRAIN,
        "tests/test_x.py": "def test_x():\n    assert True\n",
    }
    report = assess_repository(write_tree(tmp_path, files))
    finding = report.finding("no-ci-training")
    assert finding is not None
    assert "job submit" in finding.fix, finding.fix


# ------------------------------------------------------------------- ML Test Score -----


def test_ml_test_score_marks_automated_present_and_absent(tmp_path: Path) -> None:
    root = git_init(write_tree(tmp_path / "mwml", made_with_ml_like_files()))
    score = {item.id: item for item in assess_repository(root).score}
    assert score["Infra 2"].score == 1 and "workloads.sh" in score["Infra 2"].evidence
    assert score["Infra 3"].score == 1 and score["Infra 5"].score == 1
    assert score["Infra 7"].score == 0.5 and "predict.py" in score["Infra 7"].evidence
    assert score["Model 5"].score == 0 and score["Infra 6"].score == 0
    data = assess_repository(root).to_dict()["ml_test_score"]
    assert data["max"] == len(data["tests"]) == 12 and data["total"] == sum(
        t["score"] for t in data["tests"]
    )
    assert {"id", "section", "test", "score", "evidence"} == set(data["tests"][0])


def test_ml_test_score_half_marks_what_is_run_by_hand(tmp_path: Path) -> None:
    files = {
        "train.py": SK_TRAIN,
        "tests/test_train.py": "def test_fit():\n    assert True\n",
        "requirements.txt": "scikit-learn==1.5.0\nnumpy==1.26.4\n",
        ".github/dependabot.yml": "version: 2\n",
    }
    score = {i.id: i.score for i in assess_repository(write_tree(tmp_path, files)).score}
    assert score["Infra 2"] == 0.5  # tests exist, nothing runs them
    assert score["Infra 1"] == 0.5  # seeds and lock, no CI training run
    assert score["Infra 6"] == 1 and score["Infra 3"] == 0


def test_ci_cd_back_to_the_root_in_a_script(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": CI.format("bash ci/run.sh"),
        "ci/run.sh": "cd docs\nmake html\ncd ..\npython src/fit.py\n",
        "src/fit.py": SK_TRAIN,
    }
    assert _check("no-ci-training", tmp_path, files) == []


def test_seeds_set_inside_the_step_a_pipeline_calls(tmp_path: Path) -> None:
    files = {
        "steps/train_model.py": "from sklearn.svm import SVC\n\n\ndef train_model(X, y):\n"
        "    return SVC(random_state=42).fit(X, y)\n",
        "pipeline/training_pipeline.py": "from sklearn.base import clone\n"
        "from steps.train_model import train_model\n\n\ndef training_pipeline():\n"
        "    return train_model(X, y)\n",
    }
    assert _check("no-seeds", tmp_path, files) == []


def test_next_step_keeps_the_whole_first_sentence_of_a_fix(tmp_path: Path) -> None:
    report = assess_repository(write_tree(tmp_path, level1_files()))
    assert report.level == 1
    assert "(e.g. .github/workflows/ci.yml)" in report.next_step, report.next_step
