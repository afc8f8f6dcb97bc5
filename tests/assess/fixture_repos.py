"""The course's fixture repositories, written in code (no binary files committed):
``broken_startup`` is CatDetector.ai at Level 0, ``level1_repo`` a hand-made DVC pipeline,
``level2_repo`` adds CI, deployment and monitoring."""

from __future__ import annotations

from pathlib import Path

from tests.assess.trees import Files, fake_h5, git_init, notebook, write_tree

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
