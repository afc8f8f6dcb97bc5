"""One failing and one passing case (at least) for every check in the table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from catdetector.assess import CHECKS, assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.scan import scan
from tests.assess.builders import (
    FAKE_AWS_KEY_ID,
    FAKE_AWS_SECRET,
    Files,
    git,
    git_init,
    notebook,
    write_tree,
)

SK_TRAIN = (
    "from sklearn.linear_model import LogisticRegression\nmodel = LogisticRegression().fit(X, y)\n"
)
SK_TRAIN_SEEDED = (
    "from sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(random_state=0).fit(X, y)\n"
)
FLASK_APP = (
    "from flask import Flask, request, jsonify\n"
    "import joblib\n"
    "app = Flask(__name__)\n"
    "model = joblib.load('model.pkl')\n"
    "@app.route('/predict', methods=['POST'])\n"
    "def predict():\n"
    "    x = request.get_json()['x']\n"
    "    return jsonify(y=model.predict([x]).tolist())\n"
)
TRAIN_STAGE = "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n"


def _dvc_file(path: str) -> str:
    return f"outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 10\n  path: {path}\n"


@dataclass(frozen=True)
class Case:
    """One tree and whether the check must find something in it."""

    check: str
    name: str
    files: Files
    fails: bool
    git: bool = False

    @property
    def id(self) -> str:
        return f"{self.check}:{self.name}:{'fails' if self.fails else 'passes'}"


CASES = [
    # -- bus-factor
    Case("bus-factor", "script without pipeline", {"train.py": SK_TRAIN}, True),
    Case(
        "bus-factor",
        "notebook only",
        {"explore.ipynb": notebook("import sklearn", "m = clf.fit(X, y)")},
        True,
    ),
    Case("bus-factor", "empty folder", {}, True),
    Case(
        "bus-factor",
        "pipeline without training stage",
        {"train.py": SK_TRAIN, "dvc.yaml": "stages:\n  fetch:\n    cmd: python get.py\n"},
        True,
    ),
    Case(
        "bus-factor",
        "pipeline but laptop path",
        {
            "train.py": SK_TRAIN + "df = pd.read_csv('/Users/bob/Desktop/cats.csv')\n",
            "dvc.yaml": TRAIN_STAGE,
        },
        True,
    ),
    Case(
        "bus-factor", "dvc pipeline trains", {"train.py": SK_TRAIN, "dvc.yaml": TRAIN_STAGE}, False
    ),
    Case(
        "bus-factor",
        "MLflow project",
        {
            "train.py": SK_TRAIN,
            "MLproject": "name: x\nentry_points:\n  main:\n    command: python train.py\n",
        },
        False,
    ),
    # -- no-rollback
    Case(
        "no-rollback",
        "unversioned model",
        {"model.pkl": b"\x80\x04" + bytes(50), "app.py": FLASK_APP},
        True,
    ),
    Case("no-rollback", "fixed path, no model file", {"app.py": FLASK_APP}, True),
    Case(
        "no-rollback",
        "absolute path",
        {"app.py": FLASK_APP.replace("'model.pkl'", "'/srv/models/model.pkl'")},
        True,
    ),
    Case(
        "no-rollback",
        "dvc add model",
        {
            "model.pkl": b"\x80\x04" + bytes(50),
            "model.pkl.dvc": _dvc_file("model.pkl"),
            "app.py": FLASK_APP,
        },
        False,
    ),
    Case(
        "no-rollback",
        "pipeline output",
        {
            "app.py": FLASK_APP,
            "dvc.yaml": TRAIN_STAGE + "    outs: [model.pkl]\n",
        },
        False,
    ),
    Case(
        "no-rollback",
        "registered (GTO artifact)",
        {
            "app.py": FLASK_APP.replace("'model.pkl'", "'/srv/models/model.pkl'"),
            "dvc.yaml": "artifacts:\n  cat:\n    path: models/m.pkl\n    type: model\n",
        },
        False,
    ),
    # -- training-serving-skew
    Case(
        "training-serving-skew",
        "pins differ",
        {
            "train/train.py": SK_TRAIN_SEEDED,
            "serve/app.py": FLASK_APP,
            "train/requirements.txt": "numpy==1.21.0\nscikit-learn==1.0\n",
            "serve/requirements.txt": "numpy==1.19.5\nscikit-learn==1.0\nflask==3.0.0\n",
        },
        True,
    ),
    Case(
        "training-serving-skew",
        "python versions differ",
        {
            "train.py": SK_TRAIN_SEEDED,
            "app.py": FLASK_APP,
            "environment-train.yml": "dependencies:\n  - python=3.11\n  - numpy=1.26.4\n",
            "Dockerfile": "FROM python:3.8-slim\nRUN pip install numpy==1.26.4 flask==3.0.0\n",
        },
        True,
    ),
    Case(
        "training-serving-skew",
        "unpinned shared (a lock-file risk, not skew)",
        {"train.py": SK_TRAIN_SEEDED, "app.py": FLASK_APP, "requirements.txt": "numpy\nflask\n"},
        False,
    ),
    Case(
        "training-serving-skew",
        "no environment file",
        {"train.py": SK_TRAIN_SEEDED, "app.py": FLASK_APP},
        True,
    ),
    Case(
        "training-serving-skew",
        "no environment file, nothing serves",
        {"train.py": SK_TRAIN_SEEDED},
        False,
    ),
    Case(
        "training-serving-skew",
        "preprocessing re-implemented",
        {
            "train.py": "def preprocess(x):\n    return x / 255.0\n" + SK_TRAIN_SEEDED,
            "app.py": FLASK_APP + "def preprocess(x):\n    return x / 255\n",
            "requirements.txt": "numpy==1.26.4\nflask==3.0.0\n",
        },
        True,
    ),
    Case(
        "training-serving-skew",
        "one lock, one preprocessing",
        {
            "features.py": "def preprocess(x):\n    return x / 255.0\n",
            "train.py": "from features import preprocess\n" + SK_TRAIN_SEEDED,
            "app.py": "from features import preprocess\n" + FLASK_APP,
            "requirements.lock": "numpy==1.26.4\nflask==3.0.0\nscikit-learn==1.5.0\n",
            "Dockerfile": "FROM python:3.11\nRUN pip install -r requirements.lock\n",
        },
        False,
    ),
    Case(
        "training-serving-skew",
        "pyproject with uv.lock",
        {
            "train.py": SK_TRAIN_SEEDED,
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["scikit-learn>=1.5"]\n',
            "uv.lock": "version = 1\n",
        },
        False,
    ),
    # -- no-data-versioning
    Case(
        "no-data-versioning",
        "csv beside training",
        {"train.py": SK_TRAIN, "data/x.csv": "a,b\n1,2\n"},
        True,
    ),
    Case(
        "no-data-versioning",
        "training reads untracked data",
        {"train.py": SK_TRAIN + "df = pd.read_csv('cats.csv')\n"},
        True,
    ),
    Case(
        "no-data-versioning",
        "stage input nobody tracks",
        {
            "train.py": SK_TRAIN,
            "dvc.yaml": TRAIN_STAGE + "    outs: [model.pkl]\n  prep:\n    cmd: python p.py\n"
            "    deps: [data/raw]\n    outs: [data/prepared]\n",
            "other.dvc": _dvc_file("other"),
        },
        True,
    ),
    Case(
        "no-data-versioning",
        "dvc add data",
        {"train.py": SK_TRAIN, "data/x.csv": "a,b\n1,2\n", "data.dvc": _dvc_file("data")},
        False,
    ),
    Case(
        "no-data-versioning",
        "small data in git",
        {"train.py": SK_TRAIN, "data/x.csv": "a,b\n1,2\n"},
        False,
        git=True,
    ),
    Case("no-data-versioning", "not ML at all", {"hello.py": "print('hi')\n"}, False),
    # -- large-binaries-in-git
    Case(
        "large-binaries-in-git",
        "model committed",
        {"model.pkl": bytes(range(256)) * 6000, "train.py": SK_TRAIN},
        True,
        git=True,
    ),
    Case(
        "large-binaries-in-git",
        "model tracked by dvc",
        {
            "model.pkl": bytes(range(256)) * 6000,
            ".gitignore": "/model.pkl\n",
            "model.pkl.dvc": _dvc_file("model.pkl"),
        },
        False,
        git=True,
    ),
    Case(
        "large-binaries-in-git",
        "model in git-lfs",
        {"model.pkl": bytes(range(256)) * 6000, ".gitattributes": "*.pkl filter=lfs diff=lfs\n"},
        False,
        git=True,
    ),
    Case(
        "large-binaries-in-git",
        "not a git repository",
        {"model.pkl": bytes(range(256)) * 6000},
        False,
    ),
    # -- no-lock-file
    Case(
        "no-lock-file",
        "ranges only",
        {"train.py": SK_TRAIN_SEEDED, "requirements.txt": "numpy>=1.2\n"},
        True,
    ),
    Case("no-lock-file", "no environment at all", {"train.py": SK_TRAIN_SEEDED}, True),
    Case(
        "no-lock-file",
        "fully pinned",
        {"x.py": "import numpy\n", "requirements.txt": "numpy==1.26.4\n"},
        False,
    ),
    Case(
        "no-lock-file",
        "poetry lock",
        {"pyproject.toml": '[tool.poetry.dependencies]\nnumpy = "^1.26"\n', "poetry.lock": "#\n"},
        False,
    ),
    # -- secrets-committed
    Case(
        "secrets-committed",
        "keys in .dvc/config",
        {
            ".dvc/config": "['remote \"s3\"']\n    url = s3://bucket/x\n"
            f"    access_key_id = {FAKE_AWS_KEY_ID}\n    secret_access_key = {FAKE_AWS_SECRET}\n"
        },
        True,
    ),
    Case(
        "secrets-committed",
        ".env not ignored",
        {".env": f"AWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n"},
        True,
    ),
    Case("secrets-committed", "key in code", {"s3.py": f"API_KEY = '{FAKE_AWS_SECRET}'\n"}, True),
    Case(
        "secrets-committed",
        ".env committed to git",
        {".env": f"AWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n"},
        True,
        git=True,
    ),
    Case(
        "secrets-committed",
        "keys in config.local",
        {
            ".dvc/config": "['remote \"s3\"']\n    url = s3://bucket/x\n",
            ".dvc/config.local": f"['remote \"s3\"']\n    secret_access_key = {FAKE_AWS_SECRET}\n",
        },
        False,
    ),
    Case(
        "secrets-committed",
        ".env ignored",
        {".env": f"AWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n", ".gitignore": ".env\n"},
        False,
    ),
    Case(
        "secrets-committed",
        ".env ignored in git",
        {".env": f"AWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n", ".gitignore": ".env\n"},
        False,
        git=True,
    ),
    Case(
        "secrets-committed",
        "key read from the environment",
        {"s3.py": "import os\nAPI_KEY = os.environ['API_KEY']\ntokenizer = 'bert-base-uncased'\n"},
        False,
    ),
    # -- no-tests
    Case("no-tests", "no tests", {"x.py": "x = 1\n"}, True),
    Case("no-tests", "empty test file", {"x.py": "x = 1\n", "tests/test_x.py": "\n"}, True),
    Case(
        "no-tests",
        "a test",
        {"x.py": "x = 1\n", "tests/test_x.py": "def test_x():\n    assert 1\n"},
        False,
    ),
    # -- no-seeds
    Case("no-seeds", "unseeded", {"train.py": SK_TRAIN}, True),
    Case("no-seeds", "random_state", {"train.py": SK_TRAIN_SEEDED}, False),
    Case(
        "no-seeds",
        "seed from params.yaml",
        {"train.py": "params = load()\n" + SK_TRAIN, "params.yaml": "train:\n  seed: 42\n"},
        False,
    ),
    Case(
        "no-seeds",
        "torch.manual_seed",
        {"train.py": "import torch\ntorch.manual_seed(0)\nopt.step()\noptimizer.step()\n"},
        False,
    ),
    # -- no-ci
    Case("no-ci", "no CI", {}, True),
    Case(
        "no-ci",
        "CI without tests",
        {".github/workflows/ci.yml": "jobs:\n  a:\n    steps:\n      - run: ruff check .\n"},
        True,
    ),
    Case(
        "no-ci", "CI runs pytest", {".gitlab-ci.yml": "test:\n  script:\n    - pytest -q\n"}, False
    ),
    Case(
        "no-ci",
        "CI runs make test",
        {
            ".github/workflows/ci.yml": "steps:\n  - run: make check\n",
            "Makefile": "check:\n\tpytest\n",
        },
        False,
    ),
    # -- no-ci-training
    Case(
        "no-ci-training",
        "CI only tests",
        {".gitlab-ci.yml": "test:\n  script:\n    - pytest -q\n"},
        True,
    ),
    Case(
        "no-ci-training",
        "CI runs dvc repro",
        {".gitlab-ci.yml": "t:\n  script:\n    - pytest\n    - dvc repro\n"},
        False,
    ),
    Case(
        "no-ci-training",
        "CI runs a script that trains",
        {
            ".github/workflows/ct.yml": "steps:\n  - run: bash ci/ct.sh\n",
            "ci/ct.sh": "set -e\ndvc pull\ndvc repro train\n",
        },
        False,
    ),
    Case("no-ci-training", "no CI at all (no-ci reports it)", {}, False),
    # -- no-evaluation-gate
    Case("no-evaluation-gate", "no evaluation", {"train.py": SK_TRAIN}, True),
    Case(
        "no-evaluation-gate",
        "evaluation without gate",
        {
            "evaluate.py": "from sklearn.metrics import accuracy_score\n"
            "print(accuracy_score(y, p))\n"
        },
        True,
    ),
    Case(
        "no-evaluation-gate",
        "evaluation with threshold",
        {
            "evaluate.py": "from sklearn.metrics import accuracy_score\n"
            "acc = accuracy_score(y, p)\n"
            "if acc < 0.8:\n    raise SystemExit(1)\n"
        },
        False,
    ),
    Case(
        "no-evaluation-gate",
        "evaluate stage and gate params",
        {
            "dvc.yaml": "stages:\n  evaluate:\n    cmd: python ev.py\n    metrics: [m.json]\n",
            "params.yaml": "gate:\n  min_accuracy: 0.8\n",
        },
        False,
    ),
    # -- no-input-validation
    Case("no-input-validation", "raw request to model", {"app.py": FLASK_APP}, True),
    Case(
        "no-input-validation",
        "pydantic body",
        {
            "api.py": "from fastapi import FastAPI\nfrom pydantic import BaseModel\n"
            "app = FastAPI()\n"
            "class X(BaseModel):\n    x: float\n@app.post('/p')\ndef p(x: X):\n    return x\n"
        },
        False,
    ),
    Case(
        "no-input-validation",
        "flask with 400",
        {
            "app.py": FLASK_APP.replace(
                "    x = ", "    if not request.is_json:\n        abort(400)\n    x = "
            )
        },
        False,
    ),
    Case("no-input-validation", "no serving code", {"train.py": SK_TRAIN}, False),
    Case(
        "no-input-validation",
        "a launcher handles no request",
        {"run.py": "import uvicorn\nuvicorn.run('app:app', port=8000)\n"},
        False,
    ),
    Case(
        "no-input-validation",
        "flask app quoted in a docstring",
        {"lab.py": 'APP = """\nfrom flask import Flask, request\nx = request.files\n"""\n'},
        False,
    ),
    # -- no-monitoring
    Case("no-monitoring", "serving without logs", {"app.py": FLASK_APP}, True),
    Case("no-monitoring", "nothing at all", {}, True),
    Case(
        "no-monitoring", "prometheus", {"app.py": "import prometheus_client\n" + FLASK_APP}, False
    ),
    Case(
        "no-monitoring",
        "prediction log",
        {
            "app.py": FLASK_APP.replace(
                "    return jsonify", "    logger.info('prediction %s', y)\n    return jsonify"
            )
        },
        False,
    ),
    Case(
        "no-monitoring",
        "catdetector serve in compose",
        {"compose.yaml": "services:\n  api:\n    command: catdetector serve --stage prod\n"},
        False,
    ),
    # -- no-deployment-manifest
    Case("no-deployment-manifest", "app started by hand", {"app.py": FLASK_APP}, True),
    Case(
        "no-deployment-manifest",
        "Dockerfile",
        {"app.py": FLASK_APP, "Dockerfile": "FROM python:3.11\n"},
        False,
    ),
    Case(
        "no-deployment-manifest",
        "Kubernetes",
        {"deploy/api.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"},
        False,
    ),
    # -- glue-code
    Case(
        "glue-code",
        "scripts hand a file over",
        {
            "prepare.py": "import pandas as pd\ndf.to_csv('features.csv')\n",
            "train.py": "import pandas as pd\ndf = pd.read_csv('features.csv')\n" + SK_TRAIN_SEEDED,
        },
        True,
    ),
    Case(
        "glue-code",
        "shell chain",
        {"run_all.sh": "python fetch.py\npython clean.py\npython train.py\n"},
        True,
    ),
    Case(
        "glue-code",
        "hand-off declared in dvc.yaml",
        {
            "prepare.py": "import pandas as pd\ndf.to_csv('features.csv')\n",
            "train.py": "import pandas as pd\ndf = pd.read_csv('features.csv')\n" + SK_TRAIN_SEEDED,
            "dvc.yaml": "stages:\n  prepare:\n    cmd: python prepare.py\n"
            "    outs: [features.csv]\n"
            "  train:\n    cmd: python train.py\n    deps: [features.csv]\n",
        },
        False,
    ),
    # -- hidden-feedback-loop
    Case(
        "hidden-feedback-loop",
        "serving appends to training data",
        {
            "app.py": FLASK_APP.replace(
                "    return jsonify",
                "    with open('data/raw/served.csv', 'a') as fh:\n        fh.write(str(x))\n"
                "    return jsonify",
            ),
            "train.py": "import glob\nfiles = glob.glob('data/raw/*.csv')\n" + SK_TRAIN_SEEDED,
        },
        True,
    ),
    Case(
        "hidden-feedback-loop",
        "same table",
        {
            "app.py": FLASK_APP + "db.execute('INSERT INTO predictions VALUES (?)', (y,))\n",
            "train.py": "rows = db.execute('SELECT * FROM predictions')\n" + SK_TRAIN_SEEDED,
        },
        True,
    ),
    Case(
        "hidden-feedback-loop",
        "predictions logged elsewhere",
        {
            "app.py": FLASK_APP.replace(
                "    return jsonify",
                "    with open('logs/predictions.jsonl', 'a') as fh:\n        fh.write(str(x))\n"
                "    return jsonify",
            ),
            "train.py": "import glob\nfiles = glob.glob('data/raw/*.csv')\n" + SK_TRAIN_SEEDED,
        },
        False,
    ),
    # -- dead-experimental-code
    Case(
        "dead-experimental-code",
        "old copy",
        {"train_old.py": "x = 1\n", "train.py": "x = 2\n"},
        True,
    ),
    Case(
        "dead-experimental-code", "untitled notebook", {"Untitled1.ipynb": notebook("x = 1")}, True
    ),
    Case("dead-experimental-code", "if False", {"train.py": "x = 1\nif False:\n    x = 2\n"}, True),
    Case(
        "dead-experimental-code",
        "commented-out block",
        {"train.py": "x = 1\n" + "".join(f"# model{i} = fit(x, {i})\n" for i in range(10))},
        True,
    ),
    Case(
        "dead-experimental-code",
        "clean code with comments",
        {"train.py": "# Train the model.\n# It reads params.yaml.\nx = 1\n"},
        False,
    ),
    # -- no-baseline
    Case(
        "no-baseline",
        "torch only",
        {"train.py": "import torch\nnet = torch.nn.Linear(2, 1)\n"},
        True,
    ),
    Case(
        "no-baseline",
        "torch with dummy baseline",
        {"train.py": "import torch\nfrom sklearn.dummy import DummyClassifier\n"},
        False,
    ),
    Case(
        "no-baseline",
        "baseline in params",
        {
            "train.py": "import tensorflow as tf\n",
            "params.yaml": "ladder:\n  - baseline\n  - cnn\n",
        },
        False,
    ),
    Case("no-baseline", "no deep learning", {"train.py": SK_TRAIN}, False),
    # -- dvc-no-remote
    Case(
        "dvc-no-remote",
        ".dvc file, empty config",
        {".dvc/config": "", "data.dvc": "outs:\n- md5: 0a1b.dir\n  path: data\n"},
        True,
    ),
    Case(
        "dvc-no-remote",
        ".dvc file, remote configured",
        {
            ".dvc/config": "['remote \"s\"']\n    url = s3://b/p\n",
            "data.dvc": "outs:\n- md5: 0a1b.dir\n  path: data\n",
        },
        False,
    ),
]


def _run(case: Case, root: Path) -> list:
    write_tree(root, case.files)
    if case.git:
        git_init(root)
    return get_check(case.check).func(Facts(scan(root)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_check(case: Case, tmp_path: Path) -> None:
    evidence = _run(case, tmp_path / "repo")
    if case.fails:
        assert evidence, f"{case.check} found nothing in {case.name!r}"
    else:
        assert not evidence, f"{case.check} should pass {case.name!r}, found {evidence}"


def test_every_check_has_a_failing_and_a_passing_case() -> None:
    for item in CHECKS:
        outcomes = {c.fails for c in CASES if c.check == item.id}
        assert outcomes == {True, False}, f"{item.id} lacks a failing or a passing case"


def test_check_table_is_well_formed() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert ids[:3] == ["bus-factor", "no-rollback", "training-serving-skew"]
    for item in CHECKS:
        assert item.severity in ("critical", "high", "medium", "low")
        assert item.blocks_level in (1, 2)
        assert item.fix and item.source and item.risk
        assert item.func.__doc__


def test_evidence_points_at_file_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": FLASK_APP, "model.pkl": b"\x80" + bytes(10)})
    report = assess_repository(tmp_path)
    rollback = report.finding("no-rollback")
    assert rollback is not None
    locations = {(e.file, e.line) for e in rollback.evidence}
    assert ("model.pkl", None) in locations
    assert ("app.py", 4) in locations


def test_secret_values_are_redacted(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".dvc/config": f"[core]\n  secret_access_key = {FAKE_AWS_SECRET}\n"
            f"  access_key_id = {FAKE_AWS_KEY_ID}\n"
        },
    )
    report = assess_repository(tmp_path)
    found = report.finding("secrets-committed")
    assert found is not None and {e.line for e in found.evidence} == {2, 3}
    dumped = json.dumps(report.to_dict())
    assert FAKE_AWS_SECRET not in dumped and FAKE_AWS_KEY_ID not in dumped


def test_untracked_secret_in_git_repo_is_not_committed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"x.py": "x = 1\n"})
    git_init(tmp_path)
    (tmp_path / "local.cfg").write_text(f"password = {FAKE_AWS_SECRET}\n")
    assert get_check("secrets-committed").func(Facts(scan(tmp_path))) == []
    git(tmp_path, "add", "local.cfg")
    assert get_check("secrets-committed").func(Facts(scan(tmp_path)))
