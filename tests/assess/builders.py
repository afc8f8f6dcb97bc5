"""The one home of the assess tests' helpers and fixture repositories.

Helpers: ``facts_of`` (write files, read them as assess does), ``check`` (one check's
evidence), ``severity`` (a finding's severity in the whole report), ``write_tree``,
``notebook``, ``git``/``git_init`` (real git, isolated config). Fixture repositories:
``broken_startup`` is the course's CatDetector.ai at Level 0; ``level1_repo`` a hand-made DVC
pipeline repository; ``level2_repo`` adds CI, deployment and monitoring; Made-With-ML-like
and get-started-like trees. They live in ``trees``, ``fixture_repos`` and ``fixture_stacks``
and are imported from here.
"""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan
from tests.assess.fixture_repos import (
    APP_PY,
    CI_YML,
    DOCKERFILE,
    DVC_LOCK,
    DVC_YAML,
    EVALUATE_PY,
    EXPLORE_NB,
    FEATURES_PY,
    K8S,
    PREPARE_PY,
    RAW_DVC,
    REQUIREMENTS_PINNED,
    SERVE_PY,
    TEST_PY,
    TRAIN_PY,
    TRAIN_SK_PY,
    broken_startup,
    broken_startup_files,
    level1_files,
    level1_repo,
    level2_files,
    level2_repo,
)
from tests.assess.fixture_stacks import (
    MWML_EVALUATE,
    MWML_PREDICT,
    MWML_REQUIREMENTS,
    MWML_SERVE,
    MWML_TRAIN,
    MWML_UTILS,
    MWML_WORKLOADS_SH,
    get_started_like_files,
    made_with_ml_like_files,
)
from tests.assess.trees import (
    FAKE_AWS_KEY_ID,
    FAKE_AWS_SECRET,
    Files,
    fake_h5,
    git,
    git_env,
    git_init,
    notebook,
    write_tree,
)

__all__ = [
    "APP_PY",
    "CI_YML",
    "DOCKERFILE",
    "DVC_LOCK",
    "DVC_YAML",
    "EVALUATE_PY",
    "EXPLORE_NB",
    "FAKE_AWS_KEY_ID",
    "FAKE_AWS_SECRET",
    "FEATURES_PY",
    "K8S",
    "MWML_EVALUATE",
    "MWML_PREDICT",
    "MWML_REQUIREMENTS",
    "MWML_SERVE",
    "MWML_TRAIN",
    "MWML_UTILS",
    "MWML_WORKLOADS_SH",
    "PREPARE_PY",
    "RAW_DVC",
    "REQUIREMENTS_PINNED",
    "SERVE_PY",
    "TEST_PY",
    "TRAIN",
    "TRAIN_PY",
    "TRAIN_SK_PY",
    "WORKFLOW",
    "Files",
    "broken_startup",
    "broken_startup_files",
    "check",
    "facts_of",
    "fake_h5",
    "get_started_like_files",
    "git",
    "git_env",
    "git_init",
    "level1_files",
    "level1_repo",
    "level2_files",
    "level2_repo",
    "made_with_ml_like_files",
    "notebook",
    "severity",
    "write_tree",
]

WORKFLOW = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n"
TRAIN = "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit(X, y)\n"


def facts_of(root: Path, files: Files) -> Facts:
    """Write ``files`` under ``root`` and read them as ``assess`` does."""
    write_tree(root, files)
    return Facts(scan(root))


def check(check_id: str, root: Path, files: Files) -> list[Evidence]:
    """The evidence one check finds in ``files`` written under ``root``."""
    return get_check(check_id).func(facts_of(root, files))


def severity(root: Path, check_id: str) -> str | None:
    """The severity of a check's finding in the whole report of ``root`` (None: no finding)."""
    finding = assess_repository(root).finding(check_id)
    return finding.severity if finding else None
