"""Fixture repositories for the assess tests, written in code (no binary files committed).

``broken_startup`` is the course's CatDetector.ai at Level 0; ``level1_repo`` a
hand-made DVC pipeline repository; ``level2_repo`` adds CI, deployment and
monitoring. ``git_init`` makes a real git repository with an isolated config.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan

Files = dict[str, str | bytes]

WORKFLOW = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n"
TRAIN = "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit(X, y)\n"

# Fake credentials are built at run time so that no key-shaped literal sits in this file.
FAKE_AWS_KEY_ID = "AKIA" + "QZ7W3XK2N5R8T4PL"
FAKE_AWS_SECRET = "wJa1rXUtnFEMI" + "K7MDENGbPxRfiCYzQ2Wm8vLs"


def write_tree(root: Path, files: Files) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def facts_of(root: Path, files: Files) -> Facts:
    """Write ``files`` under ``root`` and read them as ``assess`` does."""
    write_tree(root, files)
    return Facts(scan(root))


def check(check_id: str, root: Path, files: Files) -> list[Evidence]:
    """The evidence one check finds in ``files`` written under ``root``."""
    return get_check(check_id).func(facts_of(root, files))


def severity(root: Path, check_id: str) -> str | None:
    """The severity of a check's finding in the whole report of ``root`` (None: no finding)."""
    finding = assess_repository(root).finding(check_id)
    return finding.severity if finding else None


def notebook(*cells: str) -> str:
    """A minimal .ipynb with one code cell per argument."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": [line + "\n" for line in cell.splitlines()],
                }
                for cell in cells
            ],
            "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def fake_h5(size: int = 4096) -> bytes:
    """Bytes that look like an HDF5 file (signature and NULs)."""
    return b"\x89HDF\r\n\x1a\n" + bytes(size)


def git_env(home: Path) -> dict[str, str]:
    """An environment for real git with no user or system configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bob",
        GIT_AUTHOR_EMAIL="bob@catdetector.test",
        GIT_COMMITTER_NAME="Bob",
        GIT_COMMITTER_EMAIL="bob@catdetector.test",
    )
    return env


def git(root: Path, *args: str) -> str:
    """Run real git in ``root`` (isolated config) and return stdout."""
    home = root.parent / ".git-home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        env=git_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {args} failed: {proc.stderr}")
    return proc.stdout


def git_init(root: Path, *, tags: tuple[str, ...] = (), message: str = "initial") -> Path:
    """``git init``, add everything not ignored, commit, and tag."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    for tag in tags:
        git(root, "tag", "-a", tag, "-m", f"registered {tag}")
    return root


# --------------------------------------------------------------------------- level 0 -----

TRAIN_PY = """\
import numpy as np
import pandas as pd
from PIL import Image
from tensorflow import keras


def preprocess(img):
    img = img.convert("RGB").resize((224, 224))
    return np.asarray(img) / 255.0


df = pd.read_csv("data/cats.csv")
X = np.stack([preprocess(Image.open(p)) for p in df.path])
model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(X, df.label.values, epochs=5)
model.save("model.h5")
"""

APP_PY = """\
import numpy as np
from flask import Flask, jsonify, request
from PIL import Image
from tensorflow import keras

app = Flask(__name__)
model = keras.models.load_model("model.h5")


def preprocess(img):
    img = img.convert("RGB").resize((224, 224))
    return np.asarray(img) / 255.0


@app.route("/predict", methods=["POST"])
def predict():
    img = Image.open(request.files["image"])
    p = model.predict(preprocess(img)[None])
    return jsonify({"cat": float(p[0][0])})
"""

EXPLORE_NB = notebook(
    "import pandas as pd\nfrom tensorflow import keras",
    "df = pd.read_csv('data/cats.csv')\ndf.head()",
    "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(X, y, epochs=20)",
)


def broken_startup_files() -> Files:
    """Bob's laptop: train.py, a notebook, model.h5 beside a Flask app, loose requirements."""
    return {
        "train.py": TRAIN_PY,
        "explore.ipynb": EXPLORE_NB,
        "model.h5": fake_h5(),
        "app.py": APP_PY,
        "requirements-train.txt": "tensorflow\nnumpy>=1.21\npandas\npillow\n",
        "requirements-serve.txt": "flask\ntensorflow\nnumpy>=1.19\npillow\n",
        "data/cats.csv": "path,label\nimg/1.jpg,1\nimg/2.jpg,0\n",
        "data/img/1.jpg": b"\xff\xd8\xff\xe0" + bytes(64),
        "data/img/2.jpg": b"\xff\xd8\xff\xe0" + bytes(64),
    }


def broken_startup(root: Path) -> Path:
    """Write the Level 0 fixture."""
    return write_tree(root, broken_startup_files())


# --------------------------------------------------------------------------- level 1 -----

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
      - src/prepare.py
      - data/raw
    params:
      - prepare
    outs:
      - data/prepared
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
      - data/prepared
    params:
      - train
    outs:
      - models/model.pkl
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - src/evaluate.py
      - models/model.pkl
      - data/prepared
    metrics:
      - metrics.json:
          cache: false

artifacts:
  catdetector:
    path: models/model.pkl
    type: model
"""

DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
    - path: data/raw
      hash: md5
      md5: 3c7ce4c0bd0d8c3f2d0c1c2e5f6a7b8c.dir
    outs:
    - path: data/prepared
      hash: md5
      md5: 0f1e2d3c4b5a69788796a5b4c3d2e1f0.dir
  train:
    cmd: python src/train.py
    outs:
    - path: models/model.pkl
      hash: md5
      md5: 9a8b7c6d5e4f30211203f4e5d6c7b8a9
"""

RAW_DVC = """\
outs:
- md5: 3c7ce4c0bd0d8c3f2d0c1c2e5f6a7b8c.dir
  size: 12345
  nfiles: 40
  hash: md5
  path: raw
"""

PREPARE_PY = """\
import pandas as pd
import yaml

from features import featurize

params = yaml.safe_load(open("params.yaml"))["prepare"]
rows = pd.read_csv("data/raw/labels.csv")
featurize(rows).to_csv("data/prepared/features.csv", index=False)
"""

FEATURES_PY = """\
import pandas as pd


def featurize(rows: pd.DataFrame) -> pd.DataFrame:
    \"\"\"The one preprocessing function: training and serving both import it.\"\"\"
    return rows.assign(brightness=rows["mean"] / 255.0)
"""

TRAIN_SK_PY = """\
import pickle

import pandas as pd
import yaml
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

params = yaml.safe_load(open("params.yaml"))["train"]
df = pd.read_csv("data/prepared/features.csv")
baseline = DummyClassifier().fit(df[["brightness"]], df.label)
model = LogisticRegression(random_state=params["seed"]).fit(df[["brightness"]], df.label)
with open("models/model.pkl", "wb") as fh:
    pickle.dump(model, fh)
"""

EVALUATE_PY = """\
import json
import pickle
import sys

import pandas as pd
import yaml
from sklearn.metrics import accuracy_score

gate = yaml.safe_load(open("params.yaml"))["gate"]
model = pickle.load(open("models/model.pkl", "rb"))
df = pd.read_csv("data/prepared/features.csv")
accuracy = accuracy_score(df.label, model.predict(df[["brightness"]]))
json.dump({"accuracy": accuracy}, open("metrics.json", "w"))
if accuracy < gate["min_accuracy"]:
    sys.exit("accuracy below the gate: not promoting")
"""

TEST_PY = """\
import pandas as pd

from features import featurize


def test_featurize_scales_to_unit_interval():
    out = featurize(pd.DataFrame({"mean": [0, 255]}))
    assert out.brightness.tolist() == [0.0, 1.0]
"""

REQUIREMENTS_PINNED = """\
pandas==2.2.2
pyyaml==6.0.1
scikit-learn==1.5.0
"""


def level1_files() -> Files:
    """A hand-made DVC pipeline repository (what `catdetector init` + a run gives)."""
    return {
        "dvc.yaml": DVC_YAML,
        "dvc.lock": DVC_LOCK,
        "params.yaml": "prepare:\n  size: 64\ntrain:\n  seed: 42\ngate:\n  min_accuracy: 0.8\n",
        ".dvc/config": (
            "[core]\n    remote = storage\n['remote \"storage\"']\n    url = ../storage\n"
        ),
        ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
        ".dvcignore": "",
        "data/raw.dvc": RAW_DVC,
        "data/.gitignore": "/raw\n/prepared\n",
        "models/.gitignore": "/model.pkl\n",
        ".gitignore": "__pycache__/\n.env\n",
        "src/prepare.py": PREPARE_PY,
        "src/features.py": FEATURES_PY,
        "src/train.py": TRAIN_SK_PY,
        "src/evaluate.py": EVALUATE_PY,
        "tests/test_features.py": TEST_PY,
        "requirements.txt": REQUIREMENTS_PINNED,
    }


def level1_repo(root: Path, *, git_tags: tuple[str, ...] | None = None) -> Path:
    """Write the Level 1 fixture; with ``git_tags``, make it a git repository with those tags."""
    write_tree(root, level1_files())
    if git_tags is not None:
        git_init(root, tags=git_tags)
    return root


# --------------------------------------------------------------------------- level 2 -----

SERVE_PY = """\
import json
import os
import pickle
import time

import pandas as pd
from fastapi import FastAPI
from prometheus_client import Counter, make_asgi_app
from pydantic import BaseModel, Field

from features import featurize

PREDICTIONS = Counter("predictions_total", "predictions served", ["label"])
LOG = os.environ.get("CATDETECTOR_PREDICTION_LOG", "logs/predictions.jsonl")

app = FastAPI()
app.mount("/metrics", make_asgi_app())
model = pickle.load(open(os.environ["CATDETECTOR_MODEL_PATH"], "rb"))


class Features(BaseModel):
    mean: float = Field(ge=0, le=255)


@app.post("/predict")
def predict(features: Features) -> dict:
    x = featurize(pd.DataFrame({"mean": [features.mean]}))
    label = int(model.predict(x[["brightness"]])[0])
    PREDICTIONS.labels(str(label)).inc()
    with open(LOG, "a") as log:
        log.write(json.dumps({"t": time.time(), "mean": features.mean, "prediction": label}))
    return {"label": label}
"""

CI_YML = """\
name: ci
on: [push]
jobs:
  test-and-train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: pytest -q
      - run: dvc pull && dvc repro
      - run: dvc metrics diff main
"""

DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ src/
CMD ["uvicorn", "serve:app", "--app-dir", "src", "--host", "0.0.0.0"]
"""

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catdetector
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: catdetector:0.1.0
"""


def level2_files() -> Files:
    """Level 1 plus CI that tests and trains, a deployment manifest and monitoring."""
    files = level1_files()
    files.update(
        {
            "src/serve.py": SERVE_PY,
            ".github/workflows/ci.yml": CI_YML,
            "Dockerfile": DOCKERFILE,
            "k8s/deployment.yaml": K8S,
            "requirements.txt": REQUIREMENTS_PINNED
            + "fastapi==0.111.0\nprometheus-client==0.20.0\npydantic==2.7.1\n",
        }
    )
    return files


def level2_repo(root: Path) -> Path:
    """Write the Level 2 fixture."""
    return write_tree(root, level2_files())


# --------------------------------------------------------------- other stacks (v2) -----

MWML_WORKLOADS_SH = """\
#!/bin/bash
export PYTHONPATH=$PYTHONPATH:$PWD
mkdir results
pytest --dataset-loc=$DATASET_LOC tests/data --verbose > results/test_data.txt
python -m pytest tests/code --verbose > results/test_code.txt
python madewithml/train.py --experiment-name llm --num-epochs 10 --results-fp results/train.json
export RUN_ID=$(python -c "import json; print(json.load(open('results/train.json'))['run_id'])")
echo $RUN_ID > results/run_id.txt
python madewithml/evaluate.py --run-id $RUN_ID --results-fp results/evaluation.json
pytest --run-id=$RUN_ID tests/model --verbose > results/test_model.txt
"""

MWML_TRAIN = """\
import ray.train as train
from ray.air.integrations.mlflow import MLflowLoggerCallback
from ray.train.torch import TorchTrainer

from madewithml import data, utils
from madewithml.config import MLFLOW_TRACKING_URI


def train_loop_per_worker(config):
    utils.set_seeds()
    model = build(config)
    for epoch in range(config["num_epochs"]):
        loss = step(model)
        optimizer.step()
        train.report({"val_loss": loss})


def train_model(experiment_name, dataset_loc):
    ds = data.load_data(dataset_loc)
    callback = MLflowLoggerCallback(tracking_uri=MLFLOW_TRACKING_URI,
                                    experiment_name=experiment_name, save_artifact=True)
    trainer = TorchTrainer(train_loop_per_worker, run_config=RunConfig(callbacks=[callback]))
    return trainer.fit()
"""

MWML_UTILS = """\
import os
import random

import numpy as np
import torch


def set_seeds(seed: int = 42):
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
"""

MWML_PREDICT = """\
import mlflow
from ray.train.torch import TorchPredictor


def get_best_run_id(experiment_name: str, metric: str, mode: str) -> str:
    runs = mlflow.search_runs(experiment_names=[experiment_name],
                              order_by=[f"metrics.{metric} {mode}"])
    return runs.iloc[0].run_id


def get_best_checkpoint(run_id: str):
    artifact_dir = mlflow.get_run(run_id).info.artifact_uri
    return Result.from_path(artifact_dir).best_checkpoints[0][0]
"""

MWML_SERVE = """\
from fastapi import FastAPI
from ray import serve
from starlette.requests import Request

from madewithml import evaluate, predict

app = FastAPI(title="Made With ML")


@serve.deployment(num_replicas="1")
@serve.ingress(app)
class ModelDeployment:
    def __init__(self, run_id: str, threshold: float = 0.9):
        self.predictor = TorchPredictor.from_checkpoint(predict.get_best_checkpoint(run_id))

    @app.post("/predict/")
    async def _predict(self, request: Request):
        data = await request.json()
        return {"results": predict.predict_proba(data, self.predictor)}
"""

MWML_EVALUATE = """\
from sklearn.metrics import precision_recall_fscore_support

from madewithml import predict


def evaluate(run_id, dataset_loc):
    y_true, y_pred = predict.run(run_id, dataset_loc)
    return precision_recall_fscore_support(y_true, y_pred, average="weighted")
"""

MWML_REQUIREMENTS = """\
# Default
hyperopt==0.2.7
ipywidgets>=8
mlflow==2.3.1
numpy==1.24.3
pandas==2.0.1
ray[air]==2.7.0
torch==2.0.0
transformers==4.28.1
fastapi==0.95.2
# Documentation
mkdocs==1.4.2
mkdocstrings==0.21.2
mkdocstrings[python]>=0.18
"""


def made_with_ml_like_files() -> Files:
    """Ray jobs submitted by CI (tests, training, evaluation, model tests), MLflow runs."""
    ci_head = "on:\n  pull_request:\njobs:\n  run:\n    runs-on: ubuntu-22.04\n    steps:\n"
    return {
        ".github/workflows/workloads.yaml": ci_head
        + "      - uses: actions/checkout@v3\n"
        + "      - run: python3 -m pip install anyscale==0.5.131\n"
        + "      - name: Workloads\n        run: |\n"
        + "          anyscale jobs submit deploy/jobs/workloads.yaml --wait\n",
        ".github/workflows/serve.yaml": ci_head.replace("pull_request", "push")
        + "      - run: anyscale service rollout --service-config-file "
        + "deploy/services/serve_model.yaml\n",
        ".github/workflows/documentation.yaml": ci_head + "      - run: mkdocs gh-deploy --force\n",
        "deploy/jobs/workloads.yaml": "name: workloads\ncluster_env: madewithml-cluster-env\n"
        "runtime_env:\n  working_dir: .\nentrypoint: bash deploy/jobs/workloads.sh\n"
        "max_retries: 0\n",
        "deploy/jobs/workloads.sh": MWML_WORKLOADS_SH,
        "deploy/services/serve_model.yaml": "name: madewithml\nray_serve_config:\n"
        "  import_path: deploy.services.serve_model:entrypoint\n",
        "deploy/services/serve_model.py": "from madewithml.serve import ModelDeployment\n"
        "run_id = open('run_id.txt').read().strip()\n"
        "entrypoint = ModelDeployment.bind(run_id=run_id, threshold=0.9)\n",
        "madewithml/__init__.py": "",
        "madewithml/config.py": "import mlflow\nMLFLOW_TRACKING_URI = 'file:///tmp/mlflow'\n"
        "mlflow.set_tracking_uri(MLFLOW_TRACKING_URI)\n",
        "madewithml/train.py": MWML_TRAIN,
        "madewithml/utils.py": MWML_UTILS,
        "madewithml/predict.py": MWML_PREDICT,
        "madewithml/serve.py": MWML_SERVE,
        "madewithml/evaluate.py": MWML_EVALUATE,
        "madewithml/data.py": "import pandas as pd\n\n\ndef load_data(loc):\n"
        "    return pd.read_csv(loc)\n\n\ndef clean_text(text):\n    return text.lower()\n",
        "tests/code/test_data.py": "from madewithml import data\n\n\ndef test_clean_text():\n"
        "    assert data.clean_text('A') == 'a'\n",
        "tests/model/test_behavioral.py": "def test_invariance(predictor):\n"
        "    assert predictor('a') == predictor('a ')\n",
        "datasets/dataset.csv": "id,title,tag\n1,a,mlops\n2,b,nlp\n",
        "requirements.txt": MWML_REQUIREMENTS,
        ".gitignore": "results/\nefs/\n",
    }


def get_started_like_files() -> Files:
    """DVC pipeline, lock, remote, registry artifacts; CML diffs metrics on pull requests."""
    files = {k: v for k, v in level1_files().items() if not k.startswith("tests/")}
    files["requirements.txt"] = "dvc[s3]>=3\npandas\nscikit-learn>=1.3\npyyaml\n"
    files[".github/workflows/cml.yaml"] = (
        "name: CML Report\non: pull_request\njobs:\n  run:\n    runs-on: [ubuntu-latest]\n"
        "    steps:\n      - uses: iterative/setup-cml@v1\n      - uses: actions/checkout@v3\n"
        "      - run: |\n          dvc pull eval\n          dvc exp diff main --md > report.md\n"
        "          cml comment create report.md\n"
    )
    return files
