"""Ninth round (issue 22, from the spent blind6): where a structural proof over-reached, each
narrowed by what the risk is, with the CRITICAL tree that stays CRITICAL beside the near miss
that becomes HIGH or LOW. Tests marked "was critical" fail on main before this round
(cc0c691)."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.model import Finding
from tests.assess.builders import FAKE_AWS_KEY_ID, Files, facts_of, notebook, write_tree

TRAIN = (
    "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "df = pd.read_csv('data/rows.csv')\n"
    "model = LogisticRegression(random_state=0).fit(df.drop(columns=['y']), df['y'])\n"
    "joblib.dump(model, 'models/model.pkl')\n"
)
SERVE = (
    "import joblib\nimport pandas as pd\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    "model = joblib.load('models/model.pkl')\n\n\n@app.post('/predict')\n"
    "def predict(row: dict) -> dict:\n    X = pd.DataFrame([row])\n"
    "    return {'y': int(model.predict(X)[0])}\n"
)
REQS = {"requirements.txt": "scikit-learn==1.4.2\npandas==2.2.0\nfastapi==0.110.0\n"}


def _finding(root: Path, files: Files, check_id: str) -> Finding | None:
    write_tree(root, files)
    return assess_repository(root).finding(check_id)


def _proof(found: Finding | None) -> str:
    assert found is not None
    return found.evidence[0].proof or ""


# ------------------------------------------------ proof 2: published sample keys ----------
def _lakefs(key_id: str) -> Files:
    return {
        "train.py": TRAIN,
        "config.py": f'LAKEFS_ACCESS_KEY = "{key_id}"  # a sample access key\n',
        "docker-compose.yml": "services:\n  lakefs:\n    image: treeverse/lakefs:1.0.0\n"
        f"    environment:\n      - LAKEFS_INSTALLATION_ACCESS_KEY_ID={key_id}\n",
    }


def test_a_vendors_published_sample_key_id_is_no_secret(tmp_path: Path) -> None:
    """was critical: lakeFS's documented sample key (as AWS's AKIAIOSFODNN7EXAMPLE) spells
    SAMPLES; a generated key id spells no word, so it is a published sample, not a leak."""
    found = _finding(tmp_path, _lakefs("AKIAIOSFOLKFSSAMPLES"), "secrets-committed")
    assert found is None or found.severity in ("low", "medium")


def test_a_generated_key_id_in_the_same_place_stays_critical(tmp_path: Path) -> None:
    found = _finding(tmp_path, _lakefs(FAKE_AWS_KEY_ID), "secrets-committed")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 2: a credential by its format")


# ------------------------------------------------ proof 3: who makes the shipped model -----
def _nb_then_script(nb_save: str, script_save: str) -> Files:
    return {
        **REQS,
        "notebooks/explore.ipynb": notebook(
            "import joblib\nimport pandas as pd\n"
            "from sklearn.linear_model import LogisticRegression",
            "df = pd.read_csv('data/rows.csv')\n"
            "model = LogisticRegression().fit(df.drop(columns=['y']), df['y'])",
            nb_save,
        ),
        "src/paths.py": "from pathlib import Path\nMODEL = Path('models') / ('model' + '.pkl')\n",
        "src/train.py": TRAIN.replace("'models/model.pkl'", script_save),
        "app.py": SERVE,
    }


def test_a_commented_out_save_in_a_notebook_makes_nothing(tmp_path: Path) -> None:
    """was critical: the notebook's `# joblib.dump(model, 'models/model.pkl')` runs nothing;
    a script saves the served file through a path object (the blind6 NLP project)."""
    files = _nb_then_script("# joblib.dump(model, 'models/model.pkl')", "paths.MODEL")
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "high" and found.lowers_level


def test_a_notebook_reading_the_served_file_does_not_make_it(tmp_path: Path) -> None:
    """was critical: loading `model.pkl` (to evaluate it) names it, but makes nothing; nor
    does a notebook that saves `best_model.pkl` make `model.pkl`."""
    files = _nb_then_script(
        "old = joblib.load('/kaggle/input/run/model.pkl')\njoblib.dump(model, 'best_model.pkl')",
        "paths.MODEL",
    )
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "high"


def test_a_notebook_that_saves_the_served_file_stays_critical(tmp_path: Path) -> None:
    files = _nb_then_script("joblib.dump(model, 'models/model.pkl')", "paths.MODEL")
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 3") and "notebooks" in _proof(found)


def test_a_notebook_saving_through_a_named_path_stays_critical(tmp_path: Path) -> None:
    files = _nb_then_script("path = 'models/model.pkl'\njoblib.dump(model, path)", "paths.MODEL")
    found = _finding(tmp_path, files, "bus-factor")
    assert found is not None and found.severity == "critical"


# ------------------------------------------------ proof 4: what serving loads -------------
STREAMLIT_EXPORT = (
    "import pickle\nimport pandas as pd\nimport streamlit as st\n"
    "from sklearn.linear_model import LogisticRegression\n\n"
    "df = pd.read_csv(st.file_uploader('data'))\n"
    "model = LogisticRegression().fit(df.drop(columns=['y']), df['y'])\n"
    "st.write(model.predict_proba(df.drop(columns=['y']))[:, 1].mean())\n"
    "if st.button('Export model'):\n"
    "    with open('logreg_model.pkl', 'wb') as f:\n        pickle.dump(model, f)\n"
    "    st.success('Model exported to logreg_model.pkl')\n"
)


def test_an_app_that_exports_a_model_it_never_loads_has_no_proof_4(tmp_path: Path) -> None:
    """was critical: the app writes `logreg_model.pkl` for the user to take away and names
    it in a message; nothing loads it, so no served model is overwritten."""
    found = _finding(tmp_path, {**REQS, "app.py": STREAMLIT_EXPORT}, "no-rollback")
    assert found is not None and found.severity == "high"


def test_an_app_that_retrains_and_reloads_its_file_stays_critical(tmp_path: Path) -> None:
    app = STREAMLIT_EXPORT + "model = pickle.load(open('logreg_model.pkl', 'rb'))\n"
    found = _finding(tmp_path, {**REQS, "app.py": app}, "no-rollback")
    assert found is not None and found.severity == "critical"
    assert "logreg_model.pkl" in _proof(found)


def test_another_serving_file_naming_the_exported_file_stays_critical(tmp_path: Path) -> None:
    """The writer names it only to write it; a second app that serves the same file name
    (through a constant) is the load the proof needs."""
    serve = SERVE.replace(
        "model = joblib.load('models/model.pkl')",
        "MODEL_FILE = 'logreg_model.pkl'\nmodel = joblib.load(MODEL_FILE)",
    )
    files: Files = {**REQS, "app.py": STREAMLIT_EXPORT, "api.py": serve}
    found = _finding(tmp_path, files, "no-rollback")
    assert found is not None and found.severity == "critical"


# ------------------------------------------------ Azure ML CLI v2 jobs and components ------
AML_PIPELINE = (
    "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
    "type: pipeline\njobs:\n  train_job:\n    type: command\n"
    "    component: azureml:iris_train_model@latest\n"
)
AML_COMPONENT = (
    "$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\n"
    "type: command\nname: iris_train_model\ncode: ../../src\n"
    "command: >-\n  python -m pipeline.train --out ${{outputs.model_output}}\n"
)
AML_TRAIN = (
    "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "df = pd.read_csv('data/iris.csv')\n"
    "model = RandomForestClassifier(random_state=0).fit(df.drop(columns=['y']), df['y'])\n"
)


def _aml(component_name: str) -> Files:
    return {
        **REQS,
        "pipelines/train_evaluate.yml": AML_PIPELINE,
        "pipelines/components/train.yml": AML_COMPONENT.replace("iris_train_model", component_name),
        "src/pipeline/__init__.py": "",
        "src/pipeline/train.py": AML_TRAIN,
    }


def test_an_azure_ml_pipeline_job_trains_through_a_component_named_by_reference(
    tmp_path: Path,
) -> None:
    """was not a pipeline: an Azure ML (CLI v2) pipeline job is a declared pipeline, and its
    `component: azureml:NAME@latest` is the component YAML of this repository named NAME."""
    facts = facts_of(tmp_path, _aml("iris_train_model"))
    assert "pipelines/train_evaluate.yml" in facts.job_specs
    steps = facts.steps_of("pipelines/train_evaluate.yml")
    assert "src/pipeline/train.py" in {s.file for s in steps}
    assert facts.pipeline_trains


def test_a_component_reference_to_no_component_here_trains_nothing(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _aml("another_component"))
    assert facts.steps_of("pipelines/train_evaluate.yml") == []
    assert not facts.pipeline_trains


def test_a_yaml_that_merely_names_itself_like_the_component_is_not_a_job(tmp_path: Path) -> None:
    files = _aml("iris_train_model")
    files["pipelines/train_evaluate.yml"] = "type: pipeline\njobs:\n  a:\n    component: x\n"
    assert "pipelines/train_evaluate.yml" not in facts_of(tmp_path, files).job_specs


# ------------------------------------------------ what a `docker build` runs ---------------
def _ci_image(ci_run: str, dockerfile_tail: str) -> Files:
    return {
        **REQS,
        "training/train.py": TRAIN,
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\nCOPY training/ ./training/\n" + dockerfile_tail,
        ".github/workflows/image.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n"
        "    env:\n      DOCKERFILE_PATH: ./Dockerfile\n"
        f"    steps:\n      - uses: actions/checkout@v4\n      - run: {ci_run}\n",
    }


ENTRY_TRAINS = (
    "# Usage: docker run -e PHASE=train image\n"
    'ENTRYPOINT ["python", "training/train.py"]\n'
)


def test_ci_that_only_builds_an_image_whose_command_trains_runs_no_training(
    tmp_path: Path,
) -> None:
    """was "training that CI runs": `docker build` runs the Dockerfile's RUN steps; the
    image's ENTRYPOINT runs only where the image is run (here by hand), and neither a
    Dockerfile named in an env var nor a commented `docker run` runs it."""
    build = "docker build -t repo/img:${{ github.sha }} ."
    facts = facts_of(tmp_path, _ci_image(build, ENTRY_TRAINS))
    assert facts.ci_training is None
    assert not facts.pipeline_trains


def test_ci_that_runs_the_image_runs_its_training(tmp_path: Path) -> None:
    run = "docker build -t img . && docker run img"
    facts = facts_of(tmp_path, _ci_image(run, ENTRY_TRAINS))
    assert facts.ci_training is not None and facts.pipeline_trains


def test_a_build_step_that_trains_is_training_ci_runs(tmp_path: Path) -> None:
    files = _ci_image("docker build -t img .", "RUN python training/train.py\n")
    facts = facts_of(tmp_path, files)
    assert facts.ci_training is not None and facts.pipeline_trains


# ------------------------------------------------ proof 3: a model copied in ----------------
BATCH = (
    "from src.utils import load_ml_model, write_predictions\n\n"
    'MODEL_PATH = "src/log_model.joblib"\n\n\n'
    "def main() -> None:\n    model = load_ml_model(MODEL_PATH)\n"
    "    write_predictions(model.predict_proba([[1.0, 2.0]]))\n"
)
PRACTICE = TRAIN.replace("'models/model.pkl'", "'data/first_test/model.pkl'")


def _copied(**extra: str) -> Files:
    return {
        **REQS,
        "src/app.py": BATCH,
        "src/utils.py": "import joblib\n\n\ndef load_ml_model(path):\n"
        "    return joblib.load(path)\n\n\ndef write_predictions(p):\n    return p\n",
        "src/log_model.joblib": "\x80\x04binary model\n",
        "practice/dvc_training.py": PRACTICE,
        "dvc.yaml": "stages:\n  first_test:\n    cmd: python practice/dvc_training.py\n"
        "    deps:\n      - practice/dvc_training.py\n    outs:\n      - data/first_test\n",
        ".github/labeler.yml": "model:\n- src/log_model.joblib\n",
        **extra,
    }


def test_a_committed_model_only_its_user_names_is_copied_in_proof_3(tmp_path: Path) -> None:
    """was Level 1: a DVC stage trains a practice model, but the model the job predicts with
    is committed and nothing here makes or names it (the blind6 NBA job)."""
    write_tree(tmp_path, _copied())
    report = assess_repository(tmp_path)
    found = report.finding("bus-factor")
    assert found is not None and found.severity == "critical" and report.level == 0
    assert _proof(found).startswith("proof 3") and "log_model.joblib" in found.evidence[0].detail


def test_a_committed_model_a_config_names_is_not_copied_in(tmp_path: Path) -> None:
    files = _copied(**{"params.yaml": "model_path: src/log_model.joblib\n"})
    found = _finding(tmp_path, files, "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_a_committed_model_a_paths_module_names_for_others_is_not_copied_in(
    tmp_path: Path,
) -> None:
    """A paths class defines the name; training may write through it (`paths.models.log`)."""
    paths = "class models:\n    log = 'src/log_model.joblib'\n"
    found = _finding(tmp_path, _copied(**{"src/paths.py": paths}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_a_committed_model_its_user_writes_when_missing_is_not_copied_in(tmp_path: Path) -> None:
    app = BATCH + "\n\ndef refit(model) -> None:\n    import joblib\n"
    app += "    joblib.dump(model, MODEL_PATH)\n"
    found = _finding(tmp_path, _copied(**{"src/app.py": app}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_a_committed_sample_beside_a_model_registry_is_not_copied_in(tmp_path: Path) -> None:
    """A project that registers its models deploys the registered one (the blind6 Azure ML
    project's committed sample model for a custom scoring script is no copied-in model)."""
    register = (
        "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n"
        "m = LogisticRegression().fit([[0], [1]], [0, 1])\n"
        "mlflow.sklearn.log_model(m, 'model', registered_model_name='nba')\n"
    )
    found = _finding(tmp_path, _copied(**{"practice/register.py": register}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_ci_that_builds_an_image_and_runs_it_as_a_cloud_job_runs_its_training(
    tmp_path: Path,
) -> None:
    """A built image runs where CI runs or deploys it as a job (`gcloud run jobs deploy
    --image ... --execute-now`), not only under `docker run`."""
    run = "docker build -t $IMAGE_URI . && docker push $IMAGE_URI"
    files = _ci_image(run, ENTRY_TRAINS)
    workflow = str(files[".github/workflows/image.yml"])
    deploy = "      - run: gcloud run jobs deploy train --image $IMAGE_URI --execute-now\n"
    files[".github/workflows/image.yml"] = workflow + deploy
    facts = facts_of(tmp_path, files)
    assert facts.ci_training is not None and facts.pipeline_trains


# ------------------------------------------------ scikit-learn's cross-validation scores ---
CV_TRAIN = (
    "import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"
    "from sklearn.model_selection import cross_validate\n"
    "df = pd.read_csv('data/rows.csv')\nX, y = df.drop(columns=['y']), df['y']\n"
    "model = Ridge()\nresults = cross_validate(model, X, y, cv=8, return_train_score=True)\n"
    "test_score = np.mean(results['test_score'])\n{check}\n"
    "print(test_score)\n"
)


def test_an_assert_on_a_cross_validated_score_is_a_gate(tmp_path: Path) -> None:
    """was "no evaluation step": `cross_validate`/`cross_val_score` are scikit-learn's
    evaluation functions, and `assert test_score > 0.6` fails the run on a worse model (the
    blind6 movie project, level 2 for j8)."""
    files: Files = {"train.py": CV_TRAIN.format(check="assert test_score > 0.6")}
    assert _finding(tmp_path, files, "no-evaluation-gate") is None


def test_a_cross_validated_score_only_printed_is_no_gate(tmp_path: Path) -> None:
    files: Files = {"train.py": CV_TRAIN.format(check="")}
    found = _finding(tmp_path, files, "no-evaluation-gate")
    assert found is not None and "no gate acts on it" in found.evidence[0].detail


# ------------------------------------------------ one name rule for prediction files ------
PREP = "\n\ndef preprocess(df):\n    return df.fillna(0).astype(float)\n"
SCORE = (
    "import joblib\nimport pandas as pd\n\nmodel = joblib.load('models/model.pkl')\n\n\n"
    "def run(rows):\n    return model.predict(preprocess(pd.DataFrame(rows))).tolist()\n"
)


def test_a_batch_scoring_script_is_prediction_code_for_skew(tmp_path: Path) -> None:
    """was not compared: skew read only `predict*`/`infer*`/`serve*` files as prediction code,
    while the serving environment's rule also took Azure ML's `score.py` and `batch_*.py`;
    one rule now (`vocab.INFERENCE_NAME_RE`), so a batch scorer re-defining training's
    preprocessing is proof 1b."""
    files: Files = {**REQS, "train.py": TRAIN + PREP, "batch_scoring.py": SCORE + PREP}
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is not None and found.severity == "critical"
    assert _proof(found).startswith("proof 1b")


def test_a_helper_not_named_for_prediction_is_still_not_prediction_code(tmp_path: Path) -> None:
    files: Files = {**REQS, "train.py": TRAIN + PREP, "helpers.py": SCORE + PREP}
    found = _finding(tmp_path, files, "training-serving-skew")
    assert found is None or found.severity != "critical"


def test_a_committed_model_a_script_saves_through_a_variable_is_not_copied_in(
    tmp_path: Path,
) -> None:
    """A script that names the file and saves a model (`save_path = Path(...)`, then
    `model.save(save_path)`) may make it: not copied in (blind2's MNIST showcase)."""
    script = (
        "from pathlib import Path\nfrom src.models import Classifier\n\n"
        "model = Classifier()\nmodel.train_epochs(3)\n"
        "save_path = Path('src/log_model.joblib')\nmodel.save(save_path)\n"
    )
    found = _finding(tmp_path, _copied(**{"make_model.py": script}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_a_committed_model_a_computed_name_may_make_is_not_copied_in(tmp_path: Path) -> None:
    """A trainer saving `f"{name}.joblib"` may have written it (blind5's churn project)."""
    trainer = (
        "import joblib\nfrom pathlib import Path\n\n\ndef keep(model, name: str) -> None:\n"
        "    joblib.dump(model, Path('models') / f'{name}.joblib')\n"
    )
    found = _finding(tmp_path, _copied(**{"src/trainer.py": trainer}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_a_committed_model_a_notebook_names_by_its_stem_is_not_copied_in(tmp_path: Path) -> None:
    """`log_model(model, "log_model")` names the file's stem: that notebook may be its maker."""
    nb = notebook("import mlflow", "mlflow.sklearn.log_model(model, \"log_model\")")
    found = _finding(tmp_path, _copied(**{"notebooks/train.ipynb": nb}), "bus-factor")
    assert found is None or "copied in" not in found.evidence[0].detail


def test_ci_that_updates_a_cloud_run_job_to_the_built_image_runs_its_training(
    tmp_path: Path,
) -> None:
    run = "docker build -f Dockerfile -t $IMG . && docker push $IMG"
    files = _ci_image(run, ENTRY_TRAINS)
    workflow = str(files[".github/workflows/image.yml"])
    update = "      - run: gcloud run jobs update retrain --image $IMG\n"
    files[".github/workflows/image.yml"] = workflow + update
    facts = facts_of(tmp_path, files)
    assert facts.ci_training is not None and facts.pipeline_trains
