"""assess v3, tenth round (issue 22, branch p9): rules from the spent sets and the repository
itself (docs/assess-checks.md, "Tenth round").

Every test fails on main before its fix (268b10a), except the near misses named
``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository, ci, registry
from tests.assess.builders import TRAIN, WORKFLOW, facts_of, write_tree

# --------------------------- 1. a gate compares a metric an evaluation computes ----------
EVALUATE = (
    "from sklearn.metrics import accuracy_score\nimport json\n"
    "print(accuracy_score(y, model.predict(X)))\n"
)
DEPLOY = """on: push
env:
  MIN_ACCURACY: 0.5
jobs:
  staging:
    runs-on: ubuntu-latest
    outputs:
      accuracy: ${{{{ steps.validate.outputs.accuracy }}}}
    steps:
      - id: validate
        run: |
          {write}
  production:
    needs: staging
    runs-on: ubuntu-latest
    steps:
      - run: |
          ACCURACY=${{{{ needs.staging.outputs.accuracy }}}}
          MIN=${{{{ env.MIN_ACCURACY }}}}
          if (( $(echo "$ACCURACY >= $MIN" | bc -l) )); then echo ok; else exit 1; fi
"""


def _gates(tmp_path: Path, write: str) -> list[str]:
    f = facts_of(tmp_path, {
        "train.py": TRAIN, "evaluate.py": EVALUATE,
        ".github/workflows/deploy.yml": DEPLOY.format(write=write),
    })  # fmt: skip
    return [e.detail for e in ci.gates(f)]


def test_a_threshold_compared_with_an_output_written_as_a_literal_is_no_gate(
    tmp_path: Path,
) -> None:
    # blind7 AkramBENHAMMOU-e: `echo "accuracy=0.64" >> $GITHUB_OUTPUT` ("a known value")
    assert _gates(tmp_path, 'echo "accuracy=0.64" >> $GITHUB_OUTPUT') == []


def test_a_threshold_compared_with_a_computed_metric_is_still_a_gate(tmp_path: Path) -> None:
    write = 'echo "accuracy=$(python evaluate.py)" >> $GITHUB_OUTPUT'
    assert _gates(tmp_path, write)


def test_a_cml_report_of_this_runs_metrics_alone_is_no_gate(tmp_path: Path) -> None:
    steps = "python train.py && cat metrics.json > report.md && cml comment create report.md"
    f = facts_of(tmp_path, {
        "train.py": TRAIN, "evaluate.py": EVALUATE,
        ".github/workflows/cml.yml": WORKFLOW.format(steps),
    })  # fmt: skip
    assert ci.gates(f) == []


def test_a_cml_report_of_a_metrics_diff_is_still_a_gate(tmp_path: Path) -> None:
    steps = "dvc metrics diff main --md > report.md && cml comment create report.md"
    f = facts_of(tmp_path, {
        "train.py": TRAIN, "evaluate.py": EVALUATE,
        ".github/workflows/cml.yml": WORKFLOW.format(steps),
    })  # fmt: skip
    assert ci.gates(f)


# ------------------------------- 2. a test suite CI runs that runs the pipeline -----------
SUPPORT = (
    "import subprocess\n\n\ndef run(args, cwd, check=True):\n"
    "    proc = subprocess.run([args[0], *args[1:]], cwd=cwd, capture_output=True)\n"
    "    if check and proc.returncode:\n        raise AssertionError(proc.stderr)\n"
    "    return proc\n"
)
E2E = (
    "from tests.support import run\n\n\ndef test_pipeline(tmp_path):\n"
    "    run(['mytool', 'init', str(tmp_path)], tmp_path)\n"
    "    run(['dvc', 'repro', '-q'], tmp_path)\n"
    "    assert (tmp_path / 'model.pkl').exists()\n"
)
TOOL_TRAIN = (
    "from sklearn.linear_model import LogisticRegression\n\n\n"
    "def main():\n    LogisticRegression().fit(X, y)\n"
)


def test_a_test_ci_runs_that_runs_dvc_repro_through_a_helper_is_ci_training(
    tmp_path: Path,
) -> None:
    # the catdetector repository: `.ci/run` runs the README's pytest command, read at run
    # time (`bash -c "$test_cmd"`); its tests run `dvc repro` in projects they make
    f = facts_of(tmp_path, {
        "src/mytool/train.py": TOOL_TRAIN,
        "tests/support.py": SUPPORT,
        "tests/test_e2e.py": E2E,
        "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        ".ci/run": '#!/bin/bash\ncase "$test_cmd" in\n  *pytest*) ;;\nesac\nbash -c "$test_cmd"\n',
    })  # fmt: skip
    command = f.ci_runs_training
    assert command is not None and command.file == "tests/test_e2e.py"
    assert "dvc repro" in command.text


def test_dvc_repro_in_a_test_of_a_repository_that_trains_nothing_is_still_not_training(
    tmp_path: Path,
) -> None:
    f = facts_of(tmp_path, {
        "src/mytool/copy.py": "import shutil\n\n\ndef main():\n    shutil.copy('a', 'b')\n",
        "tests/support.py": SUPPORT,
        "tests/test_e2e.py": E2E,
        ".github/workflows/ci.yml": WORKFLOW.format("pytest tests"),
    })  # fmt: skip
    assert f.ci_runs_training is None


# ------------------------------ 3. copied projects are not the repository's evidence -------
COPY_DVC = (
    "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - data/raw\n      - train.py\n"
    "    outs:\n      - models/model.pkl\n"
)
RAW_DVC = "outs:\n- md5: 0a.dir\n  path: raw\n"


def test_a_copied_projects_pipeline_and_model_outputs_are_not_the_repositorys(
    tmp_path: Path,
) -> None:
    # catdetector: tests/release/fixtures/before-int8/ (its own dvc.yaml) made "stage train
    # reads .../data/raw" a data-versioning finding and its outputs a versioned model
    copy = "tests/fixtures/old-project/"
    f = facts_of(tmp_path, {
        "train.py": TRAIN,
        copy + "dvc.yaml": COPY_DVC,
        copy + "train.py": TRAIN,
        copy + "data/raw.dvc": RAW_DVC,
    })  # fmt: skip
    assert f.stages == [] and f.dvc_files == []
    assert not any(e.file and e.file.startswith(copy) for e in f.pipelines)
    assert not registry.model_versioned(f)


def test_the_same_project_at_the_root_is_still_the_repositorys(tmp_path: Path) -> None:
    f = facts_of(tmp_path, {
        "train.py": TRAIN, "dvc.yaml": COPY_DVC, "data/raw.dvc": RAW_DVC,
    })  # fmt: skip
    assert [s.name for s in f.stages] == ["train"] and registry.model_versioned(f)


# ----------------------- 4. a pretrained model behind one call is ML ------------------------
def test_serving_a_detoxify_model_is_ml(tmp_path: Path) -> None:
    # blind7 aelquarati/toxicity-app: `Detoxify('original')` served by Flask (judges 0 / 1)
    write_tree(tmp_path, {
        "backend/predict.py": "from detoxify import Detoxify\n\nMODEL = Detoxify('original')\n\n\n"
        "def predict(text):\n    return MODEL.predict(text)\n",
        "backend/app.py": "from flask import Flask, request\nfrom predict import predict\n\n"
        "app = Flask(__name__)\n\n\n@app.post('/predict')\ndef route():\n"
        "    return predict(request.get_json()['text'])\n",
        "backend/requirements.txt": "flask==3.0.0\ndetoxify==0.4.0\n",
    })  # fmt: skip
    assert assess_repository(tmp_path).level is not None


def test_the_same_app_calling_a_rule_list_is_still_not_ml(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "backend/predict.py": "BAD = {'idiot'}\n\n\ndef predict(text):\n"
        "    return any(w in BAD for w in text.split())\n",
        "backend/app.py": "from flask import Flask, request\nfrom predict import predict\n\n"
        "app = Flask(__name__)\n\n\n@app.post('/predict')\ndef route():\n"
        "    return predict(request.get_json()['text'])\n",
        "backend/requirements.txt": "flask==3.0.0\n",
    })  # fmt: skip
    assert assess_repository(tmp_path).level is None
