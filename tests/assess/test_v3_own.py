"""assess v3 (issue 22): its own output. A project made by ``catdetector init`` (fresh;
trained and registered) and the catdetector repository assess Level 1 with none of the findings
the issue listed as false. Each test failed before its fix (first round)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from catdetector.assess import assess_repository
from tests.assess.builders import check

# ------------------------------------------------------------- its own projects -------------
FALSE_ON_INIT = {
    "no-monitoring",  # `catdetector serve` logs every prediction and checks drift
    "no-seeds",  # train.seed is in params.yaml
    "no-data-versioning",
    "bus-factor",
    "no-rollback",
    "secrets-committed",
    "training-serving-skew",
    "no-lock-file",
}


def _init(root: Path) -> Path:
    from tests.support import cli

    cli("init", str(root), cwd=root.parent)
    return root


@pytest.mark.slow  # runs `catdetector init`
def test_a_fresh_init_project_is_level_1_with_no_false_finding(
    tmp_path: Path, isolated_home: Path
) -> None:
    report = assess_repository(_init(tmp_path / "fresh"))
    assert report.level is not None and report.level >= 1, report.ids
    assert not FALSE_ON_INIT & {f.id for f in report.findings if not f.not_recognised}
    # its CI runs `bash ci/continuous-training.sh repro`, whose `"$VENV/bin/dvc" repro` trains
    assert "no-ci-training" not in report.ids
    score = {item.id: item for item in report.score}
    assert score["Infra 3"].score == 1 and score["Infra 4"].score == 1


@pytest.mark.slow  # builds the shared trained project (init, sample, dvc repro)
def test_a_trained_registered_init_project_is_level_1_with_a_true_score(
    project_copy: Path,
) -> None:
    from tests.assess.builders import git

    git(project_copy, "tag", "-a", "catdetector@v0.1.0", "-m", "Registering artifact")
    report = assess_repository(project_copy)
    assert report.level is not None and report.level >= 1, report.ids
    assert not FALSE_ON_INIT & set(report.ids)
    score = {item.id: item for item in report.score}
    assert score["Model 5"].score > 0  # the ladder starts with a dummy rung
    assert score["Infra 1"].score > 0  # train.seed in params.yaml and requirements.lock
    assert score["Monitor 4"].score > 0  # served by `catdetector serve`
    assert "no serving" not in score["Monitor 3"].evidence


def test_the_catdetector_repository_is_level_1_with_no_false_finding(tmp_path: Path) -> None:
    # A clone: what the repository holds, not what a test run left in the git-ignored
    # folders of this checkout (screenshots in test-artifacts/, a .venv ...).
    root = Path(__file__).resolve().parents[2]
    clone = tmp_path / "catdetector"
    subprocess.run(["git", "clone", "-q", "--no-local", str(root), str(clone)], check=True)
    report = assess_repository(clone)
    assert report.level is not None and report.level >= 1, report.ids
    assert {"no-lock-file", "bus-factor", "no-rollback", "no-input-validation"}.isdisjoint(
        report.ids
    )  # GET /metrics takes no input
    secrets = report.finding("secrets-committed")
    assert secrets is None or secrets.severity == "low"
    assert all("anyscale" not in f.fix and "ray job" not in f.fix for f in report.findings)
    cited = [e.file or "" for f in report.findings for e in f.evidence]
    assert not any(p.startswith("tests/assess/corpus/") for p in cited), cited


def test_a_credential_in_a_docstring_example_is_documentation(tmp_path: Path) -> None:
    code = (
        'class SQLDataset:\n    """Load a table.\n\n    ```yaml\n    creds:\n'
        '      password: "supersecret9"\n    ```\n    """\n'
    )
    evidence = check("secrets-committed", tmp_path, {"ds.py": code})
    assert len(evidence) == 1 and "documentation" in evidence[0].detail
