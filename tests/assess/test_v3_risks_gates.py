"""Evaluation gates on positive evidence (issue 22, item 1; fourth round, branch a22r): a gate
compares an evaluation of the model and acts. Each test failed on the engine before its rule
(main at a3502e2); the counter-checks (``..._still_...``) pass before and after."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.ci import gates
from tests.assess.builders import TRAIN, WORKFLOW, Files, check, facts_of

# ------------------------------------------------------------- evaluation gates -------------
EVAL = (
    "from sklearn.metrics import accuracy_score\n"
    "accuracy = accuracy_score(y_test, model.predict(X_test))\n"
)


def test_a_score_that_is_not_an_evaluation_of_the_model_is_no_gate(tmp_path: Path) -> None:
    """``if quality_score >= 3: print(...)``: a count of booleans, printed; nothing acts."""
    files: Files = {
        "train.py": TRAIN,
        "evaluate.py": EVAL + "print(accuracy)\n",
        "basic_validation.py": "quality_score = sum([has_imports, has_logging])\n"
        "if quality_score >= 3:\n    print('good quality')\n",
    }
    evidence = check("no-evaluation-gate", tmp_path, files)
    assert evidence and "no gate acts on it" in evidence[0].detail


def test_a_threshold_on_a_non_model_count_that_exits_is_still_no_gate(tmp_path: Path) -> None:
    """A CLI that exits when too many vulnerabilities are found compares no evaluation."""
    files: Files = {
        "train.py": TRAIN,
        "evaluate.py": EVAL + "print(accuracy)\n",
        "cli.py": "import sys\nhigh_count = len(report['high'])\n"
        "if high_count > max_high:\n    sys.exit(1)\n",
    }
    assert check("no-evaluation-gate", tmp_path, files)


def test_a_metric_compared_and_acted_on_is_still_a_gate(tmp_path: Path) -> None:
    """Counter-check: a metric of the model's predictions, compared, and a raise/exit/cancel
    or a registration on one branch."""
    acts = (
        "    raise SystemExit('worse than the threshold')\n",
        "    sys.exit(1)\n",
        "    run.parent.cancel()\n",
    )
    for number, act in enumerate(acts):
        files: Files = {
            "train.py": TRAIN,
            "evaluate.py": "import sys\n" + EVAL + f"if accuracy < 0.8:\n{act}",
        }
        assert check("no-evaluation-gate", tmp_path / str(number), files) == [], act
    register: Files = {
        "train.py": TRAIN,
        "evaluate.py": EVAL + "if accuracy >= best:\n    mlflow.register_model(uri, 'm')\n",
    }
    assert check("no-evaluation-gate", tmp_path / "register", register) == []


def test_a_metric_read_from_the_runs_logged_metrics_is_an_evaluation(tmp_path: Path) -> None:
    """Azure ML v1: the new model's accuracy from ``run.parent.get_metrics()`` against the
    production model's; the run is cancelled when it is not better."""
    step = (
        "new_model_accuracy = float(run.parent.get_metrics().get(metric_eval))\n"
        "production_model_accuracy = float(model.properties[metric_eval])\n"
        "if new_model_accuracy > production_model_accuracy:\n    print('register')\n"
        "else:\n    run.parent.cancel()\n"
    )
    files: Files = {"train.py": TRAIN, "src/pipeline/evaluate_model_step.py": step}
    assert check("no-evaluation-gate", tmp_path, files) == []


def test_a_deployment_decision_taken_on_an_evaluation_is_a_gate(tmp_path: Path) -> None:
    """ZenML's pattern: a trigger step compares the metric, the deployer gets its decision."""
    pipeline = (
        "def deployment_trigger(accuracy: float, min_acc: float = 0.9) -> bool:\n"
        "    return accuracy > min_acc\n\n\n"
        "def continuous_deployment_pipeline():\n"
        "    model = train_model(X, y)\n"
        "    mse, r2 = evaluate_model(model, X_test, y_test)\n"
        "    decision = deployment_trigger(accuracy=r2)\n"
        "    mlflow_model_deployer_step(model=model, deploy_decision=decision)\n"
    )
    files: Files = {"train.py": TRAIN, "pipelines/deployment_pipeline.py": pipeline}
    assert check("no-evaluation-gate", tmp_path, files) == []


DIFFERENTIAL = """\
import math

import pandas as pd
import pytest

from regression_model.predict import make_prediction


@pytest.mark.differential
def test_model_prediction_differential():
    previous = pd.read_csv("tests/previous_predictions.csv").predictions.values
    current = make_prediction(input_data=test_data).get("predictions")
    for previous_value, current_value in zip(previous, current):
        assert math.isclose(previous_value, current_value, rel_tol=0.05)
"""


def test_a_differential_test_ci_runs_is_a_gate(tmp_path: Path) -> None:
    """A test CI runs that fails when the new model's predictions drift from the previous
    version's is an evaluation and a gate."""
    files: Files = {
        "train.py": TRAIN,
        "packages/api/tests/differential/test_differential.py": DIFFERENTIAL,
        ".github/workflows/ci.yml": WORKFLOW.format(
            "pytest -vv packages/api/tests -m differential"
        ),
    }
    assert check("no-evaluation-gate", tmp_path, files) == []
    facts = facts_of(tmp_path / "again", files)
    assert any("differential test" in e.detail for e in gates(facts))


def test_a_prediction_sanity_test_is_still_no_differential_gate(tmp_path: Path) -> None:
    """Counter-check: probabilities that sum to one, from a model loaded from a file, are not
    compared with stored predictions; and a differential test CI never runs is no gate."""
    sanity = (
        "import joblib\nimport numpy as np\n\n\ndef test_sum():\n"
        "    model = joblib.load('model.pkl')\n    p = model.predict_proba(x)\n"
        "    assert np.isclose(p.sum(), 1.0)\n"
    )
    files: Files = {
        "train.py": TRAIN,
        "tests/test_sanity.py": sanity,
        ".github/workflows/ci.yml": WORKFLOW.format("pytest tests"),
    }
    assert check("no-evaluation-gate", tmp_path, files)
    unrun: Files = {"train.py": TRAIN, "tests/test_differential.py": DIFFERENTIAL}
    assert check("no-evaluation-gate", tmp_path / "unrun", unrun)


def test_runs_listed_by_start_time_are_not_the_best_run_chosen_by_a_metric(
    tmp_path: Path,
) -> None:
    health = (
        "import mlflow\nruns = mlflow.search_runs(experiment_ids=[e], max_results=1,\n"
        "                          order_by=['start_time DESC'])\n"
    )
    files: Files = {"train.py": TRAIN, "evaluate.py": EVAL, "health_check.py": health}
    assert check("no-evaluation-gate", tmp_path, files)
    best = health.replace("start_time DESC", "metrics.rmse ASC")
    best_files: Files = {**files, "health_check.py": best}
    assert check("no-evaluation-gate", tmp_path / "best", best_files) == []
