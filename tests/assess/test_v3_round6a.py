"""assess v3, sixth round (issue 22, branch f4a): general rules for pipelines, CI, gates and
data, written from the defect classes the spent blind sets showed (blind2, blind3), each as a
small synthetic repository. Every test here fails on the engine before its rule (main at
a287533), except the counter-checks named ``..._still_...``, which guard the rule from going
too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.checks import get_check
from catdetector.assess.evalgates import code_gates, gate_lines
from tests.assess.builders import TRAIN, WORKFLOW, Files, check, facts_of

# ------------------------------------------- gates through an assigned boolean --------------
CHAMPION = (
    "from google.cloud import aiplatform as aip\n\n\n"
    "def update_best(challenger, champion, lower_is_better):\n"
    "    m_champ = champion.get_model_evaluation().metrics['rmse']\n"
    "    m_chall = challenger.get_model_evaluation().metrics['rmse']\n"
    "    challenger_wins = (m_chall < m_champ) if lower_is_better else (m_chall > m_champ)\n"
    "    if challenger_wins:\n"
    "        registry.add_version_aliases(['default'], challenger.version_id)\n"
)
STEP_PROMOTION = (
    "def promote(latest_metric: float, current_metric: float, model) -> None:\n"
    "    should_promote = True\n"
    "    if latest_metric >= current_metric:\n"
    "        print('latest is better')\n"
    "    else:\n"
    "        should_promote = False\n"
    "    if should_promote:\n"
    "        model.set_stage(stage='production', force=True)\n"
)


def test_a_comparison_held_in_a_boolean_that_moves_an_alias_is_a_gate() -> None:
    assert gate_lines(CHAMPION) == [8]


def test_a_flag_a_metric_comparison_clears_is_a_gate_on_a_step_handed_metrics() -> None:
    assert gate_lines(STEP_PROMOTION) == [7]


def test_a_boolean_that_does_not_hold_a_comparison_is_still_no_gate() -> None:
    text = STEP_PROMOTION.replace("    else:\n        should_promote = False\n", "")
    text = text.replace("if latest_metric >= current_metric:", "if latest_metric:")
    assert gate_lines(text) == []


def test_a_boolean_from_a_comparison_that_acts_on_nothing_is_still_no_gate() -> None:
    text = CHAMPION.replace(
        "registry.add_version_aliases(['default'], challenger.version_id)", "print('wins')"
    )
    assert gate_lines(text) == []


def test_an_early_stopping_flag_is_still_no_gate() -> None:
    text = (
        "def fit(model, epochs, val_metric):\n"
        "    best, stop = 1e9, False\n"
        "    for _ in range(epochs):\n"
        "        if val_metric < best:\n"
        "            best = val_metric\n"
        "        else:\n"
        "            stop = True\n"
        "        if stop:\n"
        "            break\n"
    )
    assert gate_lines(text) == []


def test_the_boolean_gate_clears_no_evaluation_gate(tmp_path: Path) -> None:
    files: Files = {
        "src/train.py": "from sklearn.linear_model import LogisticRegression\n"
        "m = LogisticRegression().fit(X, y)\n",
        "src/update_best.py": CHAMPION,
        ".github/workflows/ci.yml": WORKFLOW.format("pytest"),
    }
    assert check("no-evaluation-gate", tmp_path, files) == []


# ---------------------------------------- CI that runs the pipeline through a test --------
PIPELINE_PKG: Files = {
    "template/steps/__init__.py": "from .trainer import model_trainer\n",
    "template/steps/trainer.py": (
        "from sklearn.linear_model import LogisticRegression\nfrom zenml import step\n\n\n"
        "@step\ndef model_trainer(X, y):\n    return LogisticRegression(random_state=1).fit(X, y)\n"
    ),
    "template/pipelines/__init__.py": "from .training import demo_training\n",
    "template/pipelines/training.py": (
        "from steps import model_trainer\nfrom zenml import pipeline\n\n\n"
        "@pipeline\ndef demo_training():\n    model_trainer(X=1, y=2)\n"
    ),
    "template/run.py": (
        "from pipelines import demo_training\n\n\n"
        "def main():\n    demo_training.with_options(enable_cache=False)()\n\n\nmain()\n"
    ),
}
E2E_TEST = (
    "import subprocess\nimport sys\n\n\n"
    "def test_generated_project_runs(tmp_path):\n"
    "    call = [sys.executable, 'run.py', '--no-cache']\n"
    "    subprocess.check_output(call, cwd=str(tmp_path))\n"
)


def _e2e(step: str, test: str = E2E_TEST, where: str = "tests/e2e/test_template.py") -> Files:
    return {
        **PIPELINE_PKG,
        where: test,
        "tests/unit/test_util.py": "def test_one():\n    assert 1 == 1\n",
        ".github/workflows/ci.yml": WORKFLOW.format(step),
    }


def test_a_pytest_test_that_runs_the_entry_point_by_subprocess_is_ci_training(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _e2e("pytest tests"))
    assert facts.ci_runs_training is not None
    assert "tests/e2e/test_template.py" in facts.ci_runs_training.via
    assert get_check("no-ci-training").func(facts) == []


def test_a_test_path_under_the_folder_ci_checked_out_into_is_read_from_the_root(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _e2e("pytest ./local_checkout/tests"))
    assert facts.ci_runs_training is not None


def test_a_module_run_by_subprocess_with_an_assert_is_ci_training(tmp_path: Path) -> None:
    test = (
        "import subprocess\nimport sys\n\n\ndef test_cli():\n"
        "    done = subprocess.run([sys.executable, '-m', 'demo.train'])\n"
        "    assert done.returncode == 0\n"
    )
    files: Files = {"demo/__init__.py": "", "demo/train.py": TRAIN, "tests/test_cli.py": test,
             ".github/workflows/ci.yml": WORKFLOW.format("python -m pytest")}  # fmt: skip
    assert facts_of(tmp_path, files).ci_runs_training is not None


def test_still_no_ci_training_when_ci_runs_other_tests(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _e2e("pytest tests/unit"))
    assert facts.ci_runs_training is None


def test_still_no_ci_training_when_the_run_is_not_checked(tmp_path: Path) -> None:
    test = E2E_TEST.replace("subprocess.check_output(call,", "subprocess.run(call,")
    facts = facts_of(tmp_path, _e2e("pytest tests", test))
    assert facts.ci_runs_training is None


def test_still_no_ci_training_when_the_test_runs_a_script_that_does_not_train(
    tmp_path: Path,
) -> None:
    files = _e2e("pytest tests", E2E_TEST.replace("run.py", "lint.py"))
    files["lint.py"] = "print('ok')\n"
    assert facts_of(tmp_path, files).ci_runs_training is None


# ------------------------------------------------------------- a file a generator writes or not
def test_a_conditionally_named_step_file_is_read_as_code(tmp_path: Path) -> None:
    name = "template/steps/{% if compare %}promote_with_metric_compare.py{% endif %}"
    files: Files = {"template/steps/__init__.py": "", name: STEP_PROMOTION, "train.py": TRAIN}
    facts = facts_of(tmp_path, files)
    paths = {u.path for u in facts.source_units}
    assert "template/steps/promote_with_metric_compare.py" in paths
    assert code_gates(facts)


# ------------------------------------------------------------- Makefile variables -------------
MAKEFILE = (
    "suite ?= pipeline_run\n\n"
    "e2e-tests:\n"
    "\t@echo start && \\\n"
    "        cd pipelines && \\\n"
    "\tpytest tests/${TEMPLATE}/$(pipeline) -k $(suite)\n"
)
KFP_PIPELINE = (
    "from kfp import dsl\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
    "@dsl.component\ndef train_model(x: int) -> None:\n"
    "    LogisticRegression(random_state=0).fit([[0], [1]], [0, 1])\n\n\n"
    "@dsl.pipeline(name='training')\ndef training_pipeline(x: int = 1):\n"
    "    train_model(x=x)\n"
)
HANDED_TEST = (
    "from pipelines.training.pipeline import training_pipeline\n"
    "from tests.e2e.helpers import run_and_wait\n\n\n"
    "def test_pipeline_run():\n    run_and_wait(training_pipeline, enable_caching=False)\n"
)


def _make_repo(step: str) -> Files:
    return {
        "Makefile": MAKEFILE,
        "pipelines/src/pipelines/training/pipeline.py": KFP_PIPELINE,
        "pipelines/tests/xgboost/training/test_e2e.py": HANDED_TEST,
        "pipelines/tests/xgboost/prediction/test_e2e.py": "def test_x():\n    assert True\n",
        "pipelines/tests/e2e/helpers.py": "def run_and_wait(func, **kw):\n    func(**kw)\n",
        ".github/workflows/ci.yml": WORKFLOW.format(step),
    }


def test_a_make_variable_given_on_the_command_line_reaches_the_recipe(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _make_repo("make e2e-tests pipeline=training"))
    texts = [c.text for c in facts.ci_commands if c.file == "Makefile"]
    assert any("tests/${TEMPLATE}/training -k pipeline_run" in t for t in texts)
    assert facts.ci_runs_training is not None  # the test hands the pipeline to a helper
    assert "test_e2e.py" in facts.ci_runs_training.via


def test_an_environment_variable_before_make_overrides_only_a_weak_default(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _make_repo("pipeline=training suite=e2e make e2e-tests"))
    assert any("training -k e2e" in c.text for c in facts.ci_commands if c.file == "Makefile")
    files = _make_repo("suite=e2e make e2e-tests")
    files["Makefile"] = MAKEFILE.replace("suite ?=", "suite :=")
    texts = [c.text for c in facts_of(tmp_path / "b", files).ci_commands]
    assert any("-k pipeline_run" in t for t in texts)
    files[".github/workflows/ci.yml"] = WORKFLOW.format("suite=e2e make -e e2e-tests")
    texts = [c.text for c in facts_of(tmp_path / "c", files).ci_commands]
    assert any("-k e2e" in t for t in texts)


def test_still_no_ci_training_when_make_runs_the_other_pipelines_tests(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, _make_repo("make e2e-tests pipeline=prediction"))
    assert facts.ci_runs_training is None


# ------------------------------------------------------------- gates configured not to act ----
SCORE = "from sklearn.metrics import accuracy_score\n\nacc = accuracy_score(y, model.predict(X))\n"
TASKS = (
    "resources:\n  jobs:\n    model_job:\n      tasks:\n"
    "        - task_key: Train\n          notebook_task:\n            notebook_path: train.py\n"
    "        - task_key: ModelValidation\n          notebook_task:\n"
    "            notebook_path: validate.py\n            base_parameters:\n"
    "              run_mode: {mode}\n"
    "              validation_thresholds_loader: validation_thresholds\n"
)


def _validated(mode: str) -> Files:
    return {"train.py": TRAIN, "evaluate.py": SCORE,
            "assets/model-workflow.yml": TASKS.format(mode=mode)}  # fmt: skip


def test_a_validation_task_given_a_dry_run_mode_is_no_gate(tmp_path: Path) -> None:
    evidence = check("no-evaluation-gate", tmp_path, _validated("dry_run"))
    assert [e.detail for e in evidence] == ["evaluation (evaluation code) but no gate acts on it"]


def test_still_a_validation_task_in_its_enabled_mode_is_a_gate(tmp_path: Path) -> None:
    assert check("no-evaluation-gate", tmp_path, _validated("enabled")) == []


def _ci_gate(extra: str) -> Files:
    workflow = WORKFLOW.format("dvc metrics diff main --fail") + extra
    return {"train.py": TRAIN, "evaluate.py": SCORE,
            ".github/workflows/ci.yml": workflow}  # fmt: skip


def test_a_ci_gate_step_allowed_to_fail_is_no_gate(tmp_path: Path) -> None:
    evidence = check("no-evaluation-gate", tmp_path, _ci_gate("        continue-on-error: true\n"))
    assert evidence and "no gate acts" in evidence[0].detail


def test_still_a_ci_gate_step_that_must_pass_is_a_gate(tmp_path: Path) -> None:
    files = _ci_gate("        continue-on-error: false\n")
    assert check("no-evaluation-gate", tmp_path, files) == []


# ------------------------------------------------------------- training data read by a query --
FETCH = (
    "import pandas as pd\nimport psycopg2\n\n\n"
    "def fetch(conn):\n"
    "    return pd.read_sql('SELECT id, label, text FROM reviews', conn)\n"
)
SQL_TRAIN = (
    "from functions import data\nfrom sklearn.linear_model import LogisticRegression\n\n"
    "df = data.fetch(conn)\nm = LogisticRegression(random_state=0).fit(df[['id']], df.label)\n"
)


def _sql(fetch: str = FETCH) -> Files:
    return {"functions/__init__.py": "", "functions/data.py": fetch, "train.py": SQL_TRAIN}


def test_training_data_read_by_a_sql_query_is_unversioned(tmp_path: Path) -> None:
    evidence = check("no-data-versioning", tmp_path, _sql())
    assert [(e.file, e.line) for e in evidence] == [("functions/data.py", 6)]
    assert "SQL query" in evidence[0].detail


def test_still_a_query_of_a_table_version_is_dated(tmp_path: Path) -> None:
    fetch = FETCH.replace("FROM reviews", "FROM reviews VERSION AS OF 12")
    assert check("no-data-versioning", tmp_path, _sql(fetch)) == []


def test_still_a_query_of_a_file_database_the_code_opens_is_no_live_source(
    tmp_path: Path,
) -> None:
    fetch = FETCH.replace("import psycopg2", "import duckdb")
    assert check("no-data-versioning", tmp_path, _sql(fetch)) == []


def test_still_a_query_nothing_that_trains_imports_is_not_training_data(tmp_path: Path) -> None:
    files = _sql()
    files["train.py"] = SQL_TRAIN.replace("from functions import data\n", "").replace(
        "data.fetch(conn)", "pd.DataFrame()"
    )
    assert check("no-data-versioning", tmp_path, files) == []


# ------------------------------------------------------------- declared inputs that are absent --
CATALOG = (
    "raw_claims:\n  type: pandas.CSVDataset\n  filepath: data/01_raw/claims.csv\n\n"
    "features:\n  type: pandas.ParquetDataset\n  filepath: data/03_primary/features.pq\n"
)
KEDRO_PIPELINE = (
    "from kedro.pipeline import Pipeline, node\n\nfrom .nodes import prepare, train\n\n\n"
    "def create_pipeline(**kwargs):\n    return Pipeline([\n"
    "        node(prepare, inputs=['raw_claims', 'parameters'], outputs='features'),\n"
    "        node(train, inputs='features', outputs='model'),\n    ])\n"
)
KEDRO_NODES = (
    "from sklearn.linear_model import LogisticRegression\n\n\n"
    "def prepare(df, params):\n    return df\n\n\n"
    "def train(df):\n    return LogisticRegression(random_state=0).fit(df[['a']], df.y)\n"
)


def _kedro(catalog: str = CATALOG) -> Files:
    return {
        "proj/pyproject.toml": "[tool.kedro]\npackage_name = 'claims'\n",
        "proj/conf/base/catalog.yml": catalog,
        "proj/src/claims/pipelines/model/pipeline.py": KEDRO_PIPELINE,
        "proj/src/claims/pipelines/model/nodes.py": KEDRO_NODES,
    }


def test_a_catalog_input_that_is_not_here_is_unversioned_data(tmp_path: Path) -> None:
    evidence = check("no-data-versioning", tmp_path, _kedro())
    assert [(e.file, e.line) for e in evidence] == [("proj/conf/base/catalog.yml", 1)]
    assert "raw_claims" in evidence[0].detail


def test_still_a_catalog_input_in_the_repository_or_fetched_is_no_finding(tmp_path: Path) -> None:
    files = {**_kedro(), "proj/data/01_raw/claims.csv": "a,y\n1,0\n"}
    evidence = check("no-data-versioning", tmp_path / "here", files)
    assert not any("raw_claims" in e.detail for e in evidence)  # (the file is not in git)
    files = {**_kedro(), "get_data.sh": "wget -O data/01_raw/claims.csv https://x.org/c.csv\n"}
    assert check("no-data-versioning", tmp_path / "fetched", files) == []


def test_still_outputs_and_remote_inputs_are_no_finding(tmp_path: Path) -> None:
    remote = CATALOG.replace("data/01_raw/claims.csv", "s3://bucket/raw/claims.csv")
    assert check("no-data-versioning", tmp_path, _kedro(remote)) == []


def test_still_no_ci_training_when_pytest_deselects_the_marked_end_to_end_test(
    tmp_path: Path,
) -> None:
    marked = E2E_TEST.replace(
        "\n\n\ndef test_", "\n\nimport pytest\n\n\n@pytest.mark.e2e\ndef test_"
    )
    for i, step in enumerate(('pytest -m "not e2e" tests', "pytest tests --ignore=tests/e2e",
                              'pytest -k "not e2e" tests')):  # fmt: skip
        facts = facts_of(tmp_path / str(i), _e2e(step, marked))
        assert facts.ci_runs_training is None, step
    assert facts_of(tmp_path / "m", _e2e("pytest -m e2e tests", marked)).ci_runs_training


def test_still_a_flat_settings_file_with_a_threshold_is_a_gate(tmp_path: Path) -> None:
    settings = "min_accuracy: 0.9\nfail_fast: false\nlog_mode: off\n"
    files: Files = {"train.py": TRAIN, "evaluate.py": SCORE, "params.yaml": settings}
    assert check("no-evaluation-gate", tmp_path, files) == []


def test_still_no_ci_training_when_the_test_only_asks_for_help(tmp_path: Path) -> None:
    test = E2E_TEST.replace("'--no-cache'", "'--help'")
    assert facts_of(tmp_path, _e2e("pytest tests", test)).ci_runs_training is None


MLPROJECT = (
    "name: demo\nentry_points:\n  main:\n    parameters:\n"
    "      data: {type: path, default: data/train.csv}\n      alpha: {type: float, default: 0.5}\n"
    "    command: python train.py --data {data} --alpha {alpha}\n"
)
FLOW = (
    "from metaflow import FlowSpec, IncludeFile, Parameter, step\n\n\n"
    "class TrainFlow(FlowSpec):\n"
    "    data = IncludeFile('data', default='data/train.csv')\n"
    "    alpha = Parameter('alpha', default=0.5)\n\n"
    "    @step\n    def start(self):\n        self.next(self.end)\n\n"
    "    @step\n    def end(self):\n        pass\n"
)


def test_an_mlproject_or_flow_parameter_defaulting_to_absent_data_is_unversioned(
    tmp_path: Path,
) -> None:
    files: Files = {"MLproject": MLPROJECT, "train.py": TRAIN}
    evidence = check("no-data-versioning", tmp_path / "ml", files)
    assert [(e.file, e.line) for e in evidence] == [("MLproject", 5)]
    files = {"flow.py": FLOW, "train.py": TRAIN}
    evidence = check("no-data-versioning", tmp_path / "flow", files)
    assert [(e.file, e.line) for e in evidence] == [("flow.py", 5)]


def test_still_a_parameter_default_that_is_fetched_or_remote_is_no_finding(
    tmp_path: Path,
) -> None:
    fetch = "import urllib.request\n\nurllib.request.urlretrieve(URL, 'data/train.csv')\n"
    files: Files = {"MLproject": MLPROJECT, "train.py": TRAIN, "fetch.py": fetch}
    assert check("no-data-versioning", tmp_path / "fetched", files) == []
    files = {
        "flow.py": FLOW.replace("'data/train.csv'", "'s3://bucket/train.csv'"),
        "train.py": TRAIN,
    }
    assert check("no-data-versioning", tmp_path / "remote", files) == []


def test_still_a_parameter_default_an_earlier_step_writes_is_no_finding(tmp_path: Path) -> None:
    prepare = "import pandas as pd\n\npd.read_json(SOURCE).to_csv('data/train.csv')\n"
    files: Files = {"MLproject": MLPROJECT, "train.py": TRAIN, "prepare.py": prepare}
    assert check("no-data-versioning", tmp_path, files) == []
