"""Fixture repositories of other stacks (v2): Made-With-ML-like Ray jobs and MLflow runs, a
DVC get-started-like project with CML."""

from __future__ import annotations

from tests.assess.fixture_repos import level1_files
from tests.assess.trees import Files

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
