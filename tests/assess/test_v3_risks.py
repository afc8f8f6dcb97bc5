"""Risk rules on positive evidence (issue 22, item 1; fourth round, branch a22r).

Each rule is stated for every repository and read by structure, not by words. Each test
failed on the engine before its rule (main at a3502e2); the counter-checks
(``..._still_...``) pass before and after and keep the rule from going too far.
"""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.render import to_text
from tests.assess.builders import TRAIN, WORKFLOW, Files, check, facts_of, git_init, write_tree

# ------------------------------------------------------------- no-rollback: ways back -------
SAVE = (
    "import joblib\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "model = RandomForestClassifier(random_state=0).fit(X, y)\n"
    "joblib.dump(model, 'models/model.joblib')\n"
)
BUILD_PUSH = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dawidd6/action-download-artifact@v6
        with:
          name: trained-model
          path: models/
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: |
            ghcr.io/me/app:${{ github.sha }}
            ghcr.io/me/app:latest
"""
DOCKERFILE = 'FROM python:3.11-slim\nCOPY src/ src/\nCMD ["python", "-m", "src.serve"]\n'


def test_a_model_baked_into_an_image_tagged_per_commit_is_a_way_back(tmp_path: Path) -> None:
    """CI puts the trained model into the build context and pushes an image tagged with the
    commit; or the Dockerfile copies the model folder and CI tags the image by commit."""
    files: Files = {
        "src/train.py": SAVE,
        ".github/workflows/deploy.yml": BUILD_PUSH,
        "Dockerfile": DOCKERFILE,
    }
    assert check("no-rollback", tmp_path, files) == []
    gitlab = (
        "build:\n  script:\n    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .\n"
        "    - docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\n"
    )
    copied: Files = {
        "src/train.py": SAVE,
        ".gitlab-ci.yml": gitlab,
        "Dockerfile": DOCKERFILE + "COPY models/ models/\n",
    }
    assert check("no-rollback", tmp_path / "gitlab", copied) == []


def test_an_image_without_the_model_or_without_a_per_commit_tag_is_still_no_way_back(
    tmp_path: Path,
) -> None:
    latest: Files = {
        "src/train.py": SAVE,
        ".github/workflows/deploy.yml": BUILD_PUSH.replace(
            "ghcr.io/me/app:${{ github.sha }}\n", ""
        ),
        "Dockerfile": DOCKERFILE,
    }
    assert check("no-rollback", tmp_path / "latest", latest)
    no_model = BUILD_PUSH.replace(
        "      - uses: dawidd6/action-download-artifact@v6\n        with:\n"
        "          name: trained-model\n          path: models/\n",
        "",
    )
    empty: Files = {
        "src/train.py": SAVE,
        ".github/workflows/deploy.yml": no_model,
        "Dockerfile": DOCKERFILE,
    }
    assert check("no-rollback", tmp_path / "empty", empty)


PACKAGE_TRAIN = """\
import joblib
from sklearn.linear_model import Lasso

from regression_model.processing import preprocessors as pp

enc = pp.TargetEncoder()
enc.fit(y)
joblib.dump(enc, ENCODER_PATH)
pipe = Lasso(random_state=0).fit(X, y)
joblib.dump(pipe, "regression_model/trained_models/model.pkl")
"""


def test_a_model_published_as_a_versioned_package_is_a_way_back(tmp_path: Path) -> None:
    """Training saves the model inside a package; CI builds and uploads it; the API pins it."""
    files: Files = {
        "packages/regression_model/setup.py": "from setuptools import setup\n"
        "setup(name='regression_model', version=open('VERSION').read())\n",
        "packages/regression_model/regression_model/VERSION": "2.0.20\n",
        "packages/regression_model/regression_model/train_pipeline.py": PACKAGE_TRAIN,
        "scripts/publish_model.sh": 'cd "$1"\npython setup.py sdist bdist_wheel\n'
        'curl -F package=@"dist/$X" "$GEMFURY_URL"\n',
        ".github/workflows/ci.yml": WORKFLOW.format(
            "./scripts/publish_model.sh ./packages/regression_model/"
        ),
        "packages/ml_api/requirements.txt": "flask==1.1.1\nregression-model==2.0.20\n",
    }
    assert check("no-rollback", tmp_path, files) == []
    unpinned: Files = {**files, "packages/ml_api/requirements.txt": "flask==1.1.1\n"}
    evidence = check("no-rollback", tmp_path / "unpinned", unpinned)
    assert evidence, "a package nobody pins is still no way back"


def test_an_encoder_dump_is_not_the_trained_model(tmp_path: Path) -> None:
    """``joblib.dump(enc, ...)`` where ``enc = pp.TargetEncoder()``: whatever the variable
    is called, an encoder is preprocessing; the citation is the model's save."""
    files: Files = {"train_pipeline.py": PACKAGE_TRAIN}
    evidence = check("no-rollback", tmp_path, files)
    assert evidence and "joblib.dump(pipe" in evidence[0].detail, evidence
    only_encoder: Files = {"train_pipeline.py": PACKAGE_TRAIN.rsplit("joblib.dump(pipe", 1)[0]}
    evidence = check("no-rollback", tmp_path / "enc", only_encoder)
    assert not any("joblib.dump(enc" in e.detail for e in evidence), evidence


# ------------------------------------------------------------- the library rule ------------
TRAINER = (
    "from sklearn.linear_model import Ridge\n\n\nclass Predictor:\n"
    "    def fit(self, x, y):\n        self.model = Ridge().fit(x, y)\n"
)
PREPARE = """\
import hydra
import pandas as pd

import train_model as tm


@hydra.main(config_path="../conf", config_name="process_data.yaml", version_base=None)
def main(args):
    data = pd.read_csv(args.raw_file)
    tm.data_cleaner.clean(data).to_csv(args.cleaned_file, index=False)


if __name__ == "__main__":
    main()
"""


def test_a_package_with_its_own_data_preparation_entry_point_is_a_project(
    tmp_path: Path,
) -> None:
    """A Hydra entry point that prepares data with the repository's own package makes the
    repository a project (it runs its own data preparation), not a library of tools."""
    files: Files = {
        "pyproject.toml": "[project]\nname = 'minimal'\nversion = '0.1.0'\n",
        "src/train_model/__init__.py": "",
        "src/train_model/data_cleaner.py": "def clean(df):\n    return df.dropna()\n",
        "src/train_model/models/predictor.py": TRAINER,
        "src/prepare_data.py": PREPARE,
    }
    assert facts_of(tmp_path, files).applicable


def test_a_library_whose_entry_point_handles_no_data_is_still_a_library(tmp_path: Path) -> None:
    """Counter-check: a console entry point that only prints the version prepares nothing."""
    files: Files = {
        "pyproject.toml": "[project]\nname = 'tools'\nversion = '0.1.0'\n",
        "src/train_model/__init__.py": "",
        "src/train_model/models/predictor.py": TRAINER,
        "src/version.py": "import train_model\n\nif __name__ == '__main__':\n"
        "    print(train_model.__name__)\n",
    }
    facts = facts_of(tmp_path, files)
    assert facts.is_library and not facts.applicable


# ------------------------------------------------------------- template placeholders ------
def test_placeholder_folders_in_a_package_are_its_templates_not_its_code(tmp_path: Path) -> None:
    """``__APP_NAME__/``, ``__PIPELINE_NAME__.py``, ``<project>/`` inside a package are the
    package's templates (its data), like cookiecutter folders; a generator with only those
    has no ML of its own."""
    kfp = "from kfp import dsl\n\n\n@dsl.pipeline\ndef p():\n    model.fit(x, y)\n"
    files: Files = {
        "pyproject.toml": "[project]\nname = 'mlops_manager'\nversion = '0.1.0'\n",
        "mlops_manager/__init__.py": "",
        "mlops_manager/cli.py": "import click\n\n\n@click.command()\ndef new():\n    pass\n",
        "mlops_manager/templates/kfp/__APP_NAME__/__APP_NAME__/pipelines/__PIPELINE_NAME__.py": kfp,
        "mlops_manager/templates/kfp/__APP_NAME__/tasks/test___TASK_NAME__.py": "def test_x():\n"
        "    assert True\n",
        "mlops_manager/templates/svc/<project>/train.py": "import torch\nmodel.fit(x, y)\n",
    }
    facts = facts_of(tmp_path, files)
    assert facts.training_units == [] and facts.pipelines == []
    assert not facts.applicable


def test_a_dunder_module_is_still_code_and_a_template_project_is_still_read(
    tmp_path: Path,
) -> None:
    """Counter-check: ``__init__.py``/``__main__.py`` are code; placeholders outside a package
    are a template project, read as what it renders to."""
    files: Files = {
        "app/__init__.py": "",
        "app/__main__.py": "from sklearn.linear_model import Ridge\nRidge().fit(X, y)\n",
        "__APP_NAME__/train.py": TRAIN,
    }
    facts = facts_of(tmp_path, files)
    assert sorted(u.path for u in facts.training_units) == [
        "__APP_NAME__/train.py",
        "app/__main__.py",
    ]


# ------------------------------------------------------------- one machine's paths in configs
HYDRA_TRAIN = (
    "import hydra\nfrom sklearn.linear_model import Ridge\n\n\n"
    '@hydra.main(config_path="configs", config_name="config", version_base=None)\n'
    "def main(cfg):\n    Ridge(random_state=0).fit(load(cfg.datamodule.root_dir), y)\n"
)
DVC_HYDRA = "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n    outs: [m.pkl]\n"


def test_one_machines_path_in_a_config_training_loads_is_found(tmp_path: Path) -> None:
    """``root_dir: "O:\\\\BTSData\\\\..."`` in a Hydra config the training entry loads, and
    ``/home/alice/...`` in a YAML file code opens by name: one machine's paths, CRITICAL."""
    files: Files = {
        "train.py": HYDRA_TRAIN,
        "dvc.yaml": DVC_HYDRA,
        "configs/config.yaml": "defaults:\n  - datamodule: tiled\n",
        "configs/datamodule/tiled.yaml": 'datamodule:\n  root_dir: "O:\\\\BTSData\\\\Exp03"\n',
    }
    evidence = check("bus-factor", tmp_path, files)
    assert [e.file for e in evidence] == ["configs/datamodule/tiled.yaml"], evidence
    assert evidence[0].line == 2 and "on one machine" in evidence[0].detail
    opened: Files = {
        "src/train.py": "import yaml\nfrom sklearn.svm import SVC\n"
        "cfg = yaml.safe_load(open('params/train.yaml'))\nSVC(random_state=0).fit(X, y)\n",
        "dvc.yaml": DVC_HYDRA.replace("train.py", "src/train.py"),
        "params/train.yaml": "data:\n  path: /home/alice/datasets/cats.csv\n",
    }
    assert [e.file for e in check("bus-factor", tmp_path / "opened", opened)] == [
        "params/train.yaml"
    ]


def test_paths_in_configs_nothing_loads_or_built_from_variables_are_still_nothing(
    tmp_path: Path,
) -> None:
    """Counter-check: a compose file's host path, a config no training code names, a value
    built from an environment variable and a tool's config in ``~`` are not evidence."""
    files: Files = {
        "train.py": HYDRA_TRAIN,
        "dvc.yaml": DVC_HYDRA,
        "configs/datamodule/tiled.yaml": "datamodule:\n  root_dir: ${oc.env:DATA_DIR}/exp03\n"
        "  kube: ~/.kube/config\n",
        "docker-compose.yml": "services:\n  app:\n    volumes:\n      - /home/alice/data:/data\n",
        "notes/old.yaml": "path: C:\\\\Users\\\\bob\\\\data.csv\n",
    }
    assert check("bus-factor", tmp_path, files) == []


# ------------------------------------------------------------- "not recognised" -----------
NOT_RECOGNISED_CASES: dict[str, Files] = {
    "bus-factor": {"app.py": "import pandas as pd\ndf = pd.read_csv('data/x.csv')\n",
                   "data/x.csv": "a\n1\n"},
    "no-rollback": {"train.py": TRAIN},
    "no-data-versioning": {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"
        "    deps: [train.py, data/raw]\n    outs: [m.pkl]\n",
        "train.py": TRAIN,
    },
}  # fmt: skip


def test_every_concern_not_recognised_says_what_it_looked_for_asks_and_is_counted(
    tmp_path: Path,
) -> None:
    """Issue 22, item 1: a concern with no recognised stack says "not recognised", what was
    looked for and a question, is LOW and does not lower the level; the level line counts it."""
    for check_id, files in NOT_RECOGNISED_CASES.items():
        root = write_tree(tmp_path / check_id, files)
        report = assess_repository(root)
        finding = report.finding(check_id)
        assert finding is not None and finding.not_recognised, (check_id, report.ids)
        detail = finding.evidence[0].detail
        assert "looked for" in detail and detail.rstrip().endswith("?"), (check_id, detail)
        assert finding.severity == "low" and not finding.lowers_level, check_id
        assert report.not_recognised >= 1 and report.to_dict()["not_recognised"] >= 1
        count = report.not_recognised
        noun = "concern" if count == 1 else "concerns"
        assert f"; {count} {noun} not recognised" in to_text(report).splitlines()[0]


def test_a_model_path_read_from_a_config_naming_a_committed_file_is_still_versioned(
    tmp_path: Path,
) -> None:
    """Counter-check (passes before and after): serving opens the path a config gives
    (``model_path: models/best_model.pkl``) and that file is committed: git is its way back."""
    files: Files = {
        "train.py": "import joblib, yaml\nfrom sklearn.svm import SVC\n"
        "cfg = yaml.safe_load(open('config.yaml'))\n"
        "joblib.dump(SVC(random_state=0).fit(X, y), cfg['model_path'])\n",
        "app.py": "import joblib, yaml\nfrom flask import Flask\napp = Flask(__name__)\n"
        "model = joblib.load(yaml.safe_load(open('config.yaml'))['model_path'])\n",
        "config.yaml": "model_path: models/best_model.pkl\n",
        "models/best_model.pkl": b"\x80\x04" + bytes(64),
    }
    write_tree(tmp_path, files)
    git_init(tmp_path)
    assert assess_repository(tmp_path).finding("no-rollback") is None
