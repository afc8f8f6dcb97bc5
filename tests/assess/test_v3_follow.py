"""assess v3, fourth round (issue 22, branch a22p): pipelines and CI followed by structure
to the code they run. Each rule is stated for every repository and has a synthetic
repository here; every test failed on the engine before its rule (main at a3502e2), except
the counter-checks named ``..._still_...``/``..._is_not_...``, which guard the rule from going
too far and pass before and after."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.ci import evaluation_steps, gates
from catdetector.assess.facts import Facts
from tests.assess.builders import Files, facts_of

TRAIN = (
    "from sklearn.linear_model import LogisticRegression\n\n\n"
    "def train_and_save(X, y):\n    return LogisticRegression().fit(X, y)\n"
)
INGEST = "import pandas as pd\n\n\ndef main():\n    pd.read_csv('s3://bucket/x.csv')\n"


def _outside(facts: Facts) -> list[str]:
    """Paths the bus factor calls training outside any pipeline."""
    from catdetector.assess.busfactor import bus_factor

    return [e.file or "" for e in bus_factor(facts) if "outside any pipeline" in e.detail]


# ---------------------------------------------- 1. DAG tasks that run a container ------------
ECS_DAG = """\
from airflow import DAG
from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator


def _task(task_id, command):
    return EcsRunTaskOperator(
        task_id=task_id, cluster="c", task_definition="worker",
        overrides={"containerOverrides": [{"name": "worker", "command": command}]},
    )


with DAG(dag_id="ml") as dag:
    ingest = _task("ingest", command=["-m", "pipeline_worker.cli.ingest"])
    train = _task("train", command=["-m", "pipeline_worker.cli.{step}", "--seed", "1"])
    ingest >> train
"""
WORKER = "containers/worker/src/pipeline_worker"
CLI_TRAIN = "from pipeline_worker.train_utils import train_and_save\n\ntrain_and_save(1, 2)\n"


def _ecs_repo(step: str) -> Files:
    return {
        "dags/ml.py": ECS_DAG.replace("{step}", step),
        "containers/worker/Dockerfile": 'FROM python:3.11\nCOPY src ./src\nENTRYPOINT ["python"]\n',
        f"{WORKER}/__init__.py": "",
        f"{WORKER}/cli/__init__.py": "",
        f"{WORKER}/cli/ingest.py": INGEST,
        f"{WORKER}/cli/train.py": CLI_TRAIN,
        f"{WORKER}/train_utils.py": TRAIN,
    }


def test_a_dag_task_that_runs_a_container_is_followed_to_the_module_it_runs(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _ecs_repo("train"))
    assert facts.pipeline_trains
    assert f"{WORKER}/cli/train.py" in {s.file for s in facts.steps_of("dags/ml.py")}
    assert _outside(facts) == []


def test_a_container_task_that_runs_no_training_is_not_training_in_the_pipeline(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _ecs_repo("ingest"))  # both tasks ingest; training is beside
    assert not facts.pipeline_trains
    assert f"{WORKER}/train_utils.py" in _outside(facts)


DOCKER_DAG = """\
from airflow import DAG
from airflow.providers.docker.operators.docker import DockerOperator

with DAG(dag_id="nightly") as dag:
    DockerOperator(task_id="fit", image="ghcr.io/acme/trainer:{{ ds }}")
"""


def test_a_docker_operator_is_followed_to_the_image_compose_builds_and_its_cmd(
    tmp_path: Path,
) -> None:
    files: Files = {
        "dags/nightly.py": DOCKER_DAG,
        "docker-compose.yml": "services:\n  trainer:\n    build: ./trainer\n"
        "  api:\n    build: ./api\n",
        "trainer/Dockerfile": 'FROM python:3.11\nCOPY . .\nCMD ["python", "fit.py"]\n',
        "trainer/fit.py": TRAIN,
        "api/Dockerfile": 'FROM python:3.11\nCMD ["python", "app.py"]\n',
        "api/app.py": "print('serve')\n",
    }
    facts = facts_of(tmp_path, files)
    assert facts.pipeline_trains
    assert _outside(facts) == []


def test_a_kubernetes_pod_task_is_followed_through_a_docker_build_tag(tmp_path: Path) -> None:
    dag = (
        "from airflow import DAG\n"
        "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n"
        "with DAG(dag_id='k') as dag:\n"
        "    KubernetesPodOperator(task_id='t', image='registry.local/ml-job:1')\n"
    )
    files: Files = {
        "dags/k.py": dag,
        "Makefile": "image:\n\tdocker build -t registry.local/ml-job:1 -f build/Dockerfile ml\n",
        "build/Dockerfile": "FROM python:3.11\nCOPY . /ml\nCMD python -m jobs.fit_model --all\n",
        "ml/jobs/__init__.py": "",
        "ml/jobs/fit_model.py": TRAIN,
    }
    assert facts_of(tmp_path, files).pipeline_trains


def test_a_command_in_a_file_that_runs_no_container_is_still_not_followed(
    tmp_path: Path,
) -> None:
    dag = (
        "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n"
        "settings = {'command': ['-m', 'pipeline_worker.cli.train']}\n"
        "with DAG(dag_id='x') as dag:\n    BashOperator(task_id='t', bash_command='echo hi')\n"
    )
    files = {**_ecs_repo("train"), "dags/ml.py": dag}
    assert not facts_of(tmp_path, files).pipeline_trains


ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: nightly-}
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: ghcr.io/acme/{image}:latest
        args: ["--epochs", "3"]
"""

# two images: one whose entrypoint trains, one that only ingests
ARGO_IMAGES: Files = {
    "images/trainer/Dockerfile": 'FROM python:3.11\nCOPY . /app\nENTRYPOINT ["python", "-m", '
    '"fitting.run"]\n',
    "images/trainer/fitting/__init__.py": "",
    "images/trainer/fitting/run.py": TRAIN,
    "images/ingest/Dockerfile": 'FROM python:3.11\nCOPY . /app\nCMD ["python", "get.py"]\n',
    "images/ingest/get.py": INGEST,
}


def test_an_argo_workflow_container_is_followed_to_its_images_entrypoint(tmp_path: Path) -> None:
    files: Files = {**ARGO_IMAGES, "workflows/nightly.yaml": ARGO.replace("{image}", "trainer")}
    facts = facts_of(tmp_path, files)
    assert facts.pipeline_trains
    assert facts.ci_runs_training is not None


def test_an_argo_workflow_whose_image_does_not_train_is_still_not_training(
    tmp_path: Path,
) -> None:
    files: Files = {**ARGO_IMAGES, "workflows/nightly.yaml": ARGO.replace("{image}", "ingest")}
    facts = facts_of(tmp_path, files)
    assert not facts.pipeline_trains
    assert facts.ci_runs_training is None


def test_kubeflow_and_prefect_container_tasks_are_followed(tmp_path: Path) -> None:
    pipelines = {
        "kfp": "from kfp import dsl\n\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    dsl.ContainerOp(name='fit', image='trainer:1', arguments=['--all'])\n",
        "prefect": "from prefect import flow\nfrom prefect_docker import DockerContainer\n\n\n"
        "@flow\ndef nightly():\n"
        "    DockerContainer(image='trainer:1').run()\n",
    }
    for name, code in pipelines.items():
        files: Files = {
            "flows/pipeline.py": code,
            "trainer/Dockerfile": 'FROM python:3.11\nCOPY . /app\nCMD ["python", "fit.py"]\n',
            "trainer/fit.py": TRAIN,
        }
        assert facts_of(tmp_path / name, files).pipeline_trains, name


# ---------------------------------------------- 2. the legacy ZenML API ---------------------
LEGACY_PIPELINE = """\
from zenml.pipelines import pipeline


@pipeline(enable_cache=False)
def training_pipeline(loader, trainer, evaluator):
    data = loader()
    model = trainer(data)
    evaluator(model)
"""
RUN_SCRIPT = """\
from pipelines.training_pipeline import training_pipeline
from steps.loader import data_loader
from steps.model_trainer.sklearn_trainer import trainer
from steps.evaluator import evaluator

run = training_pipeline(loader=data_loader(), trainer={trainer}, evaluator=evaluator())

if __name__ == "__main__":
    run.run()
"""
STEP = "from zenml.steps import step\n\n\n@step\ndef {name}():\n    return 1\n"


def _zenml_repo(trainer: str) -> Files:
    return {
        "titanic/pipelines/__init__.py": "",
        "titanic/pipelines/training_pipeline.py": LEGACY_PIPELINE,
        "titanic/pipelines/deploying_pipeline.py": LEGACY_PIPELINE.replace("training", "deploy"),
        "titanic/run_training_pipeline.py": RUN_SCRIPT.replace("{trainer}", trainer),
        "titanic/steps/loader.py": STEP.replace("{name}", "data_loader"),
        "titanic/steps/evaluator.py": STEP.replace("{name}", "evaluator"),
        "titanic/steps/model_trainer/sklearn_trainer.py": "from zenml.steps import step\n"
        + TRAIN
        + "\n\n@step\ndef trainer(X, y):\n    return train_and_save(X, y)\n",
    }


def test_a_legacy_zenml_pipeline_wired_with_step_instances_has_its_training_step(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _zenml_repo("trainer()"))
    assert facts.pipeline_trains
    steps = {s.file for s in facts.steps_of("titanic/pipelines/training_pipeline.py")}
    assert "titanic/steps/model_trainer/sklearn_trainer.py" in steps
    assert _outside(facts) == []


def test_a_pipeline_wired_without_its_training_step_is_still_not_training(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _zenml_repo("evaluator()"))  # the trainer is never wired in
    assert not facts.pipeline_trains


# ---------------------------------------------- 3. Azure ML components and steps ----------
AML_V2 = """\
import os
from azure.ai.ml import MLClient, load_component
from azure.ai.ml.dsl import pipeline


def build(client: MLClient):
    parent_dir = os.path.join(os.getcwd(), "mlops/taxi/components")
    prep = load_component(source=parent_dir + "/prep.yml")
    train = load_component(source=parent_dir + "/{component}.yml")

    @pipeline()
    def taxi(data):
        train(training_data=prep(raw=data).outputs.out)

    client.jobs.create_or_update(taxi(None))
"""
COMPONENT = (
    "$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\n"
    "type: command\ncode: ./../../../\n"
    "command: >-\n  python -m src.taxi.{module}.run\n  --data ${{inputs.training_data}}\n"
)


def _aml_repo(component: str) -> Files:
    return {
        "mlops/taxi/src/mlops_pipeline.py": AML_V2.replace("{component}", component),
        "mlops/taxi/components/prep.yml": COMPONENT.replace("{module}", "prep"),
        "mlops/taxi/components/train.yml": COMPONENT.replace("{module}", "train"),
        "src/taxi/prep/run.py": INGEST,
        "src/taxi/train/run.py": TRAIN,
    }


def test_azure_ml_v2_components_are_followed_into_their_yaml_and_command(
    tmp_path: Path,
) -> None:
    facts = facts_of(tmp_path, _aml_repo("train"))
    assert facts.pipeline_trains
    assert _outside(facts) == []


def test_azure_ml_v2_components_that_do_not_train_are_still_not_training(
    tmp_path: Path,
) -> None:
    assert not facts_of(tmp_path, _aml_repo("prep")).pipeline_trains


def test_a_yaml_pipeline_job_is_followed_through_its_components(tmp_path: Path) -> None:
    files: Files = {
        "jobs/pipeline.yml": "$schema: https://azuremlschemas.azureedge.net/latest/"
        "pipelineJob.schema.json\ntype: pipeline\nentrypoint: x\njobs:\n  fit:\n"
        "    component: ./fit.yml\n",
        "jobs/fit.yml": "type: command\ncode: ../model\ncommand: python fit.py --epochs 3\n",
        "model/fit.py": TRAIN,
    }
    assert facts_of(tmp_path, files).pipeline_trains


AML_V1 = """\
from azureml.pipeline.core import Pipeline
from azureml.pipeline.steps import PythonScriptStep


def build(ws, compute):
    train = PythonScriptStep(name="train", script_name="train_step.py",
                             source_directory="steps", compute_target=compute)
    evaluate = PythonScriptStep(name="evaluate", script_name="evaluate_step.py",
                                source_directory="steps", compute_target=compute)
    return Pipeline(workspace=ws, steps=[train, evaluate])
"""
EVALUATE_STEP = """\
from azureml.core import Run

run = Run.get_context()
new_model_accuracy = run.parent.get_metrics().get("accuracy")
production_model_accuracy = 0.5
if (new_model_accuracy > production_model_accuracy):
    print("register the new model")
else:
    print("worse than production: cancel")
    run.parent.cancel()
"""


def test_an_azure_ml_v1_script_step_is_followed_and_its_cancelling_evaluation_is_a_gate(
    tmp_path: Path,
) -> None:
    files: Files = {
        "pipeline/build.py": AML_V1,
        "steps/train_step.py": TRAIN,
        "steps/evaluate_step.py": EVALUATE_STEP,
    }
    facts = facts_of(tmp_path, files)
    assert any(e.file == "steps/evaluate_step.py" for e in evaluation_steps(facts))
    assert any(e.file == "steps/evaluate_step.py" and e.line == 6 for e in gates(facts))
    steps = {s.file for s in facts.steps_of("pipeline/build.py")}
    assert {"steps/train_step.py", "steps/evaluate_step.py"} <= steps
    assert facts.pipeline_trains


def test_a_step_that_only_checks_its_input_is_still_no_evaluation_gate(tmp_path: Path) -> None:
    validate = (
        "import sys\nimport pandas as pd\n\ndf = pd.read_csv('x.csv')\n"
        "if len(df) < 10:\n    raise SystemExit('too few rows')\n"
        "if df.shape[0] > 1_000_000:\n    sys.exit(1)\n"
    )
    timeout = (
        "import time\n\n\ndef watch(job, started):\n"
        "    if time.time() - started > 3600:\n        job.cancel()\n"
    )
    files: Files = {
        "pipeline/build.py": AML_V1,
        "pipeline/watchdog.py": timeout,  # reads no metric: a timeout is not a quality gate
        "steps/train_step.py": TRAIN,
        "steps/evaluate_step.py": validate,  # evaluates nothing: raising is input checking
    }
    facts = facts_of(tmp_path, files)
    assert not evaluation_steps(facts)
    stepped = {"steps/evaluate_step.py", "pipeline/watchdog.py"}
    assert not any(e.file in stepped for e in gates(facts))


# ---------------------------------------------- 4. task runners calling Python -----------
TASKS = """\
from invoke import task


@task
def lint(c):
    c.run("ruff check .")


@task
def test(c):
    c.run("pytest -q")


@task(help={"config": "model config"})
def train(c, config="configs/model.yaml"):
    # Lazy import: keep tasks lightweight unless the command is used
    from src.models.processor import run_training

    run_training(config)
"""
PROCESSOR = TRAIN + "\n\ndef run_training(config):\n    return train_and_save(1, 2)\n"


def _ci(command: str) -> str:
    return (
        "on: [push]\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - run: {command}\n"
    )


def test_an_invoke_task_that_imports_training_lazily_is_followed_to_it(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": _ci("uv run -m invoke train --config configs/model.yaml"),
        "tasks.py": TASKS,
        "src/models/processor.py": PROCESSOR,
    }
    facts = facts_of(tmp_path, files)
    command = facts.ci_runs_training
    assert command is not None and command.file == "src/models/processor.py"
    assert facts.pipeline_trains and _outside(facts) == []


def test_an_invoke_task_ci_does_not_run_is_still_not_followed(tmp_path: Path) -> None:
    files: Files = {
        ".github/workflows/ci.yml": _ci("invoke test"),
        "tasks.py": TASKS,
        "src/models/processor.py": PROCESSOR,
    }
    facts = facts_of(tmp_path, files)
    assert facts.ci_tests is not None  # the test task runs pytest
    assert facts.ci_runs_training is None


def test_nox_poe_and_just_tasks_that_run_a_module_are_followed_to_it(tmp_path: Path) -> None:
    noxfile = (
        "import nox\n\n\n@nox.session\ndef train(session):\n"
        "    session.install('.')\n    session.run('python', '-m', 'acme.pipeline.fit')\n"
    )
    runners = {
        "nox": ({"noxfile.py": noxfile}, "nox -s train"),
        "poe": ({"pyproject.toml": '[tool.poe.tasks.fit]\nscript = "acme.pipeline.fit:main"\n'},
                "poe fit"),
        "just": ({"justfile": "fit:\n    uv run python -m acme.pipeline.fit\n"}, "just fit"),
    }  # fmt: skip
    for name, (files, command) in runners.items():
        root = tmp_path / name
        facts = facts_of(root, {
            **files,
            ".github/workflows/ci.yml": _ci(command),
            "src/acme/__init__.py": "",
            "src/acme/pipeline/__init__.py": "",
            "src/acme/pipeline/fit.py": TRAIN + "\n\ndef main():\n    train_and_save(1, 2)\n",
        })  # fmt: skip
        found = facts.ci_runs_training
        assert found is not None and found.file == "src/acme/pipeline/fit.py", name


# ---------------------------------------------- 5. CI trigger filters ---------------------
def test_ci_trigger_filters_and_action_inputs_do_not_run_the_files_they_name(
    tmp_path: Path,
) -> None:
    workflows: Files = {
        ".github/workflows/ci.yml": (
            "on:\n  push:\n    paths:\n      - 'src/**'\n      - 'train.py'\n"
            "jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: astral-sh/ruff-action@v3\n        with:\n"
            '          src: "src/ train.py"\n'
            "      - run: pytest tests -q\n"
        ),
        ".gitlab-ci.yml": "test:\n  stage: test\n  script:\n    - pytest\n"
        "  rules:\n    - changes:\n        - train.py\n",
        "azure-pipelines.yml": "trigger:\n  paths:\n    include:\n      - train.py\n"
        "steps:\n  - script: pytest\n",
        "train.py": TRAIN,
    }
    facts = facts_of(tmp_path, workflows)
    assert facts.ci_tests is not None
    assert facts.ci_runs_training is None
    assert "train.py" in _outside(facts)


def test_a_step_that_runs_the_file_a_filter_names_still_runs_it(tmp_path: Path) -> None:
    workflow = (
        "on:\n  push:\n    paths: ['train.py']\n"
        "jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: appleboy/ssh-action@v1\n        with:\n"
        "          script: |\n            cd app\n            python ../train.py\n"
    )
    facts = facts_of(tmp_path, {".github/workflows/ci.yml": workflow, "train.py": TRAIN})
    command = facts.ci_runs_training
    assert command is not None and command.line == 12


# ---------------------------------------------- 6. scripts, actions and shells CI runs -----
MAIN = """\
import argparse

from src.models.processor import {name}

if __name__ == "__main__":
    args = argparse.ArgumentParser().parse_args()
    {name}(args)
"""
PROCESSOR_WITH_PREDICT = PROCESSOR + "\n\ndef predict(model, X):\n    return model.predict(X)\n"


def test_a_script_ci_runs_that_calls_a_training_function_it_imports_runs_training(
    tmp_path: Path,
) -> None:
    files: Files = {
        ".github/workflows/ci.yml": _ci("python main.py --config c.yaml"),
        "main.py": MAIN.replace("{name}", "run_training"),
        "src/models/processor.py": PROCESSOR_WITH_PREDICT,
    }
    facts = facts_of(tmp_path, files)
    command = facts.ci_runs_training
    assert command is not None and command.file == "main.py" and command.line == 7
    assert facts.pipeline_trains


def test_a_script_ci_runs_that_calls_a_function_that_does_not_train_is_not_training(
    tmp_path: Path,
) -> None:
    files: Files = {
        ".github/workflows/ci.yml": _ci("python main.py --config c.yaml"),
        "main.py": MAIN.replace("{name}", "predict"),  # the module trains elsewhere
        "src/models/processor.py": PROCESSOR_WITH_PREDICT,
    }
    assert facts_of(tmp_path, files).ci_runs_training is None


def test_a_local_composite_action_and_a_makefile_python_variable_are_followed(
    tmp_path: Path,
) -> None:
    action = (
        "name: train\nruns:\n  using: composite\n  steps:\n    - run: make fit\n      shell: bash\n"
    )
    files: Files = {
        ".github/workflows/ci.yml": _ci("echo go").replace(
            "      - run: echo go\n", "      - uses: ./.github/actions/train\n"
        ),
        ".github/actions/train/action.yml": action,
        "Makefile": "PYTHON ?= .venv/bin/python\nfit:\n\t$(PYTHON) -m acme.fit\n",
        "src/acme/__init__.py": "",
        "src/acme/fit.py": TRAIN + "\n\ntrain_and_save(1, 2)\n",
    }
    command = facts_of(tmp_path, files).ci_runs_training
    assert command is not None and command.file == "src/acme/fit.py"


def test_a_bash_task_and_an_image_cmd_with_container_paths_are_followed(tmp_path: Path) -> None:
    bash_dag = (
        "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n"
        "with DAG(dag_id='b') as dag:\n"
        "    BashOperator(task_id='t', bash_command='cd /opt/airflow && python -m jobs.fit_all')\n"
    )
    docker_dag = DOCKER_DAG
    cases: dict[str, Files] = {
        "bash": {"dags/b.py": bash_dag, "src/jobs/__init__.py": "", "src/jobs/fit_all.py": TRAIN},
        "image": {
            "dags/nightly.py": docker_dag,
            "docker-compose.yml": "services:\n  trainer:\n    build: ./trainer\n",
            "trainer/Dockerfile": 'FROM python:3.11\nCOPY . /app\nCMD ["python", "/app/fit.py"]\n',
            "trainer/fit.py": TRAIN.replace("train_and_save", "make_model"),
        },
    }
    for name, files in cases.items():
        assert facts_of(tmp_path / name, files).pipeline_trains, name


def test_an_image_ci_runs_is_followed_to_its_dockerfile_and_build_context(tmp_path: Path) -> None:
    for name, command in {"compose": "docker compose run --rm trainer", "run": "docker run -e "
                          "SEED=1 ghcr.io/acme/trainer:latest"}.items():  # fmt: skip
        files: Files = {
            ".github/workflows/ci.yml": _ci(command),
            "docker-compose.yml": "services:\n  trainer:\n    build: ./trainer\n"
            "    image: ghcr.io/acme/trainer\n",
            "trainer/Dockerfile": 'FROM python:3.11\nCOPY . /app\nCMD ["python", "fit.py"]\n',
            "trainer/fit.py": TRAIN.replace("train_and_save", "make_model"),
        }
        command_found = facts_of(tmp_path / name, files).ci_runs_training
        assert command_found is not None and command_found.file == "trainer/fit.py", name
