"""The table of stack recognisers (issue 22): one example per row, recognised from its
structure (calls, decorators, base classes, commands, parsed files), never by a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from catdetector.assess.facts import Facts
from catdetector.assess.scan import scan
from catdetector.assess.stacks import STACKS
from tests.assess.builders import Files, write_tree

AZ1 = "from azureml.core import Model\nfrom azureml.pipeline.core import Pipeline\n"
SM = "import sagemaker\nfrom sagemaker.workflow.pipeline import Pipeline\n"
KFP = "from kfp import dsl\nfrom google.cloud import aiplatform\n"
TFX = "from tfx import v1 as tfx\nfrom tfx.components import Trainer, Pusher, Evaluator\n"
AZ_CLI = "steps:\n- script: az ml model deploy -n svc --model diabetes:3 --ic inf.yml\n"

DATABRICKS_TF: Files = {
    "jobs.tf": 'resource "databricks_job" "j" {\n  task {\n    notebook_task {\n'
               '      notebook_path = "nb/train"\n    }\n  }\n}\n',
    "nb/train.py": "from sklearn.linear_model import LogisticRegression\n"
                   "m = LogisticRegression().fit(X, y)\n",
}  # fmt: skip
EXAMPLES: dict[str, Files] = {
    "MLflow project": {"MLproject": "name: p\nentry_points:\n  main:\n    command: python a.py\n"},
    "MLflow recipe": {"recipe.yaml": 'template: "regression/v1"\nsteps:\n  split: {}\n'},
    "Kedro": {"pyproject.toml": '[tool.kedro]\npackage_name = "p"\n'},
    "Databricks bundle": {"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    j: {}\n"},
    "Databricks job (Terraform)": DATABRICKS_TF,
    "Databricks job task (Terraform)": DATABRICKS_TF,
    "Metaflow": {"flow.py": "from metaflow import FlowSpec, step\nclass F(FlowSpec):\n  pass\n"},
    "Azure ML pipeline": {"p.py": AZ1 + "p = Pipeline(workspace=ws, steps=[s])\n"},
    "Azure ML CLI": {"ci.yml": "steps:\n- script: az ml job create -f pipeline.yml\n"},
    "SageMaker pipeline": {"p.py": SM + "p = Pipeline(name='x', steps=[t])\n"},
    "Kubeflow/Vertex pipeline": {"p.py": KFP + "@dsl.pipeline(name='p')\ndef p():\n  pass\n"},
    "TFX pipeline": {"p.py": TFX + "p = tfx.dsl.Pipeline(pipeline_name='p', components=[])\n"},
    "Azure ML step": {"p.py": AZ1 + "s = PythonScriptStep(script_name='train.py')\n"},
    "SageMaker training": {"p.py": SM + "t = TrainingStep(name='t', estimator=e)\n"},
    "Vertex training": {"p.py": KFP + "j = aiplatform.CustomTrainingJob(display_name='t')\n"},
    "TFX Trainer": {"p.py": TFX + "t = Trainer(module_file='m.py')\n"},
    "Kedro MLflow training": {
        "r.py": "from kedro_mlflow.pipeline import pipeline_ml_factory\n"
        "p = pipeline_ml_factory(training=t, inference=i)\n"
    },
    "Azure ML registry": {"r.py": AZ1 + "Model.register(workspace=ws, model_name='m')\n"},
    "Azure ML CLI registry": {"ci.yml": AZ_CLI},
    "SageMaker model registry": {"r.py": SM + "r = RegisterModel(name='r', estimator=e)\n"},
    "Vertex model registry": {"r.py": KFP + "aiplatform.Model.upload(display_name='m')\n"},
    "TFX Pusher": {"r.py": TFX + "p = Pusher(model=m)\n"},
    "MLflow registry": {"r.py": "import mlflow\nmlflow.register_model('runs:/1/m', 'm')\n"},
    "Metaflow artifacts": {"f.py": "import metaflow\nclass F(metaflow.FlowSpec):\n  pass\n"},
    "Kedro versioned datasets": {
        "conf/base/catalog.yml": "regressor:\n  type: pickle.PickleDataset\n"
        "  filepath: data/06_models/r.pkl\n  versioned: true\n"
    },
    "MLflow recipe register step": {"pipeline.yaml": "template: regression/v1\n"},
    "BentoML model store": {"s.py": "import bentoml\nbentoml.sklearn.save_model('iris', clf)\n"},
    "MLflow pyfunc": {
        "m.py": "import mlflow\nclass M(mlflow.pyfunc.PythonModel):\n  def predict(s, c, x):\n"
        "    return x\n"
    },
    "BentoML service": {"s.py": "import bentoml\n@bentoml.service\nclass S:\n  pass\n"},
    "Azure ML scoring script": {"score.py": "def init():\n  pass\ndef run(raw):\n  return raw\n"},
    "SageMaker inference handler": {
        "inference.py": "def model_fn(d):\n  pass\ndef predict_fn(x, m):\n  pass\n"
    },
    "TorchServe handler": {
        "h.py": "from ts.torch_handler.base_handler import BaseHandler\nclass H(BaseHandler):\n"
        "  pass\n"
    },
    "Azure ML deployment": {"ci.yml": AZ_CLI},
    "catdetector serve": {"dvc.yaml": "stages:\n  train:\n    cmd: catdetector stage train\n"},
    "catdetector serve (prediction log, drift)": {
        "README.md": "Serve: `catdetector serve --registry <url> --stage prod`\n"
    },
    "SageMaker condition step": {"p.py": SM + "c = ConditionStep(name='c', conditions=[x])\n"},
    "TFX Evaluator thresholds": {
        "p.py": TFX + "import tensorflow_model_analysis as tfma\nt = tfma.MetricThreshold(v)\n"
    },
    "Azure ML run cancelled on a worse model": {
        "e.py": AZ1 + "if new_mse > prod_mse:\n    run.parent.cancel()\n"
    },
    "MLflow evaluate thresholds": {
        "e.py": "import mlflow\nmlflow.validate_evaluation_results(candidate, baseline, t)\n"
    },
}


def test_every_row_of_the_table_has_an_example() -> None:
    assert sorted(EXAMPLES) == sorted({s.name for s in STACKS})


@pytest.mark.parametrize("row", STACKS, ids=lambda s: f"{s.concern}:{s.name}")
def test_each_stack_row_is_recognised(tmp_path: Path, row: object) -> None:
    from catdetector.assess.stacks import Stack

    assert isinstance(row, Stack)
    write_tree(tmp_path, EXAMPLES[row.name])
    hits = Facts(scan(tmp_path)).stack_hits.get(row.concern, [])
    assert any(e.detail.startswith(row.name) for e in hits), hits


def test_a_word_is_not_a_stack(tmp_path: Path) -> None:
    """Strings and comments naming a call are not the call."""
    write_tree(
        tmp_path,
        {
            "notes.py": "import mlflow\n# mlflow.register_model(...) later\n"
            "HELP = 'Model.register() and Pipeline() are Azure ML'\n",
            "tests/test_x.py": "import mlflow\nmlflow.register_model('runs:/1/m', 'm')\n",
        },
    )
    assert Facts(scan(tmp_path)).stack_hits.get("registry", []) == []
